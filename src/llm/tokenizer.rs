//! The Gemma tokenizer, from the GGUF's own vocabulary.
//!
//! The GGUF holds a SentencePiece-style vocabulary with scores and no merges
//! (`tokenizer.ggml.model = "llama"`). This is llama.cpp's tokenizer for it, whose ids
//! the tests compare with (`tests/e2e/llm.rs`):
//! 1. tokens that are not normal pieces (`<start_of_turn>`, user-defined ones) are cut out
//!    of the text first, the longest first;
//! 2. in the rest, a space is `▁`, every character a symbol, and the two neighbours that
//!    form the best-scored piece are joined, again and again (leftmost first on a tie);
//! 3. a symbol that is no piece is written as its bytes (`<0xE2>`).
//!
//! Our own rather than the `tokenizers` crate's BPE: that one needed a merge table built
//! from every split of every piece, and with Gemma's 262,144 pieces it raised the model's
//! peak memory by 59 MB (`shikaku bench llm`: 471 → 412 MB); these tables take 8 MB.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::{Content, Value};

use super::vocabulary::Vocabulary;

/// llama.cpp's token types.
const UNKNOWN: i32 = 2;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;

/// SentencePiece's mark for a space.
const METASPACE: char = '\u{2581}';

pub struct GemmaTokenizer {
    pieces: Vocabulary,
    scores: Vec<f32>,
    /// Whether a token is matched in the text before anything else: control, unknown and
    /// user-defined tokens (`<start_of_turn>`, runs of newlines).
    is_special: Vec<bool>,
    /// The first bytes of those tokens, to look for them only where one can start.
    special_starts: [bool; 256],
    /// Their distinct lengths in bytes.
    special_lengths: Vec<usize>,
    /// The token of each byte (`<0x00>` … `<0xFF>`), for characters that are no piece.
    bytes: Vec<u32>,
    pub bos: u32,
    pub eos: u32,
}

fn metadata<'a>(content: &'a Content, key: &str) -> Result<&'a Value> {
    content
        .metadata
        .get(key)
        .with_context(|| format!("the GGUF has no {key}"))
}

impl GemmaTokenizer {
    pub fn from_gguf(content: &Content) -> Result<Self> {
        let model = metadata(content, "tokenizer.ggml.model")?.to_string()?;
        if model != "llama" {
            bail!(
                "unsupported tokenizer model \"{model}\" (expected \"llama\", SentencePiece-style)"
            );
        }
        let tokens = metadata(content, "tokenizer.ggml.tokens")?.to_vec()?;
        let scores: Vec<f32> = metadata(content, "tokenizer.ggml.scores")?
            .to_vec()?
            .iter()
            .map(|v| v.to_f32())
            .collect::<candle_core::Result<_>>()?;
        let types: Vec<i32> = metadata(content, "tokenizer.ggml.token_type")?
            .to_vec()?
            .iter()
            .map(|v| v.to_i32())
            .collect::<candle_core::Result<_>>()?;
        let bos = metadata(content, "tokenizer.ggml.bos_token_id")?.to_u32()?;
        let eos = metadata(content, "tokenizer.ggml.eos_token_id")?.to_u32()?;
        let tokens: Vec<&str> = tokens
            .iter()
            .map(|v| v.to_string().map(String::as_str))
            .collect::<candle_core::Result<_>>()?;
        Self::new(&tokens, scores, &types, bos, eos)
    }

    /// The tokenizer of a vocabulary: each token's text, score and llama.cpp type.
    pub fn new(
        tokens: &[&str],
        scores: Vec<f32>,
        types: &[i32],
        bos: u32,
        eos: u32,
    ) -> Result<Self> {
        if scores.len() != tokens.len() || types.len() != tokens.len() {
            bail!(
                "tokenizer arrays differ in length: {} tokens, {} scores, {} types",
                tokens.len(),
                scores.len(),
                types.len()
            );
        }
        if tokens.len() > u32::MAX as usize {
            bail!("{} tokens do not fit token ids", tokens.len());
        }
        let pieces = Vocabulary::new(tokens)?;
        for (name, id) in [("BOS", bos), ("EOS", eos)] {
            if id as usize >= pieces.len() {
                bail!("the {name} token {id} is not in the vocabulary");
            }
        }
        let bytes = (0..=255u8)
            .map(|b| {
                pieces
                    .id(&format!("<0x{b:02X}>"))
                    .with_context(|| format!("the vocabulary has no byte token <0x{b:02X}>"))
            })
            .collect::<Result<Vec<u32>>>()?;

        let mut is_special = vec![false; pieces.len()];
        let mut special_starts = [false; 256];
        let mut special_lengths: Vec<usize> = Vec::new();
        for (id, piece) in tokens.iter().enumerate() {
            if matches!(types[id], UNKNOWN | CONTROL | USER_DEFINED)
                && !piece.is_empty()
                && pieces.id(piece) == Some(id as u32)
            {
                is_special[id] = true;
                special_starts[piece.as_bytes()[0] as usize] = true;
                special_lengths.push(piece.len());
            }
        }
        special_lengths.sort_unstable();
        special_lengths.dedup();
        Ok(GemmaTokenizer {
            pieces,
            scores,
            is_special,
            special_starts,
            special_lengths,
            bytes,
            bos,
            eos,
        })
    }

    /// Token ids of `text`, with BOS first when asked. Control tokens written in the text
    /// (`<start_of_turn>`) are parsed as such.
    pub fn encode(&self, text: &str, add_bos: bool) -> Result<Vec<u32>> {
        let mut ids = Vec::with_capacity(text.len() / 2 + 1);
        if add_bos {
            ids.push(self.bos);
        }
        let mut escaped = String::new();
        for fragment in self.partition(text) {
            match fragment {
                Fragment::Token(id) => ids.push(id),
                Fragment::Text(range) => {
                    escaped.clear();
                    escaped.extend(text[range].chars().map(|c| match c {
                        ' ' => METASPACE,
                        c => c,
                    }));
                    self.join_pieces(&escaped, &mut ids);
                }
            }
        }
        Ok(ids)
    }

    /// The text in fragments: the special tokens found in it, and the text between them.
    /// As llama.cpp: each special token in turn, longest first, is cut out of the text
    /// fragments left, at every place it occurs, leftmost first.
    fn partition(&self, text: &str) -> Vec<Fragment> {
        if text.is_empty() {
            return Vec::new();
        }
        let mut fragments = vec![Fragment::Text(0..text.len())];
        for id in self.specials_in(text) {
            let piece = self.pieces.piece(id);
            let mut cut = Vec::with_capacity(fragments.len() + 2);
            for fragment in fragments {
                let range = match fragment {
                    Fragment::Text(range) => range,
                    token => {
                        cut.push(token);
                        continue;
                    }
                };
                let mut start = range.start;
                while let Some(at) = text[start..range.end].find(piece) {
                    let at = start + at;
                    if at > start {
                        cut.push(Fragment::Text(start..at));
                    }
                    cut.push(Fragment::Token(id));
                    start = at + piece.len();
                }
                if start < range.end {
                    cut.push(Fragment::Text(start..range.end));
                }
            }
            fragments = cut;
        }
        fragments
    }

    /// The special tokens that occur in `text`, in the order they are cut out.
    fn specials_in(&self, text: &str) -> Vec<u32> {
        let mut found = Vec::new();
        for (at, &byte) in text.as_bytes().iter().enumerate() {
            if !self.special_starts[byte as usize] || !text.is_char_boundary(at) {
                continue;
            }
            for &length in &self.special_lengths {
                if let Some(candidate) = text.get(at..at + length)
                    && let Some(id) = self.pieces.id(candidate)
                    && self.is_special[id as usize]
                {
                    found.push(id);
                }
            }
        }
        let length = |id: u32| self.pieces.piece(id).len();
        found.sort_unstable_by(|&a, &b| length(b).cmp(&length(a)).then(a.cmp(&b)));
        found.dedup();
        found
    }

    /// SentencePiece's joining of one text fragment (spaces already `▁`): every character
    /// a symbol; the neighbours whose joined text is the best-scored piece are joined
    /// first, the leftmost on a tie; a symbol left that is no piece is written as bytes.
    fn join_pieces(&self, text: &str, out: &mut Vec<u32>) {
        let count = text.chars().count();
        let mut symbols: Vec<Symbol> = text
            .char_indices()
            .enumerate()
            .map(|(i, (start, c))| Symbol {
                start,
                len: c.len_utf8(),
                prev: if i == 0 { NONE } else { i - 1 },
                next: if i + 1 == count { NONE } else { i + 1 },
            })
            .collect();
        let mut queue = BinaryHeap::new();
        let pair = |symbols: &[Symbol], left: usize, right: usize| -> Option<Pair> {
            if left == NONE || right == NONE {
                return None;
            }
            let start = symbols[left].start;
            let len = symbols[left].len + symbols[right].len;
            let id = self.pieces.id(&text[start..start + len])?;
            Some(Pair {
                score: self.scores[id as usize],
                left,
                right,
                len,
            })
        };
        for i in 1..count {
            queue.extend(pair(&symbols, i - 1, i));
        }
        while let Some(Pair {
            left, right, len, ..
        }) = queue.pop()
        {
            let (l, r) = (&symbols[left], &symbols[right]);
            if l.len == 0 || r.len == 0 || l.len + r.len != len {
                continue; // one of the two was joined to another symbol since
            }
            let after = r.next;
            symbols[left].len = len;
            symbols[right].len = 0;
            symbols[left].next = after;
            if after != NONE {
                symbols[after].prev = left;
            }
            queue.extend(pair(&symbols, symbols[left].prev, left));
            queue.extend(pair(&symbols, left, after));
        }
        let mut i = if count == 0 { NONE } else { 0 };
        while i != NONE {
            let symbol = &symbols[i];
            let piece = &text[symbol.start..symbol.start + symbol.len];
            match self.pieces.id(piece) {
                Some(id) => out.push(id),
                None => out.extend(piece.bytes().map(|b| self.bytes[b as usize])),
            }
            i = symbol.next;
        }
    }

    /// The text of `ids`: `▁` as a space, byte tokens joined into their characters (a
    /// character not yet whole is one `U+FFFD` per byte, as the stream waits for it),
    /// control tokens as written. Ids outside the vocabulary are left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        let mut text = String::new();
        let mut pending: Vec<u8> = Vec::new();
        let flush = |pending: &mut Vec<u8>, text: &mut String| {
            match std::str::from_utf8(pending) {
                Ok(s) => text.push_str(s),
                Err(_) => text.extend(std::iter::repeat_n('\u{fffd}', pending.len())),
            }
            pending.clear();
        };
        for &id in ids {
            if id as usize >= self.pieces.len() {
                continue;
            }
            let piece = self.pieces.piece(id);
            if let Some(byte) = byte_of(piece) {
                pending.push(byte);
                continue;
            }
            flush(&mut pending, &mut text);
            text.extend(piece.chars().map(|c| if c == METASPACE { ' ' } else { c }));
        }
        flush(&mut pending, &mut text);
        Ok(text)
    }
}

/// The byte a byte token stands for: `<0xE2>` is 0xE2.
fn byte_of(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

enum Fragment {
    Text(std::ops::Range<usize>),
    Token(u32),
}

const NONE: usize = usize::MAX;

/// A run of the text being joined: `len` 0 once joined into the symbol on its left.
struct Symbol {
    start: usize,
    len: usize,
    prev: usize,
    next: usize,
}

/// Two neighbouring symbols whose joined text is a piece.
struct Pair {
    score: f32,
    left: usize,
    right: usize,
    len: usize,
}

/// The best score first; on a tie, the leftmost.
impl Ord for Pair {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then(other.left.cmp(&self.left))
    }
}

impl PartialOrd for Pair {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pair {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pair {}

#[cfg(test)]
mod tests {
    use super::*;

    const BYTE: i32 = 6;

    /// `<unk>`, `<bos>`, `<eos>`, the 256 byte tokens, then `extra` (text, score, type).
    fn tokenizer(extra: &[(&str, f32, i32)]) -> GemmaTokenizer {
        let bytes: Vec<String> = (0..=255u8).map(|b| format!("<0x{b:02X}>")).collect();
        let mut tokens = vec!["<unk>", "<bos>", "<eos>"];
        let mut scores = vec![0.0; 3];
        let mut types = vec![UNKNOWN, CONTROL, CONTROL];
        for byte in &bytes {
            tokens.push(byte);
            scores.push(0.0);
            types.push(BYTE);
        }
        for &(text, score, kind) in extra {
            tokens.push(text);
            scores.push(score);
            types.push(kind);
        }
        GemmaTokenizer::new(&tokens, scores, &types, 1, 2).unwrap()
    }

    fn pieces(t: &GemmaTokenizer, text: &str) -> Vec<String> {
        let ids = t.encode(text, false).unwrap();
        ids.iter()
            .map(|&id| t.pieces.piece(id).to_string())
            .collect()
    }

    const NORMAL: i32 = 1;

    #[test]
    fn the_best_scored_pair_is_joined_first_and_the_leftmost_on_a_tie() {
        let letters = [
            ("a", -1.0, NORMAL),
            ("b", -1.0, NORMAL),
            ("c", -1.0, NORMAL),
        ];
        let better_right = tokenizer(&[
            letters[0],
            letters[1],
            letters[2],
            ("ab", -5.0, NORMAL),
            ("bc", -2.0, NORMAL),
        ]);
        assert_eq!(pieces(&better_right, "abc"), ["a", "bc"]);
        let tie = tokenizer(&[
            letters[0],
            letters[1],
            letters[2],
            ("ab", -2.0, NORMAL),
            ("bc", -2.0, NORMAL),
        ]);
        assert_eq!(pieces(&tie, "abc"), ["ab", "c"]);
        // Joins go on as long as a joined text is a piece: "ab" + "c" is "abc".
        let longer = tokenizer(&[
            letters[0],
            letters[1],
            letters[2],
            ("ab", -2.0, NORMAL),
            ("abc", -3.0, NORMAL),
        ]);
        assert_eq!(pieces(&longer, "abcab"), ["abc", "ab"]);
    }

    #[test]
    fn spaces_are_metaspace_and_what_is_no_piece_is_bytes() {
        let t = tokenizer(&[
            ("a", -1.0, NORMAL),
            ("▁", -1.0, NORMAL),
            ("▁a", -1.5, NORMAL),
        ]);
        assert_eq!(pieces(&t, "a a"), ["a", "▁a"]);
        assert_eq!(pieces(&t, "aé"), ["a", "<0xC3>", "<0xA9>"]);
        assert_eq!(t.decode(&t.encode("a aé", false).unwrap()).unwrap(), "a aé");
        // A character not yet whole is U+FFFD per byte.
        let ids = t.encode("é", false).unwrap();
        assert_eq!(t.decode(&ids[..1]).unwrap(), "\u{fffd}");
        assert!(t.encode("", true).unwrap() == [1]);
    }

    #[test]
    fn special_tokens_are_cut_out_first_the_longest_first() {
        let t = tokenizer(&[
            ("a", -1.0, NORMAL),
            ("<", -1.0, NORMAL),
            (">", -1.0, NORMAL),
            ("<t>", 0.0, CONTROL),
            ("<t><t>", 0.0, USER_DEFINED),
            ("\n\n", 0.0, USER_DEFINED),
        ]);
        assert_eq!(pieces(&t, "a<t><t><t>a"), ["a", "<t><t>", "<t>", "a"]);
        assert_eq!(pieces(&t, "\n\n<t>"), ["\n\n", "<t>"]);
        assert_eq!(pieces(&t, "<a>"), ["<", "a", ">"]);
        assert_eq!(
            t.decode(&t.encode("a<t>", true).unwrap()).unwrap(),
            "<bos>a<t>"
        );
    }

    #[test]
    fn a_vocabulary_without_byte_tokens_or_with_uneven_arrays_is_refused() {
        let error = GemmaTokenizer::new(&["<unk>", "a"], vec![0.0; 2], &[UNKNOWN, NORMAL], 0, 0)
            .err()
            .unwrap();
        assert!(error.to_string().contains("byte token <0x00>"), "{error}");
        let error = GemmaTokenizer::new(&["a"], vec![], &[NORMAL], 0, 0)
            .err()
            .unwrap();
        assert!(error.to_string().contains("differ in length"), "{error}");
    }
}
