//! What the judge's reading decides, before a word is written: retrieval's answer stands,
//! another passage the judge is sure of answers, or none does. A pure selection over the
//! passages and their probabilities, so that each rule of it has a test of its own;
//! `decide.rs` writes the answer it chose.

use super::answer::{Answer, Outcome, WriterKind};
use crate::judge::asks;
use crate::judge::features::{gives_a_time_of_day, gives_what_is_asked};
use crate::search::Hit;

/// Retrieval's passage stays the answer when the judge gives it at least this: the judge
/// vetoes what it is sure does not answer, and otherwise leaves retrieval's choice (its
/// probabilities on casual wordings of what the sources say run low). Chosen on the
/// project's own sets (`tests/eval/`) and the shared development sets; see the README.
pub(super) const RETRIEVAL_KEPT: f32 = 0.05;

/// The judge's two bars (its card's `threshold` and `sure_threshold`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Bars {
    /// Retrieval's own first passage answers at this probability.
    pub answers: f32,
    /// Any other passage answers at this probability.
    pub sure: f32,
}

/// Which answer the question gets.
#[derive(Debug, Clone)]
pub(super) enum Choice<'a> {
    /// Retrieval's answer stands, with the judge's probability of its passage when it
    /// came from one; `drop_yes_no`: an FAQ's はい or いいえ is its own question's, not the
    /// user's.
    Retrieved {
        confidence: Option<f32>,
        drop_yes_no: bool,
    },
    /// A passage the judge is sure of answers instead.
    Passage { hit: &'a Hit, probability: f32 },
    /// No passage answers this question: the user is told what the sources do not say.
    NotWhatWasAsked,
    /// Retrieval hands the conversation over: that stands.
    Handoff,
}

/// Two choices are the same when they choose the same way (a passage: the same one).
impl PartialEq for Choice<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Choice::Retrieved {
                    confidence: a,
                    drop_yes_no: x,
                },
                Choice::Retrieved {
                    confidence: b,
                    drop_yes_no: y,
                },
            ) => a == b && x == y,
            (
                Choice::Passage {
                    hit: a,
                    probability: p,
                },
                Choice::Passage {
                    hit: b,
                    probability: q,
                },
            ) => std::ptr::eq(*a, *b) && p == q,
            (Choice::NotWhatWasAsked, Choice::NotWhatWasAsked) => true,
            (Choice::Handoff, Choice::Handoff) => true,
            _ => false,
        }
    }
}

/// The choice, and the passages still valid today by the judge's probability, highest
/// first (what an answer from a passage reads beside it).
pub(super) struct Decision<'a> {
    pub choice: Choice<'a>,
    pub ranked: Vec<(&'a Hit, f32)>,
}

/// What `text`'s answer is, given retrieval's `retrieved` answer and the judge's
/// `probabilities` of the `hits`; `valid` says whether a document applies today.
pub(super) fn choose<'a>(
    text: &str,
    retrieved: &Answer,
    hits: &'a [Hit],
    probabilities: &[f32],
    bars: Bars,
    valid: impl Fn(&str) -> bool,
) -> Decision<'a> {
    let probability = |doc: &str, section: Option<&str>| {
        hits.iter()
            .zip(probabilities)
            .filter(|(h, _)| {
                h.passage.doc_id == doc
                    && (section.is_none() || h.passage.section_id.as_deref() == section)
            })
            .map(|(_, p)| *p)
            .fold(0.0f32, f32::max)
    };
    let mut ranked: Vec<(&Hit, f32)> = hits
        .iter()
        .zip(probabilities.iter().copied())
        .filter(|(h, _)| valid(&h.passage.doc_id))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    // A question that asks how much, when, why or how many is not answered by a passage
    // that states no amount, date, reason or number, whatever else it shares with it
    // (「登録に手数料はかかりますか」 → 「まず登録を」).
    let main_ask = asks::main_ask(text).filter(|a| asks::asks_outright(*a, text));
    let asks_the_hour = asks::asks_the_hour(text);
    let may_answer = |passage: &str| {
        gives_what_is_asked(main_ask, passage) && (!asks_the_hour || gives_a_time_of_day(passage))
    };
    // The judge overrules retrieval's order only when sure; it answers from retrieval's
    // own first passage when that passage reaches the lower bar (retrieval found it first
    // but could not tell that it answers: 「4月に入ってから申し込めばええやろ…自己負担ゼロでいけます？」).
    let first = hits.first().map(|h| h.ord);
    let sure = ranked
        .iter()
        .find(|(h, p)| {
            let bar = if Some(h.ord) == first {
                bars.answers
            } else {
                bars.sure
            };
            *p >= bar && may_answer(&h.passage.text)
        })
        .map(|&(hit, probability)| Choice::Passage { hit, probability });
    let choice = match retrieved.outcome {
        Outcome::Handoff => Choice::Handoff,
        Outcome::NoAnswer => sure.unwrap_or(Choice::NotWhatWasAsked),
        Outcome::Answered => {
            // The passage retrieval answered from: an FAQ itself, a rule's and a quote's
            // first source.
            let from = retrieved.citations.first().map(|c| match retrieved.writer {
                WriterKind::Faq => (c.doc_id.as_str(), None),
                _ => (c.doc_id.as_str(), c.section_id.as_deref()),
            });
            // A rule computed its answer (a date against today, a limit by facility) for a
            // question that asks what it computes: the judge does not veto it, but it must
            // give what is asked (a date is not the hour 「何時まで」 asks).
            let agreed = may_answer(&retrieved.answer)
                && (retrieved.writer == WriterKind::Rule
                    || from
                        .is_none_or(|(doc, section)| probability(doc, section) >= RETRIEVAL_KEPT));
            if agreed {
                let confidence = from.map(|(doc, section)| probability(doc, section));
                // The FAQ's はい or いいえ is the user's only when they ask whether and the
                // judge finds the FAQ answers them, not merely does not veto it
                // (「コピーでも受け付けてもらえますか」 is not answered 「はい」 by an FAQ about
                // something else).
                let kept = confidence.unwrap_or(retrieved.confidence);
                let drop_yes_no = retrieved.writer == WriterKind::Faq
                    && !(asks_only_whether(text) && kept >= bars.answers);
                Choice::Retrieved {
                    confidence,
                    drop_yes_no,
                }
            } else {
                sure.unwrap_or(Choice::NotWhatWasAsked)
            }
        }
    };
    Decision { choice, ranked }
}

/// Whether the question asks only whether (はい or いいえ), and not what, when or why.
pub(super) fn asks_only_whether(text: &str) -> bool {
    use crate::judge::asks::Ask;
    let found = asks::asks(&crate::text::normalize(text));
    found[11]
        && Ask::ALL
            .iter()
            .zip(found)
            .all(|(a, f)| !f || matches!(a, Ask::YesNo | Ask::What | Ask::WhatIf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::Citation;
    use crate::knowledge::Kind;
    use crate::search::{Closeness, Passage};

    const BARS: Bars = Bars {
        answers: 0.3,
        sure: 0.8,
    };

    fn hit(ord: usize, doc: &str, text: &str) -> Hit {
        Hit {
            ord,
            passage: Passage {
                doc_id: doc.into(),
                section_id: None,
                kind: Kind::Faq,
                title: doc.into(),
                section: None,
                heading_text: String::new(),
                questions: String::new(),
                text: text.into(),
                english: String::new(),
            },
            score: 1.0,
            coverage: 1.0,
            question_match: 1.0,
            bm25: 1.0,
            closeness: Closeness::default(),
        }
    }

    fn answered(doc: &str, text: &str, writer: WriterKind) -> Answer {
        let citation = Citation {
            doc_id: doc.into(),
            title: doc.into(),
            section: None,
            section_id: None,
        };
        Answer::new(Outcome::Answered, text.into(), vec![citation], 0.9, writer)
    }

    fn no_answer() -> Answer {
        Answer::new(
            Outcome::NoAnswer,
            "記載がありません。".into(),
            Vec::new(),
            0.0,
            WriterKind::Fixed,
        )
    }

    const QUESTION: &str = "申請書の送り先はどこですか";
    const ADDRESS: &str = "申請書は支払基金へ郵送してください。";

    #[test]
    fn retrievals_answer_stands_unless_the_judge_vetoes_its_passage() {
        let hits = [hit(0, "faq-a", ADDRESS), hit(1, "faq-b", ADDRESS)];
        let retrieved = answered("faq-a", ADDRESS, WriterKind::Faq);
        let d = choose(QUESTION, &retrieved, &hits, &[0.2, 0.1], BARS, |_| true);
        assert_eq!(
            d.choice,
            Choice::Retrieved {
                confidence: Some(0.2),
                drop_yes_no: true
            }
        );
        // Below RETRIEVAL_KEPT the judge vetoes it; nothing else is sure: none answers.
        let d = choose(QUESTION, &retrieved, &hits, &[0.01, 0.5], BARS, |_| true);
        assert_eq!(d.choice, Choice::NotWhatWasAsked);
        // …unless another passage reaches the sure bar.
        let d = choose(QUESTION, &retrieved, &hits, &[0.01, 0.9], BARS, |_| true);
        assert_eq!(
            d.choice,
            Choice::Passage {
                hit: &hits[1],
                probability: 0.9
            }
        );
    }

    #[test]
    fn retrievals_first_passage_answers_at_the_lower_bar_and_others_at_the_sure_one() {
        let hits = [hit(0, "faq-a", ADDRESS), hit(1, "faq-b", ADDRESS)];
        let d = choose(QUESTION, &no_answer(), &hits, &[0.35, 0.7], BARS, |_| true);
        assert_eq!(
            d.choice,
            Choice::Passage {
                hit: &hits[0],
                probability: 0.35
            }
        );
        let d = choose(QUESTION, &no_answer(), &hits, &[0.2, 0.7], BARS, |_| true);
        assert_eq!(d.choice, Choice::NotWhatWasAsked);
        assert_eq!(d.ranked.len(), 2);
        assert_eq!(d.ranked[0].1, 0.7, "highest first");
    }

    #[test]
    fn a_document_out_of_its_validity_never_answers() {
        let hits = [hit(0, "faq-old", ADDRESS)];
        let d = choose(QUESTION, &no_answer(), &hits, &[0.99], BARS, |doc| {
            doc != "faq-old"
        });
        assert_eq!(d.choice, Choice::NotWhatWasAsked);
        assert!(d.ranked.is_empty());
    }

    #[test]
    fn a_passage_that_gives_no_hour_does_not_answer_a_question_about_the_hour() {
        let hits = [hit(0, "faq-a", "申込みは3月31日までです。")];
        let question = "申込みは何時までですか";
        let d = choose(question, &no_answer(), &hits, &[0.99], BARS, |_| true);
        assert_eq!(d.choice, Choice::NotWhatWasAsked);
        let hits = [hit(0, "faq-a", "受付は17時までです。")];
        let d = choose(question, &no_answer(), &hits, &[0.99], BARS, |_| true);
        assert!(matches!(d.choice, Choice::Passage { .. }));
    }

    #[test]
    fn an_faqs_yes_is_the_users_only_when_they_ask_whether_and_the_judge_agrees() {
        let answer = "はい。コピーでも受け付けます。";
        let hits = [hit(0, "faq-a", answer)];
        let retrieved = answered("faq-a", answer, WriterKind::Faq);
        let whether = "コピーでも受け付けてもらえますか";
        let keeps = |p: f32| match choose(whether, &retrieved, &hits, &[p], BARS, |_| true).choice {
            Choice::Retrieved { drop_yes_no, .. } => !drop_yes_no,
            other => panic!("{other:?}"),
        };
        assert!(keeps(0.9), "asked whether, and the judge finds it answers");
        assert!(!keeps(0.1), "only not vetoed");
        // A rule's answer is never vetoed by the judge, and its text keeps what it says.
        let rule = answered("form-a", "締切は令和3年3月31日です。", WriterKind::Rule);
        let d = choose("締切はいつですか", &rule, &hits, &[0.0], BARS, |_| true);
        assert!(matches!(
            d.choice,
            Choice::Retrieved {
                drop_yes_no: false,
                ..
            }
        ));
    }

    #[test]
    fn a_handoff_stands() {
        let mut retrieved = no_answer();
        retrieved.outcome = Outcome::Handoff;
        let hits = [hit(0, "faq-a", ADDRESS)];
        let d = choose(QUESTION, &retrieved, &hits, &[0.99], BARS, |_| true);
        assert_eq!(d.choice, Choice::Handoff);
    }
}
