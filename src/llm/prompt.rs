//! Prompt templates from `prompts/`, loaded and checked at start.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Characters of source text the prompt carries at most (the model's context is small,
/// and a 270M model copies better from a short text).
const MAX_PASSAGE_CHARS: usize = 700;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptTemplate {
    /// Logged with every answer the model writes.
    pub version: String,
    pub max_tokens: usize,
    pub stop: Vec<String>,
    template: String,
}

impl PromptTemplate {
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let prompt: PromptTemplate = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map_or(1, |s| text[..s.start].matches('\n').count() + 1);
            anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
        })?;
        for placeholder in ["{passages}", "{question}"] {
            if !prompt.template.contains(placeholder) {
                bail!("{}: the template lacks {placeholder}", path.display());
            }
        }
        if prompt.version.trim().is_empty() {
            bail!("{}: version is empty", path.display());
        }
        if !(1..=512).contains(&prompt.max_tokens) {
            bail!(
                "{}: max_tokens must be 1–512, not {}",
                path.display(),
                prompt.max_tokens
            );
        }
        Ok(prompt)
    }

    /// The prompt for a question and its passages (each on one line, the whole cut short).
    pub fn render(&self, passages: &[&str], question: &str) -> String {
        let joined: String = passages
            .iter()
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join(" ");
        let cut: String = joined.chars().take(MAX_PASSAGE_CHARS).collect();
        let question = question.split_whitespace().collect::<Vec<_>>().join(" ");
        self.template
            .replace("{passages}", &cut)
            .replace("{question}", &question)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_prompt_loads_and_renders() {
        let p = PromptTemplate::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/answer.toml"),
        )
        .unwrap();
        let text = p.render(&["一行目。\n二行目。"], "締切は？");
        assert!(
            text.ends_with("資料：一行目。 二行目。\n質問：締切は？\n回答："),
            "{text}"
        );
    }

    #[test]
    fn a_template_without_placeholders_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "version = \"x\"\nmax_tokens = 10\nstop = []\ntemplate = \"{question}\"\n",
        )
        .unwrap();
        let e = PromptTemplate::load(&path).unwrap_err().to_string();
        assert!(e.contains("lacks {passages}"), "{e}");
        std::fs::write(
            &path,
            "version = \"x\"\nmax_tokens = 10\nstop = []\ntemplate = 1\n",
        )
        .unwrap();
        assert!(
            PromptTemplate::load(&path)
                .unwrap_err()
                .to_string()
                .contains("p.toml:4")
        );
    }
}
