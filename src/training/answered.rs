//! What users get on the judge's held-out questions (`judge check --as-answered`): each
//! answered as the service answers it, counted by whether the answer cites a passage that
//! answers it, by split and by the way it is worded (where the judge is weakest).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use super::passage_names;
use super::splits::{Split, Splits};
use crate::assistant::{Assistant, Outcome, WriterKind};
use crate::judge::corpus::{Corpus, Labelled, passage_name};
use crate::judge::{Figures, Judge, SplitFigures};
use crate::knowledge::KnowledgeBase;

/// What users get on the held-out questions: each answered as the service answers it
/// (rules, retrieval, the judge remembering only its training questions), counted by
/// whether the answer cites a passage that answers it. `judge check --as-answered`.
pub fn as_answered(
    assistant: Assistant,
    kb: &KnowledgeBase,
    corpus_dir: &Path,
    judge: Judge,
) -> Result<AsAnswered> {
    let names = passage_names(kb);
    let corpus = Corpus::read(corpus_dir, &names.iter().cloned().collect())?;
    let splits = Splits::new(judge.card().provenance.seed, &names, kb);
    let judge = std::sync::Arc::new(judge.remembering_training_only());
    let assistant = assistant.judged_by(Some(judge));
    // A day while the documents' deadlines were open: outcomes do not depend on it.
    let today = chrono::NaiveDate::from_ymd_opt(2021, 3, 10).context("a valid date")?;
    let held_out: Vec<&Labelled> = corpus
        .questions
        .iter()
        .filter(|q| splits.of(q) != Split::Train)
        .collect();
    let bar = ProgressBar::new(held_out.len() as u64).with_style(
        ProgressStyle::with_template("answering the held-out questions {bar:30} {pos}/{len} {eta}")
            .expect("a valid template"),
    );
    let mut figures = Figures::default();
    let mut by_register: BTreeMap<String, SplitFigures> = BTreeMap::new();
    for q in held_out {
        bar.inc(1);
        let answer = assistant.answer(&crate::assistant::Question::new(&q.question, today)?)?;
        let f = match splits.of(q) {
            Split::ByQuestion => &mut figures.by_question,
            Split::ByFaq => &mut figures.by_faq,
            _ => &mut figures.calibration,
        };
        // A curated "the sources do not say" FAQ (a price, the cap, a recommendation) given
        // for a question it is labelled to answer is that question's answer, though its
        // outcome is `no_answer`.
        let curated = answer.writer == WriterKind::Faq
            && answer.citations.first().is_some_and(|c| {
                q.answers
                    .contains(&passage_name(&c.doc_id, c.section_id.as_deref()))
            });
        let answered = answer.outcome == Outcome::Answered || curated;
        let right = answer.citations.iter().any(|c| {
            q.answers
                .contains(&passage_name(&c.doc_id, c.section_id.as_deref()))
        });
        let outcome = (!q.answers.is_empty(), answered.then_some(right));
        f.count(outcome.0, outcome.1);
        by_register
            .entry(q.register.clone())
            .or_default()
            .count(outcome.0, outcome.1);
    }
    bar.finish_and_clear();
    Ok(AsAnswered {
        figures,
        by_register,
    })
}

/// What users get on the held-out questions: by split, and by register (polite, casual,
/// English…) over every held-out split together.
pub struct AsAnswered {
    pub figures: Figures,
    pub by_register: BTreeMap<String, SplitFigures>,
}
