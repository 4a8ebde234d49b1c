//! `Assistant::answer` is the only place that decides what Shikaku says.
//!
//! Order of decisions: remove individual numbers → hand over to a person when asked (or
//! when the question is about the user's own case) → rules that are arithmetic (deadlines,
//! unit limits, required form items) → retrieval: a strongly matching FAQ as written, else
//! a draft of the local model that the verifier accepts, else an extractive answer from the
//! best notice section → otherwise an honest "not in the sources" with the way to a person.

mod answer;
mod builder;
mod choice;
pub mod compose;
mod decide;
mod echo;
pub mod followup;
pub mod intent;
mod judged;
mod kana;
pub mod language;
mod parts;
mod question;
mod ranked;
mod replies;
pub mod rules;
pub mod verify;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

pub use crate::domain::Channel;
use crate::knowledge::{Kind, KnowledgeBase};
use crate::search::{Fusion, Hit, SearchIndex};
use crate::text::{normalize, privacy};
use answer::citation_of_hit;
pub use answer::{Answer, Citation, Language, Outcome, WriterKind};
pub use builder::Builder;
pub use compose::{ExtractiveWriter, ModelWriter};
pub use intent::HandoffReason;
use question::without_markup;
pub use question::{MAX_QUESTION_CHARS, Question, QuestionError, validate};

/// How many passages retrieval looks at.
const CANDIDATES: usize = 8;
/// Questions the knowledge base answers, suggested before the first question (the demo
/// page's chips, the messaging channels' greeting).
pub const STARTER_QUESTIONS: &[&str] = &[
    "カードリーダーの申込み締切は？",
    "紙の申請書はどこに送りますか",
    "コールセンターの電話番号は？",
];
/// A related question must share this much of the user's question (weighted by rarity).
const RELATED_MIN_COVERAGE: f32 = 0.3;

/// What happened to the model's drafts so far.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DraftStats {
    pub written: usize,
    /// Rejected drafts by reason (see [`verify::Rejection::kind`]).
    pub rejected: BTreeMap<&'static str, usize>,
}

/// Questions whose judgements are kept per generation (see `judged`).
const RECENTLY_JUDGED: usize = 1024;

pub struct Assistant {
    kb: Arc<KnowledgeBase>,
    index: SearchIndex,
    /// Shared by every release's assistant: one model, one queue, one set of counts.
    model: Option<Arc<ModelWriter>>,
    extractive: ExtractiveWriter,
    drafts: Arc<Mutex<DraftStats>>,
    /// The knowledge base's words by reading, for questions typed in kana alone.
    kana: kana::KanaWords,
    /// The phone numbers and addresses the knowledge base gives (see `echo`).
    known_contacts: echo::KnownContacts,
    /// Decides whether a passage answers the question (shared by every release).
    judge: Option<Arc<crate::judge::Judge>>,
    /// The judge's view of the questions last asked (see `judged`).
    recently_judged: crate::search::recent::Recent<Arc<judged::Judged>>,
}

impl Assistant {
    pub fn new(kb: Arc<KnowledgeBase>, index: SearchIndex) -> Self {
        Assistant {
            kana: kana::KanaWords::new(&kb, index.analyzer()),
            known_contacts: echo::KnownContacts::of(&kb),
            judge: None,
            recently_judged: crate::search::recent::Recent::new(RECENTLY_JUDGED),
            kb,
            index,
            model: None,
            extractive: ExtractiveWriter,
            drafts: Arc::default(),
        }
    }

    /// This assistant, deciding with `judge` whether a passage answers (see `decide`).
    pub fn judged_by(mut self, judge: Option<Arc<crate::judge::Judge>>) -> Assistant {
        self.judge = judge;
        self.recently_judged.clear();
        self
    }

    /// The loaded model's name, if a model is on.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_ref().map(|m| m.model_name())
    }

    /// The embedding model's file, when retrieval also goes by meaning.
    pub fn embedder_name(&self) -> Option<&str> {
        self.index.embedder_name()
    }

    pub fn draft_stats(&self) -> DraftStats {
        self.drafts.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn knowledge(&self) -> &KnowledgeBase {
        &self.kb
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    pub fn answer(&self, question: &Question<'_>) -> Result<Answer> {
        self.answer_streaming(question, &mut |_| {})
    }

    /// [`Assistant::answer`], handing its text to `on_token` once it is final, whoever
    /// wrote it. Only the answer is ever handed over, never a model's draft: a draft is not
    /// an answer until the verifier accepts it, and one it rejects must not have been read.
    pub fn answer_streaming(
        &self,
        question: &Question<'_>,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<Answer> {
        let redacted = privacy::redact(&without_markup(&normalize(question.text)));
        let text = redacted.text.as_str();
        let previous = question
            .previous
            .map(|p| privacy::redact(&without_markup(&normalize(p))).text);
        let mut answer = self.respond(text, previous.as_deref(), question.today)?;
        // Nothing the user wrote comes back as the bot's own contact details.
        let users = format!(
            "{}\n{}",
            question.text,
            question.previous.unwrap_or_default()
        );
        answer.answer = echo::guard(&answer.answer, &users, &self.known_contacts);
        if redacted.removed {
            answer.number_removed = true;
            let notice = crate::copy::text(answer.language, crate::copy::Key::NumberRemoved);
            answer.answer = format!("{notice}\n{}", answer.answer);
        }
        on_token(&answer.answer);
        Ok(answer)
    }

    /// The question as Shikaku understands it, in the conversation: a follow-up read with
    /// the previous question (see `followup`), without a connective that opens it, in the
    /// sources' spelling when typed in kana alone. What `ask --explain` shows.
    pub fn understand(&self, question: &Question<'_>) -> String {
        let text = privacy::redact(&without_markup(&normalize(question.text))).text;
        let previous = question
            .previous
            .map(|p| privacy::redact(&without_markup(&normalize(p))).text);
        self.understood(&text, previous.as_deref())
    }

    /// A message as answering reads it: normalised, markup and 12-digit numbers removed,
    /// read with the previous question (a follow-up), in the sources' spelling.
    pub(super) fn prepared(&self, message: &str, previous: Option<&str>) -> String {
        let text = privacy::redact(&without_markup(&normalize(message))).text;
        let previous = previous.map(|p| privacy::redact(&without_markup(&normalize(p))).text);
        self.understood(&text, previous.as_deref())
    }

    /// [`Assistant::understand`] of a normalised, redacted message.
    fn understood(&self, text: &str, previous: Option<&str>) -> String {
        let resolved = previous
            .and_then(|p| followup::resolve(self.index.analyzer(), &self.kb.glossary, text, p));
        // A connective says nothing about the question: 「じゃあ紙で出すときの締切は？」.
        let understood =
            resolved.unwrap_or_else(|| followup::without_connective(text).0.to_string());
        self.kana.restore(&understood).unwrap_or(understood)
    }

    /// Decides what to say to a (normalised, redacted) message: a person, small talk, the
    /// language, a follow-up read with `previous`, and each question it asks.
    fn respond(&self, text: &str, previous: Option<&str>, today: NaiveDate) -> Result<Answer> {
        let language = match language::detect(text) {
            language::Written::In(language) => language,
            language::Written::Other => {
                return Ok(Answer::new(
                    Outcome::NoAnswer,
                    language::OTHER_LANGUAGE_REPLY.to_string(),
                    Vec::new(),
                    0.0,
                    WriterKind::Fixed,
                ));
            }
        };
        let mut answer = self.respond_in(text, previous, today, language)?;
        answer.language = language;
        Ok(answer)
    }

    fn respond_in(
        &self,
        text: &str,
        previous: Option<&str>,
        today: NaiveDate,
        language: Language,
    ) -> Result<Answer> {
        if let Some(reason) = intent::handoff_reason(text) {
            return Ok(self.handoff(reason, language));
        }
        if let Some(kind) = intent::small_talk(text) {
            return Ok(Answer::new(
                Outcome::Answered,
                replies::small_talk_reply(kind, language),
                Vec::new(),
                1.0,
                WriterKind::SmallTalk,
            ));
        }
        let understood = self.understood(text, previous);
        let understood = understood.as_str();
        let parts = parts::split(self.index.analyzer(), understood);
        let mut answer = match self.answer_parts(&parts, today, language)? {
            Some(answer) => answer,
            None => self.decide(understood, today, language)?,
        };
        // What a follow-up will be read with: the whole question as understood, never one
        // of its parts.
        if understood != text || answer.writer == WriterKind::Parts {
            answer.understood_as = Some(understood.to_string());
        }
        Ok(answer)
    }

    /// A draft of the model that the verifier accepts, or `None` (the reason is logged and
    /// counted).
    fn model_answer(
        &self,
        model: &ModelWriter,
        text: &str,
        context: &[&Hit],
        coverage: f32,
    ) -> Option<Answer> {
        let draft = model.draft(text, context)?;
        let sources: Vec<&str> = context.iter().map(|h| h.passage.text.as_str()).collect();
        let evidence = verify::Evidence::new(&sources);
        let mut stats = self.drafts.lock().ok()?;
        match verify::verify(&draft.text, text, &evidence, &[]) {
            Ok(()) => {
                stats.written += 1;
                tracing::info!(writer = "model", prompt = %model.prompt.version, "answered by the model");
                Some(Answer::new(
                    Outcome::Answered,
                    draft.text,
                    draft.used.iter().map(|h| citation_of_hit(h)).collect(),
                    coverage,
                    WriterKind::Model,
                ))
            }
            Err(rejection) => {
                *stats.rejected.entry(rejection.kind()).or_default() += 1;
                tracing::info!(prompt = %model.prompt.version, reason = %rejection, "model draft rejected");
                None
            }
        }
    }

    /// Up to `n` other questions the knowledge base answers, near this one: FAQ titles
    /// retrieval finds, less the documents the answer already cites. Offered to the user as
    /// quick replies on messaging channels.
    pub fn related_questions(
        &self,
        question: &str,
        cited: &[Citation],
        n: usize,
    ) -> Result<Vec<String>> {
        let mut related: Vec<String> = Vec::new();
        for hit in self.retrieve_for(question)? {
            let p = &hit.passage;
            if p.kind == Kind::Faq
                && hit.coverage >= RELATED_MIN_COVERAGE
                && !cited.iter().any(|c| c.doc_id == p.doc_id)
                && !related.contains(&p.title)
            {
                related.push(p.title.clone());
                if related.len() == n {
                    break;
                }
            }
        }
        Ok(related)
    }

    /// What retrieval finds for a question as the user typed it (for `ask --explain`).
    pub fn retrieve_for(&self, question: &str) -> Result<Vec<Hit>> {
        self.retrieve(&privacy::redact(&without_markup(&normalize(question))).text)
    }

    /// [`Assistant::retrieve_for`] with the rankings fused as `fusion` says (to measure).
    pub fn retrieve_with(&self, question: &str, fusion: Fusion) -> Result<Vec<Hit>> {
        let text = privacy::redact(&without_markup(&normalize(question))).text;
        let expansions = self.kb.glossary.expansions(&text);
        self.index
            .search_with(&text, &expansions, CANDIDATES, fusion)
    }

    /// The passages retrieval finds for a (normalised, redacted) question, best first.
    fn retrieve(&self, text: &str) -> Result<Vec<Hit>> {
        let expansions = self.kb.glossary.expansions(text);
        self.index.search(text, &expansions, CANDIDATES)
    }
}
