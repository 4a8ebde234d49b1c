//! The labelled questions the judge learns from (`training/answerability/`): each question
//! with the passages that answer it, or none. Read and checked here: every passage named
//! must exist, every id be unique; and none may be an evaluation question.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// One labelled question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    pub id: String,
    pub question: String,
    pub register: String,
    /// The passage it was written about (`none` for questions about nothing in the sources).
    pub written_for: String,
    /// `positive`, `negative` or `unanswerable`.
    pub kind: String,
    /// Every passage that answers it.
    pub answers: Vec<String>,
    #[allow(dead_code)]
    pub note: String,
}

/// A passage's name in the corpus: an FAQ's or form's id, or `notice#section`.
pub fn passage_name(doc_id: &str, section_id: Option<&str>) -> String {
    match section_id {
        Some(s) => format!("{doc_id}#{s}"),
        None => doc_id.to_string(),
    }
}

/// The corpus: its questions, in file and line order, and its files' digest.
pub struct Corpus {
    pub questions: Vec<Labelled>,
    pub sha256: String,
}

impl Corpus {
    /// Reads every `*.jsonl` under `dir/questions`, in name order; `passages` are the
    /// passages that exist (labels naming others are errors).
    pub fn read(dir: &Path, passages: &HashSet<String>) -> Result<Corpus> {
        let folder = dir.join("questions");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("reading {}", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        files.sort();
        if files.is_empty() {
            bail!("no *.jsonl in {}", folder.display());
        }
        let mut digest = Sha256::new();
        let mut questions = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        for file in &files {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            digest.update(file.file_name().unwrap_or_default().as_encoded_bytes());
            digest.update(text.as_bytes());
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let at = || format!("{}:{}", file.display(), i + 1);
                let q: Labelled = serde_json::from_str(line)
                    .with_context(|| format!("{}: not a labelled question", at()))?;
                if let Some(first) = seen.insert(q.id.clone(), at()) {
                    bail!("{}: id {} again (first at {first})", at(), q.id);
                }
                for p in q
                    .answers
                    .iter()
                    .chain(std::iter::once(&q.written_for).filter(|w| w.as_str() != "none"))
                {
                    if !passages.contains(p) {
                        bail!("{}: {} is no passage of the knowledge base", at(), p);
                    }
                }
                let expected = match (q.answers.is_empty(), q.answers.contains(&q.written_for)) {
                    (_, true) => "positive",
                    (true, false) if q.written_for == "none" => "unanswerable",
                    _ => "negative",
                };
                if q.kind != expected {
                    bail!(
                        "{}: kind {} but its labels make it {expected}",
                        at(),
                        q.kind
                    );
                }
                questions.push(q);
            }
        }
        Ok(Corpus {
            questions,
            sha256: format!("{:x}", digest.finalize()),
        })
    }
}

/// How alike two questions are: the Jaccard index of their character bigrams, as the
/// grading rules read text (NFKC, no whitespace).
pub fn likeness(a: &str, b: &str) -> f64 {
    let grams = |t: &str| -> HashSet<(char, char)> {
        let chars: Vec<char> = crate::text::grading_form(t)
            .to_lowercase()
            .chars()
            .collect();
        chars.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (a, b) = (grams(a), grams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / a.union(&b).count() as f64
}

/// Corpus questions too like an evaluation question (`likeness` at least `limit`): what
/// must never be in the training data. (corpus id, evaluation question, likeness).
pub fn too_like<'a>(
    corpus: &'a [Labelled],
    evaluation: &'a [String],
    limit: f64,
) -> Vec<(&'a str, &'a str, f64)> {
    let mut out = Vec::new();
    for q in corpus {
        for e in evaluation {
            let l = likeness(&q.question, e);
            if l >= limit {
                out.push((q.id.as_str(), e.as_str(), l));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn likeness_reads_text_as_grading_does() {
        assert_eq!(likeness("締切は いつ？", "締切はいつ?"), 1.0);
        assert!(likeness("カードリーダーの締切はいつ", "補助金の上限はいくら") < 0.1);
    }
}
