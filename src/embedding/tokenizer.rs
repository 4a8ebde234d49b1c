//! multilingual-e5's tokenizer: XLM-R's SentencePiece unigram model, built with the
//! `tokenizers` crate from the pieces and scores in the model file, behind the file's own
//! character normalisation (full-width to half-width, compatibility forms, control
//! characters removed) and SentencePiece's metaspace (`▁` for a space, one in front).

use std::collections::HashMap;

use anyhow::{Result, anyhow};
use tokenizers::Model as _;
use tokenizers::models::unigram::Unigram;

use super::file::Vocabulary;

/// SentencePiece's word-boundary mark.
const METASPACE: char = '\u{2581}';

pub struct E5Tokenizer {
    unigram: Unigram,
    normalization: HashMap<char, String>,
    pub bos: u32,
    pub eos: u32,
}

impl E5Tokenizer {
    pub fn new(vocabulary: Vocabulary) -> Result<Self> {
        let unigram = Unigram::from(vocabulary.pieces, Some(vocabulary.unk as usize), false)
            .map_err(|e| anyhow!("building the unigram tokenizer: {e}"))?;
        Ok(E5Tokenizer {
            unigram,
            normalization: vocabulary.normalization,
            bos: vocabulary.bos,
            eos: vocabulary.eos,
        })
    }

    /// The text as the unigram model reads it: every character through the file's table,
    /// runs of spaces as one, each space as `▁`, and one `▁` in front (a leading space is
    /// that one).
    pub fn normalize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 3);
        out.push(METASPACE);
        let mut after_space = true;
        let mut push = |c: char, out: &mut String| {
            if c == ' ' {
                if !after_space {
                    out.push(METASPACE);
                }
                after_space = true;
            } else {
                out.push(c);
                after_space = false;
            }
        };
        for c in text.chars() {
            match self.normalization.get(&c) {
                Some(replacement) => replacement.chars().for_each(|r| push(r, &mut out)),
                None => push(c, &mut out),
            }
        }
        out
    }

    /// The ids of the text's pieces, without the special tokens.
    pub fn pieces(&self, text: &str) -> Result<Vec<u32>> {
        let normalized = self.normalize(text);
        let tokens = self
            .unigram
            .tokenize(&normalized)
            .map_err(|e| anyhow!("tokenizing: {e}"))?;
        Ok(tokens.into_iter().map(|t| t.id).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer() -> E5Tokenizer {
        let pieces = [
            "<s>",
            "</s>",
            "<unk>",
            "▁",
            "▁カード",
            "リーダー",
            "▁a",
            "b",
        ]
        .iter()
        .enumerate()
        .map(|(i, p)| (p.to_string(), -(i as f64)))
        .collect();
        E5Tokenizer::new(Vocabulary {
            pieces,
            bos: 0,
            eos: 1,
            unk: 2,
            normalization: [
                ('Ａ', "a".to_string()),
                ('\u{3000}', " ".to_string()),
                ('\u{1}', String::new()),
            ]
            .into_iter()
            .collect(),
        })
        .unwrap()
    }

    #[test]
    fn normalizes_as_sentencepiece_does() {
        let t = tokenizer();
        // One ▁ in front; a leading space is that one; runs of spaces are one; the table
        // maps full-width forms and drops control characters.
        assert_eq!(t.normalize("カード"), "▁カード");
        assert_eq!(t.normalize(" Ａ\u{3000} \u{1}b"), "▁a▁b");
    }

    #[test]
    fn splits_into_the_best_pieces_and_unknowns() {
        let t = tokenizer();
        assert_eq!(t.pieces("カードリーダー").unwrap(), vec![4, 5]);
        assert_eq!(t.pieces("ab").unwrap(), vec![6, 7]);
        assert!(t.pieces("z").unwrap().contains(&2));
    }
}
