//! What Shikaku says in fixed words or as written: a curated answer (in the question's
//! language), the hand-over and "not in the sources" texts with the call center's number,
//! and the replies to small talk.

use chrono::NaiveDate;

use super::answer::{Citation, Language, Outcome, WriterKind, citation_of_doc};
use super::intent::{self, HandoffReason};
use super::{Answer, Assistant};
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
            text.push_str(&match language {
                Language::Ja => format!(
                    "\nなお、この締切（{}）は本日（{}）時点で既に過ぎています。",
                    wareki(deadline.date),
                    wareki(today)
                ),
                Language::En => format!(
                    "\nPlease note that this deadline ({}) has already passed as of today ({}).",
                    english_date(deadline.date),
                    english_date(today)
                ),
            });
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
        let lead = match (reason, language) {
            (HandoffReason::RequestedPerson, Language::Ja) => "担当者におつなぎします。",
            (HandoffReason::OwnCase, Language::Ja) => {
                "個別のお申込みの状況や変更は、シカクではお調べできないため、担当者がご案内します。"
            }
            (HandoffReason::RequestedPerson, Language::En) => "I will connect you with a person.",
            (HandoffReason::OwnCase, Language::En) => {
                "Shikaku cannot look up or change an individual application, so a person will help you."
            }
        };
        let text = format!("{lead}\n{}", self.contact_text(language));
        let citations = self.contact_citation().into_iter().collect();
        Answer {
            handoff_reason: Some(reason),
            ..Answer::new(Outcome::Handoff, text, citations, 1.0, WriterKind::Fixed)
        }
    }

    pub(super) fn no_answer(&self, coverage: f32, language: Language) -> Answer {
        let lead = match language {
            Language::Ja => {
                "申し訳ありません。ご質問の内容は、シカクが参照している資料では確認できませんでした。\
                 担当者がご案内しますので、お問い合わせください。"
            }
            Language::En => {
                "I'm sorry. I could not find this in the sources Shikaku refers to. \
                 A person at the call center can help you."
            }
        };
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
    const HELPS: &str = "顔認証付きカードリーダーの申込みや締切、補助、導入意向調査、ポスターなど、\
                         オンライン資格確認の資料にあることを出典とともにお答えします。";
    const HELPS_EN: &str = "I answer questions about online eligibility verification from the \
                            official sources, with citations: applying for face-recognition card \
                            readers, deadlines, the subsidy, the survey and posters.";
    match (kind, language) {
        (Greeting, Language::Ja) => format!("こんにちは、シカクです。{HELPS}ご質問をどうぞ。"),
        (Greeting, Language::En) => format!("Hello, this is Shikaku. {HELPS_EN} How can I help?"),
        (Thanks, Language::Ja) => {
            "どういたしまして。ほかにもご不明な点があれば、いつでもお尋ねください。".into()
        }
        (Thanks, Language::En) => {
            "You're welcome. If anything else is unclear, please ask at any time.".into()
        }
        (Goodbye, Language::Ja) => {
            "ご利用ありがとうございました。またいつでもお尋ねください。".into()
        }
        (Goodbye, Language::En) => {
            "Thank you for using Shikaku. Please ask again at any time.".into()
        }
        (WhoAreYou, Language::Ja) => format!(
            "シカクは、オンライン資格確認についてお答えするAIチャットボットです。{HELPS}\
             個別のご相談は担当者におつなぎします。"
        ),
        (WhoAreYou, Language::En) => format!(
            "Shikaku is an AI chatbot that answers questions about online eligibility \
             verification. {HELPS_EN} For your own case, I can connect you with a person."
        ),
    }
}
