//! The domain glossary: groups of words clinic staff use for the same thing.

use std::path::Path;

use serde::Deserialize;

use super::Diagnostic;
use crate::text::normalize;

/// An alternative that a text names (see [`Glossary::alternatives_named`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<'a> {
    pub set: usize,
    pub value: usize,
    pub word: &'a str,
}

/// A word added to a question because the question used a word of the same group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expansion<'a> {
    pub trigger: &'a str,
    pub word: &'a str,
}

#[derive(Debug, Default, Clone)]
pub struct Glossary {
    /// Each group normalised (NFKC, lowercase).
    groups: Vec<Vec<String>>,
    alternatives: Vec<Alternatives>,
    /// What a question asks for (when, where, how, …), among the FAQ's own wordings.
    asks: Option<Alternatives>,
}

/// Things a question is about one of: a facility type, a maker, a day. A text that speaks
/// of some of them but not of the one asked about does not answer the question (a
/// question about 薬局 never gets the hospital's figure).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternatives {
    pub name: String,
    /// Each alternative as the words that name it (normalised once parsed).
    pub values: Vec<Vec<String>>,
}

/// A question about one alternative, answered by a text about others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    pub name: String,
    /// The first word of each alternative the question names, and of those the text names.
    pub asked: Vec<String>,
    pub answered: Vec<String>,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: asked about {}, the text is about {}",
            self.name,
            self.asked.join("/"),
            self.answered.join("/")
        )
    }
}

impl Alternatives {
    /// Indices of the alternatives a normalised text names.
    fn named(&self, normalized_text: &str) -> Vec<usize> {
        (0..self.values.len())
            .filter(|&i| {
                self.values[i]
                    .iter()
                    .any(|w| normalized_text.contains(w.as_str()))
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    groups: Vec<Vec<String>>,
    #[serde(default)]
    alternatives: Vec<Alternatives>,
    #[serde(default)]
    asks: Option<Alternatives>,
}

impl Glossary {
    pub fn parse(path: &Path, text: &str) -> Result<Self, Diagnostic> {
        let err = |line: usize, message: String| Diagnostic::new(path, line, message);
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map_or(1, |s| text[..s.start].matches('\n').count() + 1);
            err(line, format!("TOML を読めません: {}", e.message()))
        })?;
        let mut groups = Vec::new();
        for group in raw.groups {
            let words: Vec<String> = group.iter().map(|w| normalize(w.trim())).collect();
            if words.len() < 2 || words.iter().any(String::is_empty) {
                let first = group.first().cloned().unwrap_or_default();
                let line = text
                    .lines()
                    .position(|l| l.contains(&first))
                    .map_or(1, |i| i + 1);
                return Err(err(
                    line,
                    "groups の各グループには空でない語を 2 つ以上入れてください。".into(),
                ));
            }
            groups.push(words);
        }
        let checked = |mut a: Alternatives| {
            for value in &mut a.values {
                for w in value.iter_mut() {
                    *w = normalize(w.trim());
                }
            }
            if a.values.len() < 2
                || a.values
                    .iter()
                    .any(|v| v.is_empty() || v.iter().any(String::is_empty))
            {
                let line = text
                    .lines()
                    .position(|l| l.contains(&a.name))
                    .map_or(1, |i| i + 1);
                return Err(err(
                    line,
                    format!(
                        "alternatives「{}」の values は 2 つ以上にし、それぞれに空でない語を入れてください。",
                        a.name
                    ),
                ));
            }
            Ok(a)
        };
        let alternatives = raw
            .alternatives
            .into_iter()
            .map(checked)
            .collect::<Result<Vec<_>, _>>()?;
        let asks = raw.asks.map(checked).transpose()?;
        Ok(Glossary {
            groups,
            alternatives,
            asks,
        })
    }

    /// Where every wording of an FAQ (`questions`, one a line) asks for something else than
    /// the question does: 「どうやって届きますか」 is not answered by 「いつ届きますか」. A
    /// question or a wording that asks for none of them agrees.
    pub fn asks_otherwise(
        &self,
        normalized_question: &str,
        questions: &str,
    ) -> Option<Disagreement> {
        let asks = self.asks.as_ref()?;
        let asked = asks.named(normalized_question);
        if asked.is_empty() {
            return None;
        }
        let mut answered = Vec::new();
        for line in questions.lines() {
            let named = asks.named(&normalize(line));
            if named.is_empty() || named.iter().any(|i| asked.contains(i)) {
                return None;
            }
            answered.extend(named);
        }
        answered.sort_unstable();
        answered.dedup();
        (!answered.is_empty()).then(|| Disagreement {
            name: asks.name.clone(),
            asked: asked.iter().map(|&i| asks.values[i][0].clone()).collect(),
            answered: answered
                .iter()
                .map(|&i| asks.values[i][0].clone())
                .collect(),
        })
    }

    /// Where a text names alternatives, but not the one the question asks about. A text
    /// that names none of a set's alternatives speaks generally and agrees.
    pub fn disagreement(
        &self,
        normalized_question: &str,
        normalized_text: &str,
    ) -> Option<Disagreement> {
        self.alternatives.iter().find_map(|a| {
            let asked = a.named(normalized_question);
            let answered = a.named(normalized_text);
            let disagrees = !asked.is_empty()
                && !answered.is_empty()
                && !asked.iter().any(|i| answered.contains(i));
            disagrees.then(|| Disagreement {
                name: a.name.clone(),
                asked: asked.iter().map(|&i| a.values[i][0].clone()).collect(),
                answered: answered.iter().map(|&i| a.values[i][0].clone()).collect(),
            })
        })
    }

    /// Every word of the synonym groups.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flatten().map(String::as_str)
    }

    /// The alternatives a (normalised) text names: for each, its set, which alternative,
    /// and the word of the text that names it (the longest, when several do).
    pub fn alternatives_named<'a>(&'a self, normalized_text: &str) -> Vec<Named<'a>> {
        let mut out = Vec::new();
        for (set, a) in self.alternatives.iter().enumerate() {
            for (value, words) in a.values.iter().enumerate() {
                if let Some(word) = words
                    .iter()
                    .filter(|w| normalized_text.contains(w.as_str()))
                    .max_by_key(|w| w.len())
                {
                    out.push(Named { set, value, word });
                }
            }
        }
        out
    }

    /// For every group with a word in the (normalised) text, its other words, each with
    /// the word of the text that brought it in.
    pub fn expansions(&self, normalized_text: &str) -> Vec<Expansion<'_>> {
        let mut out = Vec::new();
        for group in &self.groups {
            let Some(trigger) = group.iter().find(|w| normalized_text.contains(w.as_str())) else {
                continue;
            };
            out.extend(
                group
                    .iter()
                    .filter(|w| !normalized_text.contains(w.as_str()))
                    .map(|word| Expansion { trigger, word }),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_a_group() {
        let g = Glossary::parse(
            Path::new("g"),
            "groups = [[\"レセコン\", \"レセプトコンピュータ\"]]",
        )
        .unwrap();
        let e = g.expansions("レセコンの業者");
        assert_eq!(
            e,
            vec![Expansion {
                trigger: "レセコン",
                word: "レセプトコンピュータ"
            }]
        );
        assert!(g.expansions("関係ない").is_empty());
    }

    #[test]
    fn a_text_about_another_alternative_disagrees() {
        let g = Glossary::parse(
            Path::new("g"),
            "groups = []\n[[alternatives]]\nname = \"施設\"\nvalues = [[\"病院\"], [\"診療所\", \"クリニック\"], [\"薬局\"]]",
        )
        .unwrap();
        let d = g.disagreement("薬局は何台", "病院は最高3台です").unwrap();
        assert_eq!(
            (d.asked, d.answered),
            (vec!["薬局".to_string()], vec!["病院".to_string()])
        );
        // The text names the one asked about, or none at all: it agrees.
        assert!(
            g.disagreement("薬局は何台", "病院は3台、診療所・薬局は1台")
                .is_none()
        );
        assert!(g.disagreement("クリニックは何台", "診療所は1台").is_none());
        assert!(
            g.disagreement("薬局は何台", "申込みは3月31日まで")
                .is_none()
        );
        assert!(g.disagreement("何台ですか", "病院は3台").is_none());
    }

    #[test]
    fn a_question_asking_how_is_not_answered_by_one_asking_when() {
        let g = Glossary::parse(
            Path::new("g"),
            "groups = []\n[asks]\nname = \"問い\"\nvalues = [[\"いつ\"], [\"どうやって\", \"方法\"]]",
        )
        .unwrap();
        let when_only = "お知らせはいつ届きますか\n届くのはいつ頃ですか";
        assert!(
            g.asks_otherwise("お知らせはどうやって届きますか", when_only)
                .is_some()
        );
        assert!(
            g.asks_otherwise("お知らせはいつ届きますか", when_only)
                .is_none()
        );
        // One wording that asks for nothing in particular, or the same thing, agrees.
        assert!(
            g.asks_otherwise("どうやって届きますか", "いつ届きますか\n届きますか")
                .is_none()
        );
        assert!(
            g.asks_otherwise("お知らせは届きますか", when_only)
                .is_none()
        );
    }

    #[test]
    fn rejects_alternatives_with_one_value() {
        let e = Glossary::parse(
            Path::new("g"),
            "groups = []\n[[alternatives]]\nname = \"曜日\"\nvalues = [[\"土曜\"]]",
        )
        .unwrap_err();
        assert!(e.message.contains("曜日"), "{}", e.message);
    }

    #[test]
    fn rejects_a_lonely_word() {
        let e = Glossary::parse(Path::new("g"), "groups = [\n  [\"ひとつ\"],\n]").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
