//! Writing an answer from retrieved passages when no curated answer fits.
//!
//! Two writers: the local language model ([`ModelWriter`]), whose drafts the assistant
//! verifies against the passages before use, and the [`ExtractiveWriter`], which quotes
//! the passages' most relevant sentences and is used when there is no model or its draft
//! is rejected.

use std::collections::HashSet;

use crate::llm::generate::{Generator, Params, Sampling};
use crate::llm::prompt::PromptTemplate;
use crate::search::{Analyzer, Hit};
use crate::text::sentences;

/// A written answer and the passages it rests on.
pub struct Draft<'a> {
    pub text: String,
    pub used: Vec<&'a Hit>,
}

/// The local model, prompted with the passages (greedy decoding: the same question gets
/// the same draft).
pub struct ModelWriter {
    generator: Generator,
    pub prompt: PromptTemplate,
}

impl ModelWriter {
    pub fn new(generator: Generator, prompt: PromptTemplate) -> Self {
        ModelWriter { generator, prompt }
    }

    pub fn model_name(&self) -> &str {
        &self.generator.model_name
    }
}

impl ModelWriter {
    /// A draft, whole: nobody reads it before the verifier has accepted it.
    pub fn draft<'a>(&self, question: &str, passages: &[&'a Hit]) -> Option<Draft<'a>> {
        if passages.is_empty() {
            return None;
        }
        let texts: Vec<&str> = passages.iter().map(|h| h.passage.text.as_str()).collect();
        let params = Params {
            max_tokens: self.prompt.max_tokens,
            stop: self.prompt.stop.clone(),
            sampling: Sampling::Greedy,
        };
        match self
            .generator
            .generate(self.prompt.render(&texts, question), params)
        {
            Ok(generation) => Some(Draft {
                text: generation.text.trim().to_string(),
                used: passages.to_vec(),
            }),
            Err(e) => {
                tracing::warn!("the model wrote no draft: {e:#}");
                None
            }
        }
    }
}

/// Quotes the sentences of the passages that share the most words with the question.
pub struct ExtractiveWriter;

/// At most this many sentences are quoted.
const MAX_SENTENCES: usize = 2;

impl ExtractiveWriter {
    /// A draft from `passages` (best first), or `None` when they say nothing to the point.
    pub fn write<'a>(
        &self,
        question: &str,
        passages: &[&'a Hit],
        analyzer: &Analyzer,
    ) -> Option<Draft<'a>> {
        let wanted: HashSet<String> = analyzer.readings(question).into_iter().collect();
        if wanted.is_empty() {
            return None;
        }
        // (overlap, passage index, sentence index, sentence)
        let mut scored = Vec::new();
        for (p, hit) in passages.iter().enumerate() {
            for (s, sentence) in sentences(&hit.passage.text).enumerate() {
                let words: HashSet<String> = analyzer.readings(sentence).into_iter().collect();
                let overlap = words.intersection(&wanted).count();
                if overlap > 0 {
                    scored.push((overlap, p, s, sentence));
                }
            }
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        scored.truncate(MAX_SENTENCES);
        if scored.is_empty() {
            return None;
        }
        scored.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)));
        let mut used: Vec<&Hit> = Vec::new();
        for (_, p, _, _) in &scored {
            if !used.iter().any(|h| std::ptr::eq(*h, passages[*p])) {
                used.push(passages[*p]);
            }
        }
        let first = used[0];
        let source = match &first.passage.section {
            Some(section) => format!("「{}」の「{}」", first.passage.title, section),
            None => format!("「{}」", first.passage.title),
        };
        let quoted: Vec<&str> = scored.into_iter().map(|(_, _, _, s)| s).collect();
        Some(Draft {
            text: format!(
                "資料{source}には、次のように記載されています。\n{}",
                quoted.join("\n")
            ),
            used,
        })
    }
}
