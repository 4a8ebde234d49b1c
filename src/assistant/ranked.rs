//! Deciding by retrieval's scores: rules first, then the passage the word and meaning
//! rankings agree on, or the best-scoring one that covers the question, written as its FAQ
//! says or by the model. What the judge decides with runs on top of this (`decide.rs`).

use anyhow::Result;
use chrono::NaiveDate;

use super::answer::{Answer, Language, Outcome, WriterKind, citation_of_hit};
use super::{Assistant, decide, rules};
use crate::knowledge::Kind;
use crate::search::Hit;
use crate::text::{is_japanese, normalize};

/// A passage must cover this share of the question for its FAQ to be used as written.
const FAQ_MIN_COVERAGE: f32 = 0.55;
/// An FAQ first by words and by meaning needs this share of the question's words.
const AGREED_MIN_COVERAGE: f32 = 0.2;
/// How close (cosine, multilingual-e5) a question must be to an FAQ's wording for the
/// meaning ranking to vouch for it.
const MEANING_SURE: f32 = 0.9;
/// Closeness this near the closest is a tie: e5's cosines differ by this much between
/// wordings of one question.
const MEANING_TIE: f32 = 0.01;
/// An English question whose FAQ is not the closest in meaning needs a BM25 score this
/// many times any other passage's.
const WORDS_CLEAR_LEAD: f32 = 1.5;
/// Below this share nothing in the knowledge base answers the question.
const ANSWER_MIN_COVERAGE: f32 = 0.5;
impl Assistant {
    /// Rules, then the passages retrieval found (`hits`): the answer as retrieval's scores
    /// decide it.
    pub(super) fn decide_by_retrieval(
        &self,
        text: &str,
        mut hits: Vec<Hit>,
        today: NaiveDate,
        language: Language,
    ) -> Result<Answer> {
        // The rules write Japanese; an English question gets the FAQ in English. A rule
        // computes a date, a number or whether an item is required: a question that asks
        // why, how much, where, who, how or how long is not its question.
        let rule = match language {
            Language::Ja if decide::rules_may_answer(text) => {
                rules::deadline_answer(&self.kb, text, today)
                    .or_else(|| rules::units_answer(&self.kb, text))
                    .or_else(|| rules::field_answer(&self.kb, text))
            }
            _ => None,
        };
        if let Some(rule) = rule {
            return Ok(Answer::new(
                Outcome::Answered,
                rule.text,
                self.cite_sources(&rule.sources),
                1.0,
                WriterKind::Rule,
            ));
        }
        // A document outside its validity period does not answer, nor one about another
        // facility type, maker or day than the question names.
        hits.retain(|h| {
            self.kb
                .get(&h.passage.doc_id)
                .is_none_or(|d| d.valid_on(today))
        });
        hits.retain(|h| {
            let about = normalize(&format!("{}\n{}", h.passage.questions, h.passage.text));
            let glossary = &self.kb.glossary;
            let asks_otherwise = match h.passage.kind {
                Kind::Notice => None,
                Kind::Faq | Kind::Form => glossary.asks_otherwise(text, &h.passage.questions),
            };
            match glossary.disagreement(text, &about).or(asks_otherwise) {
                Some(d) => {
                    tracing::debug!(doc = %h.passage.doc_id, "passed over: {d}");
                    false
                }
                None => true,
            }
        });
        // Words and meaning agreeing on one FAQ outweigh words the sources never use: first
        // by both, it is the answer; first by words and tied by meaning, it answers when
        // nothing surer does.
        // Not when the question names something the sources never do (「シャープの…」).
        let triggers: Vec<&str> = self
            .kb
            .glossary
            .expansions(text)
            .iter()
            .map(|e| e.trigger)
            .collect();
        let unknown = self.index.unknown_nouns(text, &triggers);
        if !unknown.is_empty() {
            tracing::debug!(?unknown, "words the sources never use");
        }
        let agreeing = |tie: f32| {
            hits.iter().find(|h| {
                unknown.is_empty()
                    && h.passage.kind != Kind::Notice
                    && self.rankings_agree(h, &hits, tie)
            })
        };
        // English reaches the words only through the glossary: no tie is enough for it.
        let tie = match language {
            Language::Ja => MEANING_TIE,
            Language::En => 0.0,
        };
        let (agreed, tied) = (agreeing(0.0), agreeing(tie));
        let sure = |h: &Hit| {
            (h.coverage >= FAQ_MIN_COVERAGE && self.meaning_agrees(text, h, &hits))
                || tied.is_some_and(|a| std::ptr::eq(a, h))
        };
        let Some(best) = agreed.or_else(|| choose(&hits)).or(tied) else {
            return Ok(self.no_answer(hits.first().map_or(0.0, |h| h.coverage), language));
        };
        let best = match tied {
            Some(tied) if !sure(best) => tied,
            _ => best,
        };
        let doc = self.kb.get(&best.passage.doc_id);
        match (best.passage.kind, doc) {
            (Kind::Faq | Kind::Form, Some(doc)) if sure(best) => {
                Ok(self.curated(doc, best.coverage, today, language))
            }
            _ => {
                let passages: Vec<&Hit> = hits
                    .iter()
                    .filter(|h| h.passage.kind == Kind::Notice && h.coverage >= ANSWER_MIN_COVERAGE)
                    .take(2)
                    .collect();
                // The model writes Japanese: English questions get the sources' words.
                if let Some(model) = self.model.as_ref().filter(|_| language == Language::Ja) {
                    // The model reads the matched FAQ answer, when there is one, and the sections.
                    let mut context: Vec<&Hit> = Vec::new();
                    if best.passage.kind != Kind::Notice {
                        context.push(best);
                    }
                    context.extend(passages.iter().copied());
                    if let Some(answer) = self.model_answer(model, text, &context, best.coverage) {
                        return Ok(answer);
                    }
                }
                match self
                    .extractive
                    .write(text, &passages, self.index.analyzer())
                {
                    Some(draft) => Ok(Answer::new(
                        Outcome::Answered,
                        match language {
                            Language::Ja => draft.text,
                            Language::En => {
                                format!("The sources say (in Japanese):\n{}", draft.text)
                            }
                        },
                        draft.used.iter().map(|h| citation_of_hit(h)).collect(),
                        best.coverage,
                        WriterKind::Extractive,
                    )),
                    None => Ok(self.no_answer(best.coverage, language)),
                }
            }
        }
    }

    /// Whether both rankings put this FAQ first: the highest BM25 score of all, the closest
    /// question wording of all FAQs (or tied with it), and close in meaning. A question in the user's own
    /// words (「保存されちゃうの？」) then needs only part of its words in the FAQ.
    fn rankings_agree(&self, hit: &Hit, hits: &[Hit], tie: f32) -> bool {
        self.index.has_vectors()
            && hit.coverage >= AGREED_MIN_COVERAGE
            && hit.closeness.question >= MEANING_SURE
            && hits.iter().all(|h| h.bm25 <= hit.bm25)
            && hits
                .iter()
                .filter(|h| h.passage.kind != Kind::Notice)
                .all(|h| h.closeness.question <= hit.closeness.question + tie)
    }

    /// Whether the meaning ranking bears out an FAQ chosen by words. A question without
    /// Japanese matches the knowledge base's words through the glossary and the FAQs'
    /// English wordings, short texts where a few shared words go far: its FAQ must also be
    /// the one closest in meaning, or lead by words clearly. Japanese questions (and
    /// retrieval without vectors) need no more than their words.
    fn meaning_agrees(&self, text: &str, chosen: &Hit, hits: &[Hit]) -> bool {
        if !self.index.has_vectors() || text.chars().any(is_japanese) {
            return true;
        }
        let clear_lead = hits
            .iter()
            .filter(|h| !std::ptr::eq(*h, chosen))
            .all(|h| h.bm25 * WORDS_CLEAR_LEAD <= chosen.bm25);
        clear_lead
            || hits
                .iter()
                .filter(|h| h.passage.kind != Kind::Notice)
                .all(|h| h.closeness.question <= chosen.closeness.question)
    }
}

/// The passage to answer from: the best-scoring one, unless an FAQ close behind it covers
/// the question as well (a curated answer reads better than a quote).
fn choose(hits: &[Hit]) -> Option<&Hit> {
    let top = hits.first()?;
    let best = hits
        .iter()
        .take(4)
        .filter(|h| h.coverage >= ANSWER_MIN_COVERAGE)
        .max_by(|a, b| rank(a, top).total_cmp(&rank(b, top)))?;
    Some(best)
}

/// Score relative to the top hit, and coverage, weighed together; curated answers first.
fn rank(hit: &Hit, top: &Hit) -> f32 {
    let relative = if top.score > 0.0 {
        hit.score / top.score
    } else {
        0.0
    };
    let curated = if hit.passage.kind == Kind::Notice {
        0.0
    } else {
        0.15
    };
    relative + 1.5 * hit.coverage + 0.5 * hit.question_match + curated
}
