//! What an answer is made of: its outcome, who wrote it, and the documents it cites.

use serde::Serialize;

use super::intent::HandoffReason;
pub use crate::domain::{Language, Outcome, WriterKind};
use crate::knowledge::Document;
use crate::search::Hit;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Citation {
    pub doc_id: String,
    pub title: String,
    /// The section heading, for notice sections.
    pub section: Option<String>,
    /// The section's id (the anchor of its heading), for links to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Answer {
    pub outcome: Outcome,
    pub answer: String,
    pub citations: Vec<Citation>,
    /// 0–1: how much of the question the sources behind the answer cover.
    pub confidence: f32,
    pub writer: WriterKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff_reason: Option<HandoffReason>,
    /// A 12-digit number was removed from the question before anything else saw it.
    pub number_removed: bool,
    /// The question as Shikaku understood it, when that differs from what was typed: a
    /// follow-up read with the previous question, or a message of several questions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub understood_as: Option<String>,
    /// The language of the answer (`ja`, `en`): the widget's own texts follow it.
    pub language: Language,
}

/// The languages Shikaku answers in.
impl Answer {
    /// An answer with no handoff reason and nothing removed from the question (the common case).
    pub(super) fn new(
        outcome: Outcome,
        answer: String,
        citations: Vec<Citation>,
        confidence: f32,
        writer: WriterKind,
    ) -> Self {
        Answer {
            outcome,
            answer,
            citations,
            confidence,
            writer,
            handoff_reason: None,
            number_removed: false,
            understood_as: None,
            language: Language::Ja,
        }
    }
}

pub(super) fn citation_of_doc(doc: &Document) -> Citation {
    Citation {
        doc_id: doc.id.clone(),
        title: doc.title.clone(),
        section: None,
        section_id: None,
    }
}

pub(super) fn citation_of_hit(hit: &Hit) -> Citation {
    Citation {
        doc_id: hit.passage.doc_id.clone(),
        title: hit.passage.title.clone(),
        section: hit.passage.section.clone(),
        section_id: hit.passage.section_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_and_counted_names_are_the_json_names() {
        for o in [Outcome::Answered, Outcome::Handoff, Outcome::NoAnswer] {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        for w in [
            WriterKind::Faq,
            WriterKind::Rule,
            WriterKind::Model,
            WriterKind::Extractive,
            WriterKind::Fixed,
            WriterKind::SmallTalk,
            WriterKind::Parts,
        ] {
            assert_eq!(serde_json::to_value(w).unwrap(), w.as_str());
        }
    }
}
