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
