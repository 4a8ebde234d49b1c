//! The domain glossary: groups of words clinic staff use for the same thing.

use std::path::Path;

use serde::Deserialize;

use super::Diagnostic;
use crate::text::normalize;

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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    groups: Vec<Vec<String>>,
}

impl Glossary {
    pub fn parse(path: &Path, text: &str) -> Result<Self, Diagnostic> {
        let err = |line: usize, message: String| Diagnostic::new(path, line, message);
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map_or(1, |s| text[..s.start].matches('\n').count() + 1);
            err(line, e.message().to_string())
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
                    "a glossary group needs at least two non-empty words".into(),
                ));
            }
            groups.push(words);
        }
        Ok(Glossary { groups })
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
    fn rejects_a_lonely_word() {
        let e = Glossary::parse(Path::new("g"), "groups = [\n  [\"ひとつ\"],\n]").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
