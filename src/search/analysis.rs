//! Japanese analysis for the index and for queries.
//!
//! Two views of every text, OR'ed at query time (see ../shared/design/FINDINGS.md): the *reading* of each
//! content word (申込み / 申し込み / 申込 all read モウシコミ), and character *bigrams*
//! of both the surface and the reading (they catch words that IPADIC splits differently
//! in a sentence, and hiragana-only questions such as 「しめきり」).

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use lindera::dictionary::load_fs_dictionary;
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::recent::Recent;
use crate::text::{is_word_char, normalize, to_katakana};

/// Parts of speech that carry no meaning for search.
const FUNCTION_POS: [&str; 5] = ["助詞", "助動詞", "記号", "フィラー", "感動詞"];

/// Words that frame a question but say nothing about its topic (by base form).
const QUESTION_FRAME: [&str; 32] = [
    "何",
    "いつ",
    "なに",
    "なん",
    "どう",
    "どうやって",
    "どこ",
    "誰",
    "だれ",
    "どれ",
    "どの",
    "どんな",
    "どちら",
    "教える",
    "くださる",
    "下さる",
    "する",
    "いる",
    "ある",
    "なる",
    "できる",
    "行う",
    "よい",
    "いい",
    "良い",
    "思う",
    "知る",
    "分かる",
    "わかる",
    "ください",
    "もらえる",
    "やる",
];

/// A shared lindera segmenter (the dictionary is memory-mapped once), with the analyses of
/// recent texts kept.
#[derive(Clone)]
pub struct Analyzer {
    segmenter: Arc<Segmenter>,
    kept: Arc<Recent<Arc<Analysis>>>,
}

/// Texts whose analyses are kept, per generation ([`Recent`]). An answer reads its question
/// in several places (retrieval's two views, the unknown-noun check, the parts, the
/// composer), and the same passage sentences answer after answer: segmenting was most of
/// an answer's time.
const KEPT_TEXTS: usize = 4096;

/// One word as the analyzer sees it.
#[derive(Debug, Clone)]
pub struct Word {
    /// As written (normalised).
    pub surface: String,
    pub reading: String,
    /// Part of speech and its first subdivision (名詞, 代名詞).
    pub pos: String,
    pub pos_detail: String,
    /// Whether it says something about the topic (not grammar, not a question word).
    pub content: bool,
}

/// A text as the analyzer sees it: its words, and the two views that search compares.
#[derive(Debug)]
pub struct Analysis {
    pub words: Vec<Word>,
    /// [`Analyzer::readings`].
    pub readings: Vec<String>,
    /// [`Analyzer::bigrams`].
    pub bigrams: Vec<String>,
}

impl Analyzer {
    pub fn load(dict_dir: &Path) -> Result<Self> {
        if !super::dictionary::is_built(dict_dir) {
            anyhow::bail!(
                "no Japanese dictionary in {}: run `shikaku setup` (or scripts/setup.sh) first",
                dict_dir.display()
            );
        }
        let dictionary = load_fs_dictionary(dict_dir)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("loading the dictionary in {}", dict_dir.display()))?;
        Ok(Analyzer {
            segmenter: Arc::new(Segmenter::new(Mode::Normal, dictionary, None)),
            kept: Arc::new(Recent::new(KEPT_TEXTS)),
        })
    }

    /// Forgets the texts analysed so far (the benchmark's "new question").
    pub fn forget(&self) {
        self.kept.clear();
    }

    /// The same analyzer keeping only its latest few texts, apart from this one's: for
    /// texts read once (indexing, where the two views' fields read each text in a row; a
    /// passage's facts), which would only push questions out.
    pub fn for_passages(&self) -> Analyzer {
        Analyzer {
            segmenter: self.segmenter.clone(),
            kept: Arc::new(Recent::new(4)),
        }
    }

    /// The text's analysis, made once while it is kept.
    pub fn analyse(&self, text: &str) -> Arc<Analysis> {
        self.kept.get_or(text, || {
            let words = self.segment(text);
            Arc::new(Analysis {
                readings: words
                    .iter()
                    .filter(|w| w.content)
                    .map(|w| w.reading.clone())
                    .collect(),
                bigrams: bigrams(text, &words),
                words,
            })
        })
    }

    /// The words of a text, in order.
    pub fn words(&self, text: &str) -> Vec<Word> {
        self.analyse(text).words.clone()
    }

    fn segment(&self, text: &str) -> Vec<Word> {
        let normalized = normalize(text);
        let Ok(mut tokens) = self.segmenter.segment(Cow::Borrowed(normalized.as_str())) else {
            return Vec::new();
        };
        tokens
            .iter_mut()
            .map(|token| {
                let surface = token.surface.to_string();
                let details = token.details();
                let pos = details.first().copied().unwrap_or("");
                let reading = details
                    .get(7)
                    .filter(|r| **r != "*" && !r.is_empty())
                    .map_or_else(|| to_katakana(&surface), |r| r.to_string());
                let base = details.get(6).copied().unwrap_or("");
                // 非自立: こと, もの, ため, の, (して)いる — grammar, not topic.
                let dependent = details.get(1).is_some_and(|s| *s == "非自立");
                let content = !FUNCTION_POS.contains(&pos)
                    && !dependent
                    && !QUESTION_FRAME.contains(&base)
                    && !QUESTION_FRAME.contains(&surface.as_str())
                    && surface.chars().any(is_word_char);
                Word {
                    reading,
                    content,
                    pos: pos.to_string(),
                    pos_detail: details.get(1).copied().unwrap_or("").to_string(),
                    surface,
                }
            })
            .collect()
    }

    /// The readings of the content words, in order.
    pub fn readings(&self, text: &str) -> Vec<String> {
        self.analyse(text).readings.clone()
    }

    /// Bigrams of the surface (kana folded to katakana) and of the readings of runs of
    /// content words. A run of one character yields that character.
    pub fn bigrams(&self, text: &str) -> Vec<String> {
        self.analyse(text).bigrams.clone()
    }
}

/// [`Analyzer::bigrams`] of a text with its words.
fn bigrams(text: &str, words: &[Word]) -> Vec<String> {
    let mut out = Vec::new();
    let surface = to_katakana(&normalize(text));
    for run in surface.split(|c: char| !is_word_char(c)) {
        push_bigrams(run, &mut out);
    }
    let mut run = String::new();
    for word in words {
        if word.content {
            run.push_str(&word.reading);
        } else {
            push_bigrams(&run, &mut out);
            run.clear();
        }
    }
    push_bigrams(&run, &mut out);
    out
}

fn push_bigrams(run: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = run.chars().filter(|c| is_word_char(*c)).collect();
    match chars.len() {
        0 => {}
        1 => out.push(chars[0].to_string()),
        _ => out.extend(chars.windows(2).map(|w| w.iter().collect())),
    }
}

/// Which view of the text a tantivy field indexes.
#[derive(Clone, Copy)]
pub enum View {
    Reading,
    Bigram,
}

/// A tantivy tokenizer over one view of the [`Analyzer`]. Custom tokenizers are not
/// stored in the index: register them after every `Index::open`.
#[derive(Clone)]
pub struct JapaneseTokenizer {
    analyzer: Analyzer,
    view: View,
}

impl JapaneseTokenizer {
    pub fn new(analyzer: Analyzer, view: View) -> Self {
        JapaneseTokenizer { analyzer, view }
    }
}

pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for JapaneseTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let analysis = self.analyzer.analyse(text);
        let texts = match self.view {
            View::Reading => &analysis.readings,
            View::Bigram => &analysis.bigrams,
        };
        let tokens = texts
            .iter()
            .enumerate()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text: text.clone(),
                position_length: 1,
            })
            .collect();
        VecTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}
