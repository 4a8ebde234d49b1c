//! What Shikaku says in fixed words or as written: a curated answer (in the question's
//! language), the hand-over and "not in the sources" texts with the call center's number,
//! and the replies to small talk.

use chrono::NaiveDate;

use super::answer::{Citation, Language, Outcome, WriterKind, citation_of_doc};
use super::intent::{self, HandoffReason};
use super::{Answer, Assistant};
use crate::copy::{self, Key};
use crate::knowledge::{Document, FaqOutcome, SourceRef};
use crate::text::dates::{english_date, wareki};

impl Assistant {
    /// A curated answer as written (its English version for an English question), with a
    /// note when its deadline has passed.
    pub(super) fn curated(
        &self,
        doc: &Document,
        coverage: f32,
        today: NaiveDate,
        language: Language,
    ) -> Answer {
        let mut text = match (language, &doc.english) {
            (Language::En, Some(english)) => english.answer.clone(),
            (Language::En, None) => {
                format!("This answer is available in Japanese only:\n{}", doc.body)
            }
            (Language::Ja, _) => doc.body.clone(),
        };
        if let Some(deadline) = doc.deadline.as_deref().and_then(|id| self.kb.deadline(id))
            && today > deadline.date
        {
            let (deadline, today) = match language {
                Language::Ja => (wareki(deadline.date), wareki(today)),
                Language::En => (english_date(deadline.date), english_date(today)),
            };
            text.push('\n');
            text.push_str(&copy::filled(
                language,
                Key::DeadlinePassed,
                &[("deadline", &deadline), ("today", &today)],
            ));
        }
        let mut citations = vec![citation_of_doc(doc)];
        citations.extend(self.cite_sources(&doc.sources));
        let outcome = match doc.outcome {
            FaqOutcome::Answer => Outcome::Answered,
            FaqOutcome::NoAnswer => {
                text.push('\n');
                text.push_str(&self.contact_text(language));
                citations.extend(self.contact_citation());
                Outcome::NoAnswer
            }
        };
        Answer::new(outcome, text, citations, coverage, WriterKind::Faq)
    }

    pub(super) fn handoff(&self, reason: HandoffReason, language: Language) -> Answer {
        let lead = copy::text(
            language,
            match reason {
                HandoffReason::RequestedPerson => Key::HandoffRequested,
                HandoffReason::OwnCase => Key::HandoffOwnCase,
            },
        );
        let text = format!("{lead}\n{}", self.contact_text(language));
        let citations = self.contact_citation().into_iter().collect();
        Answer {
            handoff_reason: Some(reason),
            ..Answer::new(Outcome::Handoff, text, citations, 1.0, WriterKind::Fixed)
        }
    }

    pub(super) fn no_answer(&self, coverage: f32, language: Language) -> Answer {
        let lead = copy::text(language, Key::NoAnswer);
        let text = format!("{lead}\n{}", self.contact_text(language));
        let citations = self.contact_citation().into_iter().collect();
        Answer::new(
            Outcome::NoAnswer,
            text,
            citations,
            coverage,
            WriterKind::Fixed,
        )
    }

    /// The call center's number and hours, as the contact FAQ states them.
    fn contact_text(&self, language: Language) -> String {
        self.kb
            .contact()
            .map(|d| match (language, &d.english) {
                (Language::En, Some(english)) => english.answer.clone(),
                _ => d.body.clone(),
            })
            .unwrap_or_default()
    }

    fn contact_citation(&self) -> Option<Citation> {
        self.kb.contact().map(citation_of_doc)
    }

    pub(super) fn cite_sources(&self, sources: &[SourceRef]) -> Vec<Citation> {
        let mut out: Vec<Citation> = Vec::new();
        for s in sources {
            if let Some((doc, section)) = self.kb.section(s) {
                let c = Citation {
                    doc_id: doc.id.clone(),
                    title: doc.title.clone(),
                    section: Some(section.heading.clone()),
                    section_id: Some(section.id.clone()),
                };
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// What Shikaku says to small talk: short, polite, and what it can help with.
pub(super) fn small_talk_reply(kind: intent::SmallTalk, language: Language) -> String {
    use intent::SmallTalk::*;
    let key = match kind {
        Greeting => Key::SmallTalkGreeting,
        Thanks => Key::SmallTalkThanks,
        Goodbye => Key::SmallTalkGoodbye,
        WhoAreYou => Key::SmallTalkWhoAreYou,
    };
    let helps = copy::text(language, Key::WhatIAnswer);
    copy::filled(language, key, &[("helps", helps)])
}
