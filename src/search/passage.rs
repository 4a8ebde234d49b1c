//! The unit of retrieval: a passage per FAQ, per notice section, per form document, as
//! the knowledge base gives them.

use crate::knowledge::{Kind, KnowledgeBase};

/// A unit of retrieval.
#[derive(Debug, Clone)]
pub struct Passage {
    pub doc_id: String,
    pub section_id: Option<String>,
    pub kind: Kind,
    pub title: String,
    /// The section heading, for notice sections.
    pub section: Option<String>,
    /// The questions, heading or title the passage answers, with its synonyms and tags.
    pub heading_text: String,
    /// The title and question wordings alone, one a line (the heading for a section).
    pub questions: String,
    /// The passage's text: an FAQ's answer, a section's body.
    pub text: String,
    /// The English title and question wordings, one a line (empty without an English
    /// version): English questions find the passage by them.
    pub english: String,
}

/// The passages of a knowledge base, in a stable order.
pub fn passages(kb: &KnowledgeBase) -> Vec<Passage> {
    let mut out = Vec::new();
    for doc in kb.docs() {
        match doc.kind {
            Kind::Notice => {
                for s in &doc.sections {
                    out.push(Passage {
                        doc_id: doc.id.clone(),
                        section_id: Some(s.id.clone()),
                        kind: doc.kind,
                        title: doc.title.clone(),
                        section: Some(s.heading.clone()),
                        heading_text: s.heading.clone(),
                        questions: s.heading.clone(),
                        text: s.body.clone(),
                        english: String::new(),
                    });
                }
            }
            Kind::Faq | Kind::Form => {
                let questions = std::iter::once(&doc.title)
                    .chain(&doc.questions)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("\n");
                let english = doc
                    .english
                    .iter()
                    .flat_map(|e| std::iter::once(&e.title).chain(&e.questions))
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("\n");
                let heading_text = std::iter::once(&doc.title)
                    .chain(&doc.questions)
                    .chain(&doc.synonyms)
                    .chain(&doc.tags)
                    .map(String::as_str)
                    .chain(english.lines())
                    .collect::<Vec<_>>()
                    .join("\n");
                out.push(Passage {
                    doc_id: doc.id.clone(),
                    section_id: None,
                    kind: doc.kind,
                    title: doc.title.clone(),
                    section: None,
                    heading_text,
                    questions,
                    text: doc.body.clone(),
                    english,
                });
            }
        }
    }
    out
}
