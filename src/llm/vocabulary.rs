//! A tokenizer's vocabulary in little memory.

use std::hash::BuildHasher;

use anyhow::{Result, bail};
use hashbrown::{DefaultHashBuilder, HashTable};

/// Every token's text, by id, and the ids by text; where two tokens share a text, the
/// later one (as in llama.cpp). One string of all the texts and a hash table of ids: the
/// Gemma tokenizer takes 8 MB with them, 35 MB with a map of strings and a list of them.
pub(super) struct Vocabulary {
    /// The texts one after the other: token `id` ends at `ends[id]`.
    text: String,
    ends: Vec<u32>,
    ids: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Vocabulary {
    pub(super) fn new(pieces: &[&str]) -> Result<Self> {
        let length: usize = pieces.iter().map(|p| p.len()).sum();
        if length > u32::MAX as usize {
            bail!("the vocabulary's texts take {length} bytes, more than token offsets hold");
        }
        let mut vocabulary = Vocabulary {
            text: String::with_capacity(length),
            ends: Vec::with_capacity(pieces.len()),
            ids: HashTable::with_capacity(pieces.len()),
            hasher: DefaultHashBuilder::default(),
        };
        for (id, piece) in pieces.iter().enumerate() {
            vocabulary.text.push_str(piece);
            vocabulary.ends.push(vocabulary.text.len() as u32);
            let Vocabulary {
                text,
                ends,
                ids,
                hasher,
            } = &mut vocabulary;
            let of = |id: u32| text_of(text, ends, id);
            let hash = hasher.hash_one(piece);
            match ids.find_mut(hash, |&other| of(other) == *piece) {
                Some(slot) => *slot = id as u32,
                None => {
                    ids.insert_unique(hash, id as u32, |&other| hasher.hash_one(of(other)));
                }
            }
        }
        Ok(vocabulary)
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The text of a token id below `len()`.
    pub(super) fn piece(&self, id: u32) -> &str {
        text_of(&self.text, &self.ends, id)
    }

    pub(super) fn id(&self, piece: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(piece);
        self.ids.find(hash, |&id| self.piece(id) == piece).copied()
    }
}

fn text_of<'a>(text: &'a str, ends: &[u32], id: u32) -> &'a str {
    let id = id as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] as usize };
    &text[start..ends[id] as usize]
}
