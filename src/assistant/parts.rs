//! Two questions in one message: 「締切と電話番号を教えて」, 「〜ですか。あと〜」,
//! 「どんな施設が対象で、いつまでに答えればいいですか」. Each part is answered on its own,
//! under the heading of the passage that answers it; a sentence that asks nothing
//! (「返信用封筒をなくしました。」「忙しいので目安が知りたくて」) is context, read with the
//! question beside it, never a part of its own; and when the whole message is declined,
//! its asking sentence is decided alone (`Assistant::decide`), since context can pull
//! retrieval to its own topic.

use anyhow::Result;
use chrono::NaiveDate;

use super::answer::{Answer, Citation, Language, Outcome, WriterKind};
use super::{Assistant, followup};
use crate::search::Analyzer;
use crate::search::analysis::Word;

/// Words that ask: a clause with one of them is a question of its own.
const INTERROGATIVES: &[&str] = &[
    "いつ",
    "どこ",
    "何",
    "なに",
    "なん",
    "どんな",
    "どう",
    "どの",
    "どれ",
    "いくら",
    "誰",
    "だれ",
    "なぜ",
    "when",
    "where",
    "what",
    "how",
    "which",
    "who",
    "why",
];

/// Words that open a second question.
const NEXT: &[&str] = &[
    "あと",
    "それと",
    "それから",
    "また",
    "ほかに",
    "他に",
    "also",
    "and",
];

/// Closings that ask for something without a question mark.
const REQUESTS: &[&str] = &[
    "教えて",
    "教えてください",
    "教えてほしい",
    "知りたい",
    "知りたいです",
    "ください",
    "please",
];

/// The questions a message asks, in order; one when it asks one. A sentence that asks
/// nothing is context: it goes with the question after it (or, at the end, before it).
pub fn split(analyzer: &Analyzer, text: &str) -> Vec<String> {
    let mut questions: Vec<String> = Vec::new();
    let mut context = String::new();
    for sentence in sentences(text) {
        if !asks(analyzer, &sentence) {
            context.push_str(&sentence);
            continue;
        }
        // A bare 「いつ？」「なんで？」 after a question asks that question more precisely:
        // it is not a part to be answered on its own.
        if let Some(last) = questions
            .last_mut()
            .filter(|_| !has_content(analyzer, &sentence))
        {
            last.push_str(&sentence);
            continue;
        }
        let mut pieces = Vec::new();
        for clause in clauses(analyzer, &sentence) {
            pieces.extend(coordinated(analyzer, &clause));
        }
        if let Some(first) = pieces.first_mut() {
            first.insert_str(0, &std::mem::take(&mut context));
        }
        questions.extend(pieces);
    }
    if questions.len() < 2 {
        return vec![text.to_string()];
    }
    if let Some(last) = questions.last_mut() {
        last.push_str(&context);
    }
    questions
}

/// What a message asks, when the rest only gives context: its one asking sentence,
/// without a preface (「院長に頼まれたのですが、」) — 「…って聞きました。じゃあ届出も
/// いらなくなるんですか？」 asks the second sentence. Context can pull retrieval to its own
/// topic. `None` when there is no context, or the message asks twice.
pub fn asking_sentence(analyzer: &Analyzer, text: &str) -> Option<String> {
    let sentences = sentences(text);
    let mut asking = sentences.iter().filter(|s| asks(analyzer, s));
    let sentence = asking.next()?;
    if asking.next().is_some() {
        return None;
    }
    let question = PREFACES
        .iter()
        .filter_map(|p| sentence.rfind(p).map(|at| &sentence[at + p.len()..]))
        .min_by_key(|rest| rest.len())
        .filter(|rest| asks(analyzer, rest) && has_content(analyzer, rest))
        .unwrap_or(sentence);
    (sentences.len() > 1 || question.len() < sentence.len()).then(|| question.to_string())
}

/// Closings of a clause that prefaces a question with context (「…のですが、」「…けど、」).
const PREFACES: &[&str] = &[
    "のですが、",
    "んですが、",
    "ですが、",
    "ますが、",
    "けど、",
    "けれど、",
    "けれども、",
];

/// Whether a sentence asks something: a question mark, a closing that asks (か, の, かな),
/// a word that asks (いつ, どこ, how) or a request (教えて).
fn asks(analyzer: &Analyzer, sentence: &str) -> bool {
    let lower = sentence.to_lowercase();
    let closing = lower.trim_end_matches(['。', '.', '!', '！', ' ', '\n']);
    closing.ends_with(['？', '?'])
        || ["か", "かな", "の", "かね", "ですかね"]
            .iter()
            .any(|e| closing.ends_with(e))
        || REQUESTS.iter().any(|r| closing.ends_with(r))
        || analyzer
            .words(sentence)
            .iter()
            .any(|w| INTERROGATIVES.contains(&w.surface.to_lowercase().as_str()))
}

/// Sentences that each ask something (ending in 。？! or a line break); a sentence with no
/// word of substance (「すみません。」) is not a question.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if matches!(c, '。' | '？' | '?' | '!' | '！' | '\n') {
            out.push(std::mem::take(&mut current));
        }
    }
    out.push(current);
    out.into_iter()
        .map(|s| strip_next(s.trim()).to_string())
        .filter(|s| s.chars().any(|c| c.is_alphanumeric()))
        .collect()
}

fn strip_next(s: &str) -> &str {
    for w in NEXT {
        if let Some(rest) = s.strip_prefix(w) {
            let rest = rest.trim_start_matches(['、', ',', ' ']);
            if !w.is_ascii() || s[w.len()..].starts_with(' ') {
                return rest;
            }
        }
    }
    s
}

/// A sentence split at 「、」 where both sides ask with an interrogative of their own
/// (「どんな施設が対象で、いつまでに答えればいいですか」).
fn clauses(analyzer: &Analyzer, sentence: &str) -> Vec<String> {
    let pieces: Vec<&str> = sentence.split(['、', ',']).collect();
    if pieces.len() < 2 {
        return vec![sentence.to_string()];
    }
    let asks = |s: &str| {
        analyzer
            .words(s)
            .iter()
            .any(|w| INTERROGATIVES.contains(&w.surface.as_str()))
    };
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for piece in pieces {
        if !current.is_empty() && asks(&current) && asks(piece) && has_content(analyzer, piece) {
            out.push(std::mem::take(&mut current));
        } else if !current.is_empty() {
            current.push('、');
        }
        current.push_str(piece);
    }
    out.push(current);
    out
}

/// 「AとBを教えて」 → 「Aを教えて」「Bを教えて」: two things asked of one verb, where both
/// are nouns of substance. 「病院と診療所は何台？」 → 「病院は何台？」「診療所は何台？」.
fn coordinated(analyzer: &Analyzer, clause: &str) -> Vec<String> {
    let words = analyzer.words(clause);
    let Some(and) = words
        .iter()
        .position(|w| w.surface == "と" && w.pos == "助詞" && w.pos_detail == "並立助詞")
    else {
        return vec![clause.to_string()];
    };
    let left: String = words[..and].iter().map(|w| w.surface.as_str()).collect();
    let after = &words[and + 1..];
    // The second thing ends at the particle that ties it to the verb (は, を, が, も).
    let end = after
        .iter()
        .position(|w| {
            w.pos == "助詞" && matches!(w.surface.as_str(), "は" | "を" | "が" | "も" | "って")
        })
        .unwrap_or(after.len());
    let second: String = after[..end].iter().map(|w| w.surface.as_str()).collect();
    let tail: String = after[end..].iter().map(|w| w.surface.as_str()).collect();
    let second = second.trim_start_matches(['、', ',', ' ']);
    let noun_ends = |ws: &[Word]| {
        ws.iter()
            .rev()
            .find(|w| !w.surface.trim().is_empty())
            .is_some_and(|w| w.pos == "名詞")
    };
    if !has_content(analyzer, &left)
        || !has_content(analyzer, second)
        || !noun_ends(&words[..and])
        || tail.is_empty()
    {
        return vec![clause.to_string()];
    }
    vec![format!("{left}{tail}"), format!("{second}{tail}")]
}

fn has_content(analyzer: &Analyzer, text: &str) -> bool {
    analyzer.words(text).iter().any(|w| w.content)
}

impl Assistant {
    /// One question's answer, as written (`decide_as_written`) and, when that is declined
    /// and context stands before the question, from its asking sentence alone.
    pub(super) fn decide(
        &self,
        text: &str,
        today: NaiveDate,
        language: Language,
    ) -> Result<Answer> {
        let answer = self.decide_as_written(text, today, language)?;
        let Some(judge) = self
            .judge
            .as_ref()
            .filter(|_| answer.outcome == Outcome::NoAnswer)
        else {
            return Ok(answer);
        };
        // Context can pull retrieval to its own topic (「引っ越しても使えるって聞きました。
        // じゃあ保険者への届出もいらなくなるんですか？」): the asking sentence is decided on
        // its own too, with the context's topic when it names none. Read without its
        // context it may have lost what qualifies it, so its answer stands only when the
        // judge finds it answers at its threshold, not merely does not veto it.
        let analyzer = self.index.analyzer();
        if let Some(asking) = asking_sentence(analyzer, text) {
            let question =
                followup::resolve(analyzer, &self.kb.glossary, &asking, text).unwrap_or(asking);
            let alone = self.decide_as_written(&question, today, language)?;
            if alone.outcome == Outcome::Answered && judge.answers(alone.confidence) {
                return Ok(alone);
            }
        }
        Ok(answer)
    }

    /// One question's answer as its words stand: rules, then retrieval, checked by the
    /// judge when one is on (`decide_with_judge`).
    fn decide_as_written(
        &self,
        text: &str,
        today: NaiveDate,
        language: Language,
    ) -> Result<Answer> {
        match self.judge.clone() {
            Some(judge) => self.decide_with_judge(&judge, text, today, language),
            None => self.decide_by_retrieval(text, self.retrieve(text)?, today, language),
        }
    }

    /// The questions an understood message asks (`ask --explain` shows them).
    pub fn parts(&self, understood: &str) -> Vec<String> {
        split(self.index.analyzer(), understood)
    }

    /// Several questions in one message, each answered on its own (a later one read with
    /// the first, 「…と、申込みの締切を教えて」 keeps the first one's topic), in one reply:
    /// each answer under its source's heading, and one sentence for a part the sources do
    /// not answer. `None` when the message asks one thing, its parts come to the same
    /// answer, or the sources answer none of them.
    pub(super) fn answer_parts(
        &self,
        parts: &[String],
        today: NaiveDate,
        language: Language,
    ) -> Result<Option<Answer>> {
        if parts.len() < 2 {
            return Ok(None);
        }
        let mut answers: Vec<Answer> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let question = match i {
                0 => part.clone(),
                _ => followup::resolve(self.index.analyzer(), &self.kb.glossary, part, &parts[0])
                    .unwrap_or_else(|| part.clone()),
            };
            let answer = self.decide(&question, today, language)?;
            if answers.iter().any(|a| a.answer == answer.answer) {
                continue;
            }
            answers.push(answer);
        }
        let answered: Vec<&Answer> = answers
            .iter()
            .filter(|a| a.outcome == Outcome::Answered)
            .collect();
        if answers.len() < 2 || answered.is_empty() {
            return Ok(None);
        }
        let mut text = String::new();
        let mut citations: Vec<Citation> = Vec::new();
        for answer in &answered {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            match heading(answer) {
                Some(heading) => text.push_str(&format!("■ {heading}\n{}", answer.answer)),
                None => text.push_str(&answer.answer),
            }
            for c in &answer.citations {
                if !citations.contains(c) {
                    citations.push(c.clone());
                }
            }
        }
        let unanswered = answers.len() - answered.len();
        if unanswered > 0 {
            // One sentence for what the sources do not say: the first line of its reply
            // when it names it (「資料には、…の費用についての記載はありません。」).
            let named = answers
                .iter()
                .filter(|a| a.outcome != Outcome::Answered)
                .filter_map(|a| a.answer.lines().next())
                .filter(|l| l.starts_with("資料には、") || l.starts_with("The sources Shikaku"))
                .collect::<Vec<_>>();
            let line = match (named.len() == unanswered, language) {
                (true, _) => named.join("\n"),
                (false, Language::Ja) => {
                    "ほかのご質問については、資料に記載がありません。コールセンターにお問い合わせください。"
                        .to_string()
                }
                (false, Language::En) => {
                    "The sources do not answer your other question; please contact the call center."
                        .to_string()
                }
            };
            text.push_str(&format!("\n\n{line}"));
        }
        let confidence = answered.iter().map(|a| a.confidence).fold(1.0, f32::min);
        Ok(Some(Answer::new(
            Outcome::Answered,
            text,
            citations,
            confidence,
            WriterKind::Parts,
        )))
    }
}

/// What a part's answer is headed with: its first source's section or title, never the
/// user's words.
fn heading(answer: &Answer) -> Option<String> {
    let first = answer.citations.first()?;
    Some(first.section.clone().unwrap_or_else(|| first.title.clone()))
}
