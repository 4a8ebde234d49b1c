//! What the judge reads of a (question, passage) pair: how retrieval scored it, which of
//! the question's words the passage lacks and how rare they are, what the question asks
//! for beside what the passage's own question asks and what its text gives (a date, an
//! amount, a phone number…), and the meaning vectors side by side. One function makes
//! them for training and for answering alike.

use std::sync::LazyLock;

use anyhow::Result;
use regex::Regex;

use super::asks::{Ask, asks};
use super::corpus::passage_name;
use super::memory::{self, Memory};
use crate::knowledge::Kind;
use crate::search::{Hit, QueryVectors, SearchIndex};
use crate::text::contacts;

/// Changes whenever what a feature means or where it stands changes: a judge trained on
/// other features is refused.
pub const FEATURE_VERSION: u32 = 5;

/// Features before the meaning vectors.
pub const SCALARS: usize = 72 + memory::FEATURES;

/// The length of a pair's features with meaning vectors of `dim`.
pub fn width(dim: usize) -> usize {
    SCALARS + 2 * dim
}

/// The question, read once for all its candidates.
pub struct QuestionView {
    /// Normalised (NFKC, lower case), markup and 12-digit numbers removed.
    text: String,
    /// Its content words' readings.
    readings: Vec<String>,
    asks: [bool; 12],
    english: bool,
    vectors: Option<std::sync::Arc<QueryVectors>>,
}

impl QuestionView {
    pub fn new(index: &SearchIndex, text: &str) -> Result<QuestionView> {
        let mut readings: Vec<String> = index
            .analyzer()
            .words(text)
            .into_iter()
            .filter(|w| w.content)
            .map(|w| w.reading)
            .collect();
        readings.sort();
        readings.dedup();
        Ok(QuestionView {
            asks: asks(text),
            english: !text.chars().any(crate::text::is_japanese),
            vectors: index.question_vector(text)?,
            readings,
            text: text.to_string(),
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Each candidate's features, `width(dim)` each, in the order of `hits`. `dim` is the
/// meaning vectors' width the judge was trained with: without vectors (no embedding
/// model) they are zeros. `memory` is the judge's remembered questions, with the one to
/// leave out (the question itself, in training).
pub fn features(
    index: &SearchIndex,
    question: &QuestionView,
    hits: &[Hit],
    dim: usize,
    memory: Option<(&Memory, Option<usize>)>,
) -> Result<Vec<Vec<f32>>> {
    let remembered = match (memory, question.vectors.as_deref()) {
        (Some((m, skip)), Some(q)) => Some((m, m.closeness(&q.vector, skip))),
        _ => None,
    };
    let max = |f: fn(&Hit) -> f32| hits.iter().map(f).fold(0.0f32, f32::max);
    let (top_bm25, top_score) = (max(|h| h.bm25), max(|h| h.score));
    let (top_question, top_passage) = (max(|h| h.closeness.question), max(|h| h.closeness.passage));
    let idf = |reading: &str| {
        let (df, n) = index.reading_frequency(reading);
        let (df, n) = (df as f32, n.max(1) as f32);
        ((1.0 + (n - df + 0.5) / (df + 0.5)).ln(), df == 0.0)
    };
    let weights: Vec<(f32, bool)> = question.readings.iter().map(|r| idf(r)).collect();
    let total_idf: f32 = weights.iter().map(|(w, _)| w).sum::<f32>().max(1e-6);
    let unknown = weights.iter().filter(|(_, u)| *u).count();
    let n = question.readings.len();
    let mut out = Vec::with_capacity(hits.len());
    for (rank, hit) in hits.iter().enumerate() {
        let mut f = Vec::with_capacity(width(dim));
        let mut unmatched = 0usize;
        let mut unmatched_idf = 0.0f32;
        for (reading, (w, _)) in question.readings.iter().zip(&weights) {
            if !index.passage_has_reading(hit.ord, reading)? {
                unmatched += 1;
                unmatched_idf += w;
            }
        }
        let ratio = |a: f32, b: f32| if b > 0.0 { a / b } else { 0.0 };
        f.extend([
            hit.coverage,
            hit.question_match,
            ratio(hit.bm25, top_bm25),
            ratio(hit.score, top_score),
            rank as f32 / hits.len().max(1) as f32,
            hit.closeness.passage,
            hit.closeness.question,
            hit.closeness.question - top_question,
            hit.closeness.passage - top_passage,
            ratio(unmatched as f32, n as f32),
            unmatched_idf / total_idf,
            unknown.min(3) as f32 / 3.0,
            (n as f32 / 10.0).min(2.0),
            flag(question.english),
        ]);
        let title = hit.passage.questions.lines().next().unwrap_or_default();
        let title_asks = asks(&crate::text::normalize(title));
        f.extend(question.asks.iter().map(|&a| flag(a)));
        f.extend(title_asks.iter().map(|&a| flag(a)));
        f.extend(
            question
                .asks
                .iter()
                .zip(title_asks)
                .map(|(&q, t)| flag(q && t)),
        );
        f.extend(gives(&hit.passage.text));
        f.extend([
            flag(hit.passage.kind == Kind::Faq),
            flag(hit.passage.kind == Kind::Form),
            flag(hit.passage.kind == Kind::Notice),
        ]);
        let specific = |i: usize| !matches!(Ask::ALL[i], Ask::What | Ask::YesNo);
        f.push(flag(
            (0..12).any(|i| specific(i) && question.asks[i] && title_asks[i]),
        ));
        f.push(hit.coverage * hit.question_match);
        f.extend(match &remembered {
            Some((m, closeness)) => m.features(
                closeness,
                &passage_name(&hit.passage.doc_id, hit.passage.section_id.as_deref()),
            ),
            None => [0.0; memory::FEATURES],
        });
        let q = question
            .vectors
            .as_deref()
            .filter(|q| q.vector.len() == dim);
        f.extend(counterparts(
            q.map_or(&[][..], |q| &q.tokens[..]),
            index.passage_tokens(hit.ord),
            dim,
        ));
        debug_assert_eq!(f.len(), SCALARS);
        match q.and_then(|q| Some((q, index.nearest_wording(&q.vector, hit.ord)?))) {
            Some((q, (_, wording))) => {
                let q = &q.vector;
                f.extend(q.iter().zip(wording).map(|(a, b)| a * b * dim as f32));
                f.extend(
                    q.iter()
                        .zip(wording)
                        .map(|(a, b)| (a - b).abs() * (dim as f32).sqrt()),
                );
            }
            None => f.extend(std::iter::repeat_n(0.0, 2 * dim)),
        }
        out.push(f);
    }
    Ok(out)
}

/// How well the passage has a counterpart for each of the question's word pieces: for
/// each, its closest piece of the passage (cosine of the two states); then the mean, the
/// three lowest, and the shares under 0.75, 0.8, 0.85 and 0.9. A paraphrase finds its
/// counterparts (お金 and 費用); a question about a thing the passage never mentions
/// (送料, 精度, 罰則) has a piece that finds none. Zeros without states.
fn counterparts(question: &[f32], passage: &[half::f16], dim: usize) -> [f32; 8] {
    if question.is_empty() || passage.is_empty() || dim == 0 {
        return [0.0; 8];
    }
    let passage: Vec<f32> = passage.iter().map(|x| x.to_f32()).collect();
    let mut best: Vec<f32> = question
        .chunks_exact(dim)
        .map(|q| {
            passage
                .chunks_exact(dim)
                .map(|p| q.iter().zip(p).map(|(a, b)| a * b).sum::<f32>())
                .fold(f32::MIN, f32::max)
        })
        .collect();
    best.sort_by(f32::total_cmp);
    let n = best.len() as f32;
    let lowest = |i: usize| best.get(i).or(best.last()).copied().unwrap_or(0.0);
    let under = |t: f32| best.iter().filter(|&&s| s < t).count() as f32 / n;
    [
        best.iter().sum::<f32>() / n,
        lowest(0),
        lowest(1),
        lowest(2),
        under(0.75),
        under(0.8),
        under(0.85),
        under(0.9),
    ]
}

fn flag(b: bool) -> f32 {
    if b { 1.0 } else { 0.0 }
}

/// Whether a text states an amount of money, or that something is free or paid for: what
/// a question that asks how much needs.
pub fn gives_an_amount(text: &str) -> bool {
    let lower = text.to_lowercase();
    gives(text)[2] > 0.0
        || ["無料", "有料", "費用", "free", "yen", "cost", "charge"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Whether a text gives what a question asking for `ask` needs: an amount for a cost, a
/// date or time for a when, a reason for a why, a number of things for how many. Other
/// asks (and none) need nothing a pattern can see. A passage that lacks it does not answer, whatever topic it shares:
/// 「なんで3月31日なの」 is not answered by the date, 「いつまでに」 not by what to do.
pub fn gives_what_is_asked(ask: Option<Ask>, text: &str) -> bool {
    static REASON: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"ため|ので|理由|目的|because|due to|in order to|so that|reason")
            .expect("valid pattern")
    });
    static ENGLISH_DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\b(january|february|march|april|may|june|july|august|september|october|november|december)\b",
        )
        .expect("valid pattern")
    });
    // 「9時30分」, 「3日以内」, 「2週間後」: a time of day or a delay from now.
    static CLOCK_OR_DELAY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\d+時|\d+\s*(日|週間|か月|ヶ月)(以内|後|ほどで|程度で)")
            .expect("valid pattern")
    });
    // 「3台」, 「1部」, 「2つ」, "three": a number of things.
    static COUNTED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[\d一二三四五六七八九十]+\s*(台|部|枚|件|人|名|回|つ|個|か所|種類|社)|\b(\d+|one|two|three|four|five)\b")
            .expect("valid pattern")
    });
    match ask {
        Some(Ask::Cost) => gives_an_amount(text),
        Some(Ask::When) => {
            let g = gives(text);
            g[0] > 0.0
                || g[1] > 0.0
                || CLOCK_OR_DELAY.is_match(&crate::text::normalize(text))
                || ENGLISH_DATE.is_match(text)
        }
        Some(Ask::Why) => REASON.is_match(&crate::text::normalize(text)),
        Some(Ask::Count) => COUNTED.is_match(&crate::text::normalize(text)),
        _ => true,
    }
}

/// Whether a text gives a time of day (「8:00」, 「9時30分」): what 「何時まで」 asks, which a
/// date does not answer.
pub fn gives_a_time_of_day(text: &str) -> bool {
    static HOUR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d+時|\d+\s*(am|pm)\b").expect("valid pattern"));
    gives(text)[1] > 0.0 || HOUR.is_match(&crate::text::normalize(text))
}

/// What a passage's text gives, as flags: a date, a time, an amount, a count of units, a
/// phone number, a web address, an e-mail address; whether it answers yes or no; whether
/// it says the sources do not state something.
fn gives(text: &str) -> [f32; 9] {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"令和\d+年|\d{4}年|\d+月\d*日?|\d+/\d+").expect("valid pattern")
    });
    static TIME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d{1,2}:\d{2}").expect("valid pattern"));
    static MONEY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d[\d,]*\s*円|全額|自己負担").expect("valid pattern"));
    static UNITS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d+\s*台").expect("valid pattern"));
    let text = crate::text::normalize(text);
    let starts = text.trim_start();
    [
        flag(DATE.is_match(&text)),
        flag(TIME.is_match(&text)),
        flag(MONEY.is_match(&text)),
        flag(UNITS.is_match(&text)),
        flag(contacts::PHONE.is_match(&text)),
        flag(contacts::URL.is_match(&text)),
        flag(contacts::EMAIL.is_match(&text)),
        flag(starts.starts_with("はい") || starts.starts_with("いいえ")),
        flag(
            text.contains("記載がない")
                || text.contains("記載はありません")
                || text.contains("お答えできません"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passage_gives_what_a_question_asks_for_or_not() {
        let gives = |a: Ask, t: &str| gives_what_is_asked(Some(a), t);
        assert!(gives(Ask::Cost, "補助上限額までは自己負担0円となります。"));
        assert!(!gives(Ask::Cost, "まずはアカウント登録をしてください。"));
        assert!(gives(Ask::When, "申込締切は令和3年3月31日です。"));
        assert!(gives(Ask::When, "土日祝 9時30分～17時30分です。"));
        assert!(gives(Ask::When, "It closes on March 31, 2021."));
        assert!(!gives(Ask::When, "2か月程度遅くなる可能性があります。"));
        assert!(gives(
            Ask::Why,
            "発注処理までに時間がかかるため、遅くなります。"
        ));
        assert!(!gives(Ask::Why, "申込締切は令和3年3月31日です。"));
        assert!(gives(Ask::Count, "診療所が申し込めるのは1台です。"));
        assert!(gives(Ask::Count, "A clinic can apply for 1 card reader."));
        assert!(!gives(
            Ask::Count,
            "提供申請書とリーフレットが同封されています。"
        ));
        assert!(gives_what_is_asked(None, "何でも"));
        assert!(gives_a_time_of_day("月～金 8:00-18:00"));
        assert!(gives_a_time_of_day("平日 9時30分～20時00分"));
        assert!(!gives_a_time_of_day("申込締切は令和3年3月31日です。"));
        assert!(gives(Ask::Where, "何でも"));
    }
}
