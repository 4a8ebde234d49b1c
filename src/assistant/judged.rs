//! The candidates of a question as the judge sees them: what retrieval finds (the same
//! passages, read the same way, for answering and for training), each with its features
//! and, with a judge on, the probability that it answers the question.

use std::sync::Arc;

use anyhow::Result;

use super::Assistant;
use crate::judge::features::{QuestionView, features};
use crate::judge::memory::Memory;
use crate::search::Hit;

/// A question's candidates, best retrieved first, with what the judge said of each.
pub struct Judged {
    pub hits: Vec<Hit>,
    /// One per hit; empty without a judge.
    pub probabilities: Vec<f32>,
}

impl Assistant {
    /// The features of a (normalised, redacted, understood) question's candidates: those
    /// retrieval finds, and the passages at positions `also` (training adds the passages
    /// that answer it when retrieval missed them). `dim` is the meaning vectors' width.
    pub fn candidate_features(
        &self,
        text: &str,
        also: &[usize],
        dim: usize,
        memory: Option<(&Memory, Option<usize>)>,
    ) -> Result<(Vec<Hit>, Vec<Vec<f32>>)> {
        let mut hits = self.retrieve(text)?;
        let missing: Vec<usize> = also
            .iter()
            .copied()
            .filter(|ord| !hits.iter().any(|h| h.ord == *ord))
            .collect();
        if !missing.is_empty() {
            let expansions = self.kb.glossary.expansions(text);
            hits.extend(self.index.hits_at(text, &expansions, &missing)?);
        }
        let view = QuestionView::new(&self.index, text)?;
        let rows = features(&self.index, &view, &hits, dim, memory)?;
        Ok((hits, rows))
    }

    /// The same for a question as a user typed it: read as answering reads it.
    pub fn candidate_features_for(
        &self,
        question: &str,
        also: &[usize],
        dim: usize,
        memory: Option<(&Memory, Option<usize>)>,
    ) -> Result<(Vec<Hit>, Vec<Vec<f32>>)> {
        let text = self.prepared(question, None);
        self.candidate_features(&text, also, dim, memory)
    }

    /// A question's meaning vector as answering reads it (`None` without the embedding
    /// model): what the judge remembers of a labelled question.
    pub fn question_vector_for(&self, question: &str) -> Result<Option<Vec<f32>>> {
        let text = self.prepared(question, None);
        Ok(self.index.question_vector(&text)?.map(|q| q.vector.clone()))
    }

    /// The judge's view of a (normalised, understood) question's candidates; without a
    /// judge, the candidates alone. What `ask --explain` shows. Kept for a question asked
    /// again: its features take milliseconds, and they depend only on the text and this
    /// release's knowledge base.
    pub fn judged(&self, text: &str) -> Result<Arc<Judged>> {
        let Some(judge) = &self.judge else {
            return Ok(Arc::new(Judged {
                hits: self.retrieve(text)?,
                probabilities: Vec::new(),
            }));
        };
        self.recently_judged.get_or_try(text, || {
            let (hits, rows) =
                self.candidate_features(text, &[], judge.dim(), Some((judge.memory(), None)))?;
            let probabilities = judge.probabilities(&rows)?;
            Ok(Arc::new(Judged {
                hits,
                probabilities,
            }))
        })
    }

    /// Forgets what was kept of the questions seen so far (their words, vectors and
    /// judgements): the next is answered as a new one (the benchmark's "new question").
    pub fn forget_questions(&self) {
        self.index.forget_questions();
        self.recently_judged.clear();
    }

    /// The judge's weights file, when a judge decides what answers (for `/readyz`).
    pub fn judge_file(&self) -> Option<&str> {
        self.judge.as_deref().and_then(|j| j.path().to_str())
    }

    /// The meaning vectors' width of this assistant's index (0 without the embedding model).
    pub fn vector_dim(&self) -> usize {
        self.index.vector_dim()
    }
}
