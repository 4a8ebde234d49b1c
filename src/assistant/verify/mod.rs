//! The verifier: a model's draft reaches a user only if every fact it states is in the
//! sources it was given.
//!
//! Facts are normalised before comparison (NFKC, full-width digits, 令和 ↔ 西暦), so
//! 「令和3年3月31日」 in a source supports 「2021年3月31日」 and 「3/31」 in a draft.

use std::collections::HashSet;
use std::fmt;

mod conditions;

use crate::text::contacts::{EMAIL, URL};
use crate::text::facts::{Fact, facts};
use crate::text::facts::{NUMBER, with_partials};
use crate::text::{is_japanese, normalize, sentences};
use conditions::{Condition, Stated, conditions, dropped_condition};

/// Why a draft was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    /// It stops mid-sentence (the token budget ran out).
    CutOff,
    /// It repeats itself.
    Repeated,
    /// Too little of it is Japanese.
    NotJapanese,
    /// A fact that none of the sources states.
    Unsupported(String),
    /// A fact of the curated answer that the draft left out.
    Dropped(String),
    /// Says too little to be an answer (「はい。」).
    Uninformative,
    /// A fact the sources state about something else than the draft or the question.
    Unrelated(String),
    /// A sentence that no source sentence says, or says with the opposite polarity
    /// (「保存されます」 where the source says 「保存されません」).
    Ungrounded(String),
    /// A claim stated without the condition its source attaches to it: 「自己負担0円です」
    /// where the source says 「令和3年3月31日までに申し込むと、…自己負担0円となります」.
    DroppedCondition(String),
}

impl Rejection {
    /// A short label for logs and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::Empty => "empty",
            Rejection::CutOff => "cut_off",
            Rejection::Repeated => "repeated",
            Rejection::NotJapanese => "not_japanese",
            Rejection::Unsupported(_) => "unsupported_fact",
            Rejection::Dropped(_) => "dropped_fact",
            Rejection::Uninformative => "uninformative",
            Rejection::Ungrounded(_) => "ungrounded",
            Rejection::Unrelated(_) => "unrelated_fact",
            Rejection::DroppedCondition(_) => "dropped_condition",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Unsupported(fact) => write!(f, "unsupported fact {fact}"),
            Rejection::Dropped(fact) => write!(f, "dropped fact {fact}"),
            Rejection::Ungrounded(sentence) => write!(f, "ungrounded sentence 「{sentence}」"),
            Rejection::DroppedCondition(condition) => {
                write!(f, "dropped the condition 「{condition}」")
            }
            Rejection::Unrelated(fact) => {
                write!(f, "fact {fact} is about something else in the sources")
            }
            other => f.write_str(other.kind()),
        }
    }
}

/// What the sources state, for lookups.
pub struct Evidence {
    facts: HashSet<Fact>,
    numbers: HashSet<String>,
    text: String,
    /// Each source sentence: its content bigrams, polarity and facts.
    sentences: Vec<SourceSentence>,
}

struct SourceSentence {
    bigrams: HashSet<String>,
    chars: HashSet<char>,
    numbers: HashSet<String>,
    negative: bool,
    facts: HashSet<Fact>,
    conditions: Vec<Condition>,
}

/// A draft sentence must share this share of its character bigrams with one source sentence.
const GROUNDING_MIN: f32 = 0.6;
/// Fewer word characters than this is not an answer.
const MIN_WORD_CHARS: usize = 6;

/// Words that turn a Japanese statement negative.
const NEGATIONS: [&str; 5] = ["ません", "ない", "なく", "ぬ", "不要"];

fn negative(sentence: &str) -> bool {
    NEGATIONS.iter().any(|n| sentence.contains(n))
}

fn is_content_char(c: char) -> bool {
    matches!(c, 'ァ'..='ヺ' | 'ー' | '一'..='鿿' | '々' | '〆') || c.is_ascii_alphanumeric()
}

/// The content characters of a sentence with its facts blanked.
fn content_chars(sentence: &str) -> HashSet<char> {
    chars_of(&facts(sentence).1)
}

fn chars_of(wording: &str) -> HashSet<char> {
    wording.chars().filter(|c| is_content_char(*c)).collect()
}

/// Bigrams of a sentence's content characters: kanji, katakana, Latin letters — not the
/// hiragana of particles and endings (polarity is checked on its own), and not the facts
/// (checked on their own, in any notation).
fn bigrams(sentence: &str) -> HashSet<String> {
    bigrams_of(&facts(sentence).1)
}

fn bigrams_of(wording: &str) -> HashSet<String> {
    let chars: Vec<char> = wording
        .chars()
        .filter(|c| {
            matches!(*c, 'ァ'..='ヺ' | 'ー' | '一'..='鿿' | '々' | '〆')
                || c.is_ascii_alphanumeric()
        })
        .collect();
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

/// What a text states, one statement at a time: its sentences without their 「。」, also
/// split at ！ and ？ (each says something of its own).
fn statements(text: &str) -> impl Iterator<Item = &str> {
    sentences(text)
        .flat_map(|s| {
            s.strip_suffix('。')
                .unwrap_or(s)
                .split(['！', '？', '!', '?'])
        })
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Evidence {
    pub fn new(sources: &[&str]) -> Self {
        let mut all = String::new();
        let mut numbers = HashSet::new();
        for source in sources {
            let normalized = normalize(source);
            numbers.extend(
                NUMBER
                    .find_iter(&normalized)
                    .map(|m| m.as_str().to_string()),
            );
            all.push_str(&normalized);
            all.push('\n');
        }
        let sentences: Vec<SourceSentence> = sources
            .iter()
            .flat_map(|s| statements(s))
            .map(|s| {
                let (found, wording) = facts(s);
                SourceSentence {
                    bigrams: bigrams_of(&wording),
                    chars: chars_of(&wording),
                    numbers: NUMBER
                        .find_iter(&normalize(s))
                        .map(|m| m.as_str().to_string())
                        .collect(),
                    negative: negative(s),
                    facts: with_partials(found),
                    conditions: conditions(&normalize(s)),
                }
            })
            .collect();
        let known = sentences
            .iter()
            .flat_map(|s| s.facts.iter().cloned())
            .collect();
        Evidence {
            facts: known,
            numbers,
            text: all,
            sentences,
        }
    }

    fn supports(&self, fact: &Fact) -> bool {
        match fact {
            Fact::Name(name) => self.text.to_lowercase().contains(&name.to_lowercase()),
            other => self.facts.contains(other),
        }
    }
}

/// Accepts `draft` only if it reads as a finished Japanese answer and every fact it states
/// is in `evidence`; `required` facts (those of a curated answer) must all be kept.
pub fn verify(
    draft: &str,
    question: &str,
    evidence: &Evidence,
    required: &[Fact],
) -> Result<(), Rejection> {
    let trimmed = draft.trim();
    if trimmed.is_empty() {
        return Err(Rejection::Empty);
    }
    // Addresses are Latin by nature; judge the language on the rest.
    let prose = EMAIL
        .replace_all(&URL.replace_all(trimmed, " "), " ")
        .into_owned();
    let letters: Vec<char> = prose.chars().filter(|c| c.is_alphabetic()).collect();
    let japanese = letters.iter().filter(|c| is_japanese(**c)).count();
    if letters.is_empty() || japanese * 2 < letters.len() {
        return Err(Rejection::NotJapanese);
    }
    if !trimmed.ends_with(['。', '！', '？', '!', '?', '）', ')', '」']) {
        return Err(Rejection::CutOff);
    }
    if is_repetitive(trimmed) {
        return Err(Rejection::Repeated);
    }
    let (found, rest) = facts(trimmed);
    for fact in &found {
        if !evidence.supports(fact) {
            return Err(Rejection::Unsupported(fact.to_string()));
        }
    }
    if let Some(n) = NUMBER
        .find_iter(&rest)
        .find(|m| !evidence.numbers.contains(m.as_str()))
    {
        return Err(Rejection::Unsupported(n.as_str().to_string()));
    }
    if trimmed
        .chars()
        .filter(|c| crate::text::is_word_char(*c))
        .count()
        < MIN_WORD_CHARS
    {
        return Err(Rejection::Uninformative);
    }
    // Clause by clause: a true first half must not carry an invented second half, and the
    // facts and numbers of a clause must come from the source sentence that says it. A bare
    // clause (「令和3年3月31日。」) must match the question's topic instead: asked for the
    // notice's date, a true date about something else is still a wrong answer. A clause
    // must keep, somewhere in its sentence, the conditions its source attaches to it.
    let asked = bigrams(question);
    for statement in statements(trimmed) {
        let stated = Stated::new(statement);
        for clause in statement.split(['、', ',']) {
            let (clause_facts, rest) = facts(clause);
            let clause_facts: Vec<Fact> = clause_facts
                .into_iter()
                .filter(|f| !matches!(f, Fact::Name(_)))
                .collect();
            let clause_numbers: Vec<&str> = NUMBER.find_iter(&rest).map(|m| m.as_str()).collect();
            let own = bigrams(clause);
            let states_it = |source: &SourceSentence| {
                clause_facts.iter().all(|f| source.facts.contains(f))
                    && clause_numbers.iter().all(|n| source.numbers.contains(*n))
            };
            if own.is_empty() {
                if clause_facts.is_empty() && clause_numbers.is_empty() {
                    continue; // grammar only
                }
                // One content character (「土は8:00-16:00」) names its topic; none: the question does.
                let chars = content_chars(clause);
                let on_topic = evidence.sentences.iter().any(|source| {
                    states_it(source)
                        && if chars.is_empty() {
                            !asked.is_disjoint(&source.bigrams)
                        } else {
                            !chars.is_disjoint(&source.chars)
                        }
                });
                if !on_topic {
                    let what = clause_facts
                        .first()
                        .map_or_else(|| clause_numbers[0].to_string(), Fact::to_string);
                    return Err(Rejection::Unrelated(what));
                }
                continue;
            }
            let grounding: Vec<(f32, &SourceSentence)> = evidence
                .sentences
                .iter()
                .map(|source| (share(&own, &source.bigrams), source))
                .filter(|(shared, source)| {
                    *shared >= GROUNDING_MIN && source.negative == negative(clause)
                })
                .collect();
            if grounding.is_empty() {
                return Err(Rejection::Ungrounded(clause.to_string()));
            }
            let stating: Vec<(f32, &SourceSentence)> = grounding
                .into_iter()
                .filter(|(_, source)| states_it(source))
                .collect();
            if stating.is_empty() {
                let what = clause_facts.first().map_or_else(
                    || clause_numbers.first().copied().unwrap_or("").to_string(),
                    Fact::to_string,
                );
                return Err(Rejection::Unrelated(what));
            }
            if let Some(condition) = dropped_condition(&own, &stated, &stating) {
                return Err(Rejection::DroppedCondition(condition.text.clone()));
            }
        }
    }
    let kept: HashSet<&Fact> = found.iter().collect();
    if let Some(missing) = required.iter().find(|f| !kept.contains(f)) {
        return Err(Rejection::Dropped(missing.to_string()));
    }
    Ok(())
}

/// The share of `own` bigrams that `other` has.
fn share(own: &HashSet<String>, other: &HashSet<String>) -> f32 {
    own.intersection(other).count() as f32 / own.len().max(1) as f32
}

/// A sentence said twice, or a run of 8+ characters three times.
fn is_repetitive(text: &str) -> bool {
    let sentences: Vec<&str> = text
        .split_inclusive('。')
        .map(str::trim)
        .filter(|s| s.chars().count() > 4)
        .collect();
    let unique: HashSet<&&str> = sentences.iter().collect();
    if unique.len() < sentences.len() {
        return true;
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 24 {
        return false;
    }
    (0..chars.len() - 8).any(|i| {
        let run: String = chars[i..i + 8].iter().collect();
        text.matches(run.as_str()).count() >= 3
    })
}

#[cfg(test)]
mod tests;
