//! Questions typed in kana alone (「かおにんしょうの しめきり」, from a phone without
//! conversion) get their words back in the sources' kanji before they are read: each run of
//! kana is matched, longest first, against the readings of the words the knowledge base uses.

use std::collections::HashMap;

use crate::knowledge::KnowledgeBase;
use crate::search::Analyzer;
use crate::text::to_katakana;

/// Katakana folded to hiragana (the reverse of `to_katakana`).
fn to_hiragana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Readings shorter than this are too ambiguous to restore (ハイ, キ).
const MIN_READING: usize = 2;

type Counts = HashMap<String, HashMap<String, usize>>;

fn add(counts: &mut Counts, reading: String, surface: String) {
    if reading.chars().count() >= MIN_READING {
        *counts
            .entry(reading)
            .or_default()
            .entry(surface)
            .or_default() += 1;
    }
}

/// Whether a word is written otherwise than in hiragana: kanji, or katakana (ポスター).
fn spelled_otherwise(word: &str) -> bool {
    word.chars()
        .any(|c| matches!(c, '一'..='鿿' | '々' | 'ァ'..='ヺ'))
        && !word.chars().any(|c| matches!(c, 'ぁ'..='ゖ'))
}

/// The knowledge base's words with kanji, by reading: the most frequent spelling of each.
pub struct KanaWords {
    by_reading: HashMap<String, String>,
    longest: usize,
}

impl KanaWords {
    pub fn new(kb: &KnowledgeBase, analyzer: &Analyzer) -> Self {
        let mut counts = Counts::new();
        for doc in kb.docs() {
            let texts = std::iter::once(&doc.title)
                .chain(&doc.questions)
                .chain(std::iter::once(&doc.body))
                .chain(doc.sections.iter().map(|s| &s.body));
            for text in texts {
                for w in analyzer.words(text) {
                    if w.content && w.pos == "名詞" && spelled_otherwise(&w.surface) {
                        add(&mut counts, w.reading, w.surface);
                    }
                }
            }
        }
        // The glossary's words too: 「きかい」 is 機械, a word the staff use for the reader.
        for word in kb.glossary.words().filter(|w| spelled_otherwise(w)) {
            let reading: String = analyzer
                .words(word)
                .into_iter()
                .map(|w| w.reading)
                .collect();
            add(&mut counts, reading, word.to_string());
        }
        let by_reading: HashMap<String, String> = counts
            .into_iter()
            .filter_map(|(reading, spellings)| {
                let (surface, _) = spellings
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))?;
                Some((reading, surface))
            })
            .collect();
        // A reading that is a question word or grammar when written in kana (いつ is not
        // 何時) is never respelled.
        let by_reading: HashMap<String, String> = by_reading
            .into_iter()
            .filter(|(reading, _)| {
                let words = analyzer.words(&to_hiragana(reading));
                words.len() != 1 || words[0].content
            })
            .collect();
        let longest = by_reading
            .keys()
            .map(|r| r.chars().count())
            .max()
            .unwrap_or(0);
        KanaWords {
            by_reading,
            longest,
        }
    }

    /// The question with its kana words spelled as the sources spell them, when it is
    /// written in kana alone; `None` otherwise (or when no word is known).
    pub fn restore(&self, text: &str) -> Option<String> {
        let kana_only = text.chars().any(|c| matches!(c, 'ぁ'..='ゖ'))
            && !text.chars().any(|c| matches!(c, '一'..='鿿' | '々'));
        if !kana_only {
            return None;
        }
        let chars: Vec<char> = text.chars().collect();
        let folded: Vec<char> = to_katakana(text).chars().collect();
        let mut out = String::new();
        let mut changed = false;
        let mut i = 0;
        while i < chars.len() {
            let found = (MIN_READING..=self.longest.min(chars.len() - i))
                .rev()
                .find_map(|n| {
                    let reading: String = folded[i..i + n].iter().collect();
                    self.by_reading.get(&reading).map(|s| (n, s))
                });
            match found {
                Some((n, surface)) => {
                    out.push_str(surface);
                    changed = true;
                    i += n;
                }
                None => {
                    out.push(chars[i]);
                    i += 1;
                }
            }
        }
        changed.then_some(out)
    }
}
