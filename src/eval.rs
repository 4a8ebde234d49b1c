//! Grading question sets by the rules of `shared/eval/README.md`.

use std::path::Path;
use std::sync::LazyLock;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use regex::Regex;
use serde::Deserialize;

use crate::assistant::{Answer, Assistant, Outcome, Question, WriterKind};
use crate::text::grading_form;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub question: String,
    pub expect: Expect,
    #[serde(default)]
    pub facts: Vec<Vec<String>>,
    #[serde(default)]
    pub must_not: Vec<String>,
    #[serde(default)]
    pub today: Option<NaiveDate>,
    /// The user's earlier messages in the same conversation, asked first.
    #[serde(default)]
    pub history: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Answer,
    Handoff,
    Decline,
    Any,
}

/// Reads a JSON Lines question set; a bad line is an error naming its line.
pub fn read_items(path: &Path) -> Result<Vec<Item>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item: Item = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a valid question item", path.display(), i + 1))?;
        items.push(item);
    }
    if items.is_empty() {
        bail!("{} holds no questions", path.display());
    }
    Ok(items)
}

static MONTH_DAY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2})月(\d{1,2})日$").expect("regex"));

/// The strings that satisfy one fact: itself, and for `M月D日` also `M/D` and `-MM-DD`.
fn variants(fact: &str) -> Vec<String> {
    let fact = grading_form(fact);
    let mut out = vec![fact.clone()];
    if let Some(c) = MONTH_DAY.captures(&fact) {
        let (m, d): (u32, u32) = (c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0));
        out.push(format!("{m}/{d}"));
        out.push(format!("-{m:02}-{d:02}"));
    }
    out
}

/// Why an answer fails an item, or `None` when it passes.
pub fn grade(item: &Item, answer: &Answer) -> Option<String> {
    let text = grading_form(&answer.answer);
    for bad in &item.must_not {
        if text.contains(&grading_form(bad)) {
            return Some(format!("contains forbidden \"{bad}\""));
        }
    }
    let outcome_ok = match item.expect {
        Expect::Answer => answer.outcome == Outcome::Answered,
        Expect::Handoff => answer.outcome == Outcome::Handoff,
        Expect::Decline => matches!(answer.outcome, Outcome::NoAnswer | Outcome::Handoff),
        Expect::Any => true,
    };
    if !outcome_ok {
        return Some(format!(
            "expected {:?}, got outcome {:?}",
            item.expect, answer.outcome
        ));
    }
    if item.expect == Expect::Answer {
        for group in &item.facts {
            let found = group
                .iter()
                .flat_map(|f| variants(f))
                .any(|v| text.contains(&v));
            if !found {
                return Some(format!("missing fact {group:?}"));
            }
        }
    }
    None
}

/// Which documents answer an item (`tests/eval/labels/`): retrieving one of them first is
/// right. Empty for small talk and questions the knowledge base does not answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub id: String,
    pub docs: Vec<String>,
}

pub fn read_labels(path: &Path) -> Result<Vec<Label>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not a valid label", path.display(), i + 1))
        })
        .collect()
}

/// Recall of one ranking: how many labelled items have a right document first, and in
/// the first three.
#[derive(Debug, Clone, Default)]
pub struct Recall {
    pub items: usize,
    pub at_1: usize,
    pub at_3: usize,
    /// Ids of the items whose right document was not first.
    pub missed: Vec<String>,
}

/// Recall@1/@3 of `retrieve` over the labelled items without history (a follow-up needs
/// its conversation). Every labelled item must be in `items`.
pub fn recall(
    items: &[Item],
    labels: &[Label],
    mut retrieve: impl FnMut(&str) -> Result<Vec<String>>,
) -> Result<Recall> {
    let mut r = Recall::default();
    for label in labels.iter().filter(|l| !l.docs.is_empty()) {
        let item = items
            .iter()
            .find(|i| i.id == label.id)
            .with_context(|| format!("label {} has no question", label.id))?;
        if !item.history.is_empty() {
            continue;
        }
        let ranked = retrieve(&item.question)?;
        let rank = ranked.iter().position(|d| label.docs.contains(d));
        r.items += 1;
        if rank == Some(0) {
            r.at_1 += 1;
        } else {
            r.missed.push(item.id.clone());
        }
        if rank.is_some_and(|k| k < 3) {
            r.at_3 += 1;
        }
    }
    Ok(r)
}

/// An answer given as written from a document (a curated FAQ or form) that the labels do
/// not list for the item: the answer to a different question. `None` when the answer is
/// right, not curated, or the item has no label.
pub fn off_question(item: &Item, labels: &[Label], answer: &Answer) -> Option<String> {
    let label = labels.iter().find(|l| l.id == item.id)?;
    if !item.history.is_empty() {
        return None; // asked alone, a follow-up means something else
    }
    if answer.outcome != Outcome::Answered || answer.writer != WriterKind::Faq {
        return None;
    }
    let doc = &answer.citations.first()?.doc_id;
    (!label.docs.contains(doc)).then(|| doc.clone())
}

pub struct Report {
    pub passed: usize,
    pub failures: Vec<(Item, Answer, String)>,
    /// Every item with its answer, in order.
    pub answers: Vec<(Item, Answer)>,
}

/// Answers and grades every item.
pub fn run(assistant: &Assistant, items: &[Item], default_today: NaiveDate) -> Result<Report> {
    let mut report = Report {
        passed: 0,
        failures: Vec::new(),
        answers: Vec::new(),
    };
    for item in items {
        let today = item.today.unwrap_or(default_today);
        // The earlier messages of the conversation first, each read with the one before,
        // as the chat API does.
        let mut previous: Option<String> = None;
        for earlier in &item.history {
            let answer = assistant
                .answer(&Question::new(earlier, today)?.after(previous.as_deref()))
                .with_context(|| format!("answering the history of {}", item.id))?;
            if answer.writer != WriterKind::SmallTalk {
                previous = Some(
                    answer
                        .understood_as
                        .unwrap_or_else(|| crate::text::normalize(earlier)),
                );
            }
        }
        let question = Question::new(&item.question, today)
            .with_context(|| format!("{} is not a question the assistant accepts", item.id))?
            .after(previous.as_deref());
        let answer = assistant
            .answer(&question)
            .with_context(|| format!("answering {}", item.id))?;
        match grade(item, &answer) {
            None => report.passed += 1,
            Some(reason) => report.failures.push((item.clone(), answer.clone(), reason)),
        }
        report.answers.push((item.clone(), answer));
    }
    Ok(report)
}

/// What the chat API answers (the fields grading reads).
#[derive(Deserialize)]
struct ApiAnswer {
    session_id: String,
    outcome: Outcome,
    answer: String,
    writer: WriterKind,
    #[serde(default)]
    citations: Vec<crate::assistant::Citation>,
    confidence: f32,
    #[serde(default)]
    understood_as: Option<String>,
    language: crate::assistant::Language,
}

/// Answers and grades every item through the chat API of a running service at `base`:
/// each item in a new conversation, after its history. Items with `today` cannot be asked
/// so (the service asks on today's date) and are refused.
pub async fn run_api(base: &str, items: &[Item]) -> Result<Report> {
    if let Some(item) = items.iter().find(|i| i.today.is_some()) {
        bail!(
            "item {} has \"today\": the chat API answers on today's date; grade it without --api",
            item.id
        );
    }
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/chat", base.trim_end_matches('/'));
    let mut report = Report {
        passed: 0,
        failures: Vec::new(),
        answers: Vec::new(),
    };
    for item in items {
        let mut session: Option<String> = None;
        let mut last = None;
        for text in item.history.iter().chain(std::iter::once(&item.question)) {
            let response = client
                .post(&url)
                .json(&serde_json::json!({ "session_id": session, "message": text }))
                .send()
                .await
                .with_context(|| format!("asking {} at {url}", item.id))?;
            let status = response.status();
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                bail!("{}: the chat API answered {status}: {body}", item.id);
            }
            let answer: ApiAnswer = response
                .json()
                .await
                .with_context(|| format!("{}: reading the chat API's answer", item.id))?;
            session = Some(answer.session_id.clone());
            last = Some(answer);
        }
        let a = last.expect("every item asks its question");
        let answer = Answer {
            outcome: a.outcome,
            answer: a.answer,
            citations: a.citations,
            confidence: a.confidence,
            writer: a.writer,
            handoff_reason: None,
            number_removed: false,
            understood_as: a.understood_as,
            language: a.language,
        };
        match grade(item, &answer) {
            None => report.passed += 1,
            Some(reason) => report.failures.push((item.clone(), answer.clone(), reason)),
        }
        report.answers.push((item.clone(), answer));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(outcome: Outcome, text: &str) -> Answer {
        Answer {
            outcome,
            answer: text.into(),
            citations: vec![],
            confidence: 1.0,
            writer: WriterKind::Fixed,
            handoff_reason: None,
            number_removed: false,
            understood_as: None,
            language: crate::assistant::Language::Ja,
        }
    }

    fn item(expect: Expect, facts: &[&[&str]], must_not: &[&str]) -> Item {
        Item {
            id: "t".into(),
            question: "q".into(),
            expect,
            facts: facts
                .iter()
                .map(|g| g.iter().map(|s| s.to_string()).collect())
                .collect(),
            must_not: must_not.iter().map(|s| s.to_string()).collect(),
            today: None,
            history: Vec::new(),
        }
    }

    #[test]
    fn date_variants_and_normalisation() {
        let i = item(Expect::Answer, &[&["3月31日"], &["8:00"]], &[]);
        assert_eq!(
            grade(
                &i,
                &answer(Outcome::Answered, "締切は３/３１、８：００から")
            ),
            None
        );
        assert_eq!(
            grade(&i, &answer(Outcome::Answered, "締切は2021-03-31、8:00")),
            None
        );
        assert!(grade(&i, &answer(Outcome::Answered, "締切は3月30日、8:00")).is_some());
    }

    #[test]
    fn outcomes_and_must_not() {
        let d = item(Expect::Decline, &[], &["円です"]);
        assert_eq!(grade(&d, &answer(Outcome::Handoff, "担当者へ")), None);
        assert!(grade(&d, &answer(Outcome::Answered, "資料にありません")).is_some());
        assert!(grade(&d, &answer(Outcome::NoAnswer, "1 万 円です")).is_some());
        let h = item(Expect::Handoff, &[], &[]);
        assert!(grade(&h, &answer(Outcome::NoAnswer, "x")).is_some());
    }
}
