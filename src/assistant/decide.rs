//! Deciding with the judge: a passage is given as the answer only when the judge says it
//! answers *this* question. When none does but the sources speak of its topic, the user is
//! told plainly what they do not say, then what they do say, with the source; otherwise
//! the usual "not in the sources" with the way to a person.

use anyhow::Result;
use chrono::NaiveDate;

use super::answer::{Answer, Citation, Language, Outcome, WriterKind, citation_of_hit};
use super::choice::{Bars, Choice, asks_only_whether, choose};
use super::{Assistant, ExtractiveWriter, rules};
use crate::judge::Judge;
use crate::judge::asks::{self, Ask};
use crate::judge::features::{gives_a_time_of_day, gives_what_is_asked};
use crate::knowledge::Kind;
use crate::search::Hit;
use crate::text::normalize;

/// How much of the question a passage's words must cover for it to be "on the topic":
/// then a reply that does not answer names what the sources do not say, and what they do.
const ON_TOPIC_COVERAGE: f32 = 0.3;
/// …or how close its nearest wording must be in meaning.
const ON_TOPIC_CLOSENESS: f32 = 0.9;

impl Assistant {
    /// One (normalised, understood) question's answer, checked by `judge`. Retrieval's
    /// decision stands when the judge agrees that its passage answers the question; when
    /// the judge finds the passage does not (below [`RETRIEVAL_KEPT`]), another passage the
    /// judge is sure of answers, or the user is told what the sources do not say; and a
    /// question retrieval could not answer is answered from a passage the judge is sure of.
    pub(super) fn decide_with_judge(
        &self,
        judge: &Judge,
        text: &str,
        today: NaiveDate,
        language: Language,
    ) -> Result<Answer> {
        let judged = self.judged(text)?;
        let retrieved = self.decide_by_retrieval(text, judged.hits.clone(), today, language)?;
        let bars = Bars {
            answers: judge.card().threshold,
            sure: judge.card().sure_threshold,
        };
        let decision = choose(
            text,
            &retrieved,
            &judged.hits,
            &judged.probabilities,
            bars,
            |doc| self.kb.get(doc).is_none_or(|d| d.valid_on(today)),
        );
        match decision.choice {
            Choice::Retrieved {
                confidence,
                drop_yes_no,
            } => {
                let mut answer = retrieved;
                if let Some(confidence) = confidence {
                    answer.confidence = confidence;
                }
                if drop_yes_no {
                    answer.answer = without_yes_or_no(&answer.answer);
                }
                Ok(answer)
            }
            Choice::Passage { hit, probability } => self.answer_from(
                hit,
                probability,
                &decision.ranked,
                judge,
                text,
                today,
                language,
            ),
            Choice::NotWhatWasAsked => Ok(self.not_what_was_asked(text, &judged.hits, language)),
            Choice::Handoff => Ok(retrieved),
        }
    }

    /// The answer from the passage the judge chose: a rule's arithmetic when one applies
    /// (dates against today, limits by facility), an FAQ or form summary as written, or a
    /// notice section in the model's words (verified) or quoted.
    #[allow(clippy::too_many_arguments)]
    fn answer_from(
        &self,
        hit: &Hit,
        probability: f32,
        ranked: &[(&Hit, f32)],
        judge: &Judge,
        text: &str,
        today: NaiveDate,
        language: Language,
    ) -> Result<Answer> {
        if language == Language::Ja
            && rules_may_answer(text)
            && let Some(rule) = rules::deadline_answer(&self.kb, text, today)
                .or_else(|| rules::units_answer(&self.kb, text))
                .or_else(|| rules::field_answer(&self.kb, text))
        {
            return Ok(Answer::new(
                Outcome::Answered,
                rule.text,
                self.cite_sources(&rule.sources),
                probability,
                WriterKind::Rule,
            ));
        }
        if let (Kind::Faq | Kind::Form, Some(doc)) =
            (hit.passage.kind, self.kb.get(&hit.passage.doc_id))
        {
            let mut answer = self.curated(doc, probability, today, language);
            if !asks_only_whether(text) {
                answer.answer = without_yes_or_no(&answer.answer);
            }
            return Ok(answer);
        }
        // A notice section, with the other sections the judge also finds answering.
        let sections: Vec<&Hit> = ranked
            .iter()
            .filter(|(h, p)| h.passage.kind == Kind::Notice && judge.answers(*p))
            .map(|(h, _)| *h)
            .take(2)
            .collect();
        if let Some(model) = self.model.as_ref().filter(|_| language == Language::Ja)
            && let Some(answer) = self.model_answer(model, text, &sections, probability)
        {
            return Ok(answer);
        }
        let draft = ExtractiveWriter.write(text, &sections, self.index.analyzer());
        Ok(match draft {
            Some(draft) => Answer::new(
                Outcome::Answered,
                match language {
                    Language::Ja => draft.text,
                    Language::En => format!("The sources say (in Japanese):\n{}", draft.text),
                },
                draft.used.iter().map(|h| citation_of_hit(h)).collect(),
                probability,
                WriterKind::Extractive,
            ),
            None => self.not_what_was_asked(text, std::slice::from_ref(hit), language),
        })
    }

    /// What to say when no passage answers the question: when the sources speak of its
    /// topic, that they do not say what is asked, then what they do say and where, and
    /// the call center; otherwise the usual "not in the sources".
    pub(super) fn not_what_was_asked(
        &self,
        text: &str,
        hits: &[Hit],
        language: Language,
    ) -> Answer {
        let Some(top) = hits.first().filter(|h| {
            h.coverage >= ON_TOPIC_COVERAGE || h.closeness.question >= ON_TOPIC_CLOSENESS
        }) else {
            return self.no_answer(0.0, language);
        };
        let doc = self.kb.get(&top.passage.doc_id);
        let topic = topic_of(top);
        let asked = asks::main_ask(text);
        // What they do say: the sentence closest to what is asked (context aside).
        let asking = super::parts::asking_sentence(self.index.analyzer(), text);
        let asking = asking.as_deref().unwrap_or(text);
        let said = doc
            .filter(|d| d.kind != Kind::Notice)
            .map(|d| match (language, &d.english) {
                (Language::En, Some(english)) => closest_sentence(&english.answer, asking),
                _ => closest_sentence(&d.body, asking),
            })
            .unwrap_or_else(|| closest_sentence(&top.passage.text, asking));
        // A date, an amount, a reason or a number the passage does give is not said to be
        // missing: the judge could not confirm that it answers, and the reply says so.
        let gives_it = match asks::asks_the_hour(text) {
            true => gives_a_time_of_day(&top.passage.text),
            false => asked.is_some_and(|a| {
                matches!(a, Ask::Cost | Ask::When | Ask::Why | Ask::Count)
                    && gives_what_is_asked(Some(a), &top.passage.text)
            }),
        };
        let lead = match language {
            Language::Ja if gives_it => format!(
                "資料の記載がご質問への答えになっているか、確かめられませんでした。\n\
                 資料には次のように書かれています：{said}\n\
                 詳しくは、コールセンターにお問い合わせください。"
            ),
            Language::En if gives_it => format!(
                "Shikaku could not confirm that the sources answer your question. What they say: {}\n\
                 For details, please contact the call center.",
                in_japanese_marked(said)
            ),
            Language::Ja => {
                let slot = match asks::asks_the_hour(text) {
                    true => Some("時刻"),
                    false => asked.and_then(Ask::japanese),
                };
                let missing = match slot {
                    // 「価格や費用」 already names the cost: not 「価格や費用の費用」.
                    Some(slot) if topic.contains(slot) => {
                        format!("{topic}についての記載はありません")
                    }
                    Some(slot) => format!("{topic}の{slot}についての記載はありません"),
                    None => format!("{topic}について、ご質問の点への記載はありません"),
                };
                format!(
                    "資料には、{missing}。\nなお、資料には次のように書かれています：{said}\n\
                     詳しくは、コールセンターにお問い合わせください。"
                )
            }
            Language::En => {
                let slot = match asks::asks_the_hour(text) {
                    true => Some("the time of day"),
                    false => asked.and_then(Ask::english),
                };
                let missing = match slot {
                    Some(slot) => format!("{slot} you ask about"),
                    None => "what you ask".to_string(),
                };
                format!(
                    "The sources Shikaku refers to do not state {missing}. What they do say: {}\n\
                     For details, please contact the call center.",
                    in_japanese_marked(said)
                )
            }
        };
        let mut citations: Vec<Citation> = vec![citation_of_hit(top)];
        let mut contact = self.no_answer(0.0, language);
        citations.append(&mut contact.citations);
        let contact_text = contact
            .answer
            .split_once('\n')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default();
        Answer::new(
            Outcome::NoAnswer,
            format!("{lead}\n{contact_text}"),
            citations,
            0.0,
            WriterKind::Fixed,
        )
    }
}

/// Whether a rule may answer: it computes a date, a number, or whether a form item is
/// required, so not a question that asks why, how much, where, who, how or how long.
pub(super) fn rules_may_answer(text: &str) -> bool {
    let found = asks::asks(&normalize(text));
    !Ask::ALL.iter().zip(found).any(|(a, f)| {
        f && matches!(
            a,
            Ask::Why | Ask::Cost | Ask::Where | Ask::Who | Ask::How | Ask::Duration
        )
    })
}

/// An FAQ's answer without the はい or いいえ it opens with: the yes or no of the FAQ's own
/// question, which is not the user's (「使えなくなる？」 is not answered 「はい」 by an FAQ
/// that asks 「使えますか」). The statement after it answers both.
fn without_yes_or_no(answer: &str) -> String {
    for opener in [
        "はい。",
        "はい、",
        "いいえ。",
        "いいえ、",
        "Yes. ",
        "Yes, ",
        "No. ",
        "No, ",
    ] {
        if let Some(rest) = answer.strip_prefix(opener) {
            let rest = rest.trim_start();
            let mut chars = rest.chars();
            return match chars.next() {
                Some(c) if c.is_ascii_lowercase() => {
                    c.to_ascii_uppercase().to_string() + chars.as_str()
                }
                _ => rest.to_string(),
            };
        }
    }
    answer.to_string()
}

/// What a passage is about, in its own words: an FAQ's title up to what it asks
/// (「ポータルサイトのアカウント登録は必要ですか」 → 「ポータルサイトのアカウント登録」), a
/// section's heading without its number.
fn topic_of(hit: &Hit) -> String {
    let title = match hit.passage.kind {
        Kind::Notice => hit.passage.section.clone().unwrap_or_default(),
        _ => hit.passage.title.clone(),
    };
    topic_in(&title)
}

/// The topic a title or heading names: up to its first particle outside quotes.
fn topic_in(title: &str) -> String {
    let title = title
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '　')
        .to_string();
    // The first particle outside quotes that ends the topic.
    let mut depth = 0i32;
    for (at, c) in title.char_indices() {
        match c {
            '「' | '『' | '（' | '(' => depth += 1,
            '」' | '』' | '）' | ')' => depth -= 1,
            _ => {}
        }
        let head = &title[..at];
        if depth == 0
            && head.chars().count() >= 2
            && ["について", "とは", "は", "を", "って", "が"]
                .iter()
                .any(|m| title[at..].starts_with(m))
        {
            return head.to_string();
        }
    }
    title
}

/// The sentence of `text` most like `question` (character bigrams; the first of equals),
/// without the はい or いいえ of another question or an apology: what a reply that cannot
/// answer quotes.
fn closest_sentence(text: &str, question: &str) -> String {
    let sentence = crate::text::sentences(text)
        .filter(|s| {
            !matches!(
                *s,
                "はい。" | "いいえ。" | "申し訳ありません。" | "Yes." | "No."
            )
        })
        .map(|s| (crate::judge::corpus::likeness(s, question), s))
        .fold(None::<(f64, &str)>, |best, (l, s)| match best {
            Some((b, _)) if b >= l => best,
            _ => Some((l, s)),
        })
        .map_or("", |(_, s)| s);
    sentence
        .trim_start_matches("はい、")
        .trim_start_matches("いいえ、")
        .trim_start_matches("Yes, ")
        .trim_start_matches("No, ")
        .to_string()
}

/// A quote for an English reply, marked when it is in Japanese.
fn in_japanese_marked(said: String) -> String {
    match said.chars().any(crate::text::is_japanese) {
        true => format!("(in Japanese) {said}"),
        false => said,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_is_the_title_up_to_its_first_particle_outside_quotes() {
        assert_eq!(
            topic_in("ポータルサイトのアカウント登録は必要ですか"),
            "ポータルサイトのアカウント登録"
        );
        assert_eq!(topic_in("紙の申請書は「消印有効」ですか"), "紙の申請書");
        assert_eq!(topic_in("「消印有効」とは何ですか"), "「消印有効」");
        assert_eq!(topic_in("3 申込期限"), "申込期限");
    }

    #[test]
    fn the_sentence_quoted_is_the_closest_to_the_question_without_another_yes_or_no() {
        let body = "はい。就職・転職・引越をしても、健康保険証としてずっと使えます。ただし、医療保険者への加入の届出は引き続き必要です。";
        assert_eq!(
            closest_sentence(body, "患者さんは保険者への届出もいらなくなるんですか"),
            "ただし、医療保険者への加入の届出は引き続き必要です。"
        );
        assert_eq!(
            closest_sentence(body, "転職しても使えますか"),
            "就職・転職・引越をしても、健康保険証としてずっと使えます。"
        );
        assert_eq!(
            closest_sentence("いいえ、不要です。", "要りますか"),
            "不要です。"
        );
    }

    #[test]
    fn a_yes_or_no_of_the_faqs_own_question_is_dropped() {
        assert_eq!(
            without_yes_or_no("はい、ずっと使えます。"),
            "ずっと使えます。"
        );
        assert_eq!(without_yes_or_no("いいえ。不要です。"), "不要です。");
        assert_eq!(without_yes_or_no("Yes, you can."), "You can.");
        assert_eq!(
            without_yes_or_no("はがきで届きます。"),
            "はがきで届きます。"
        );
    }
}
