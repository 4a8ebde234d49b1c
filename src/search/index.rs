//! The tantivy index of passages: one per FAQ, per notice section, per form document.
//!
//! Queries are built from the fields' own analyzers as OR'ed term queries, never with
//! `QueryParser` (it turns a Japanese sentence into one strict phrase that matches nothing).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result, ensure};
use sha2::{Digest, Sha256};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, Searcher, TantivyDocument, Term};

use super::analysis::{Analyzer, JapaneseTokenizer, View};
use super::facts::PassageFacts;
use super::passage::Passage;
use super::vectors::{Dense, QueryVectors, Vectors};
use crate::embedding::Embedder;
use crate::knowledge::{Kind, KnowledgeBase};

mod query;
pub use query::Hit;

/// Bump when the schema or the analysis changes, so old indexes are rebuilt.
const INDEX_FORMAT: &str = "shikaku-index-8";
const FINGERPRINT_FILE: &str = "shikaku-fingerprint";

#[derive(Clone, Copy)]
struct Fields {
    ord: Field,
    doc_id: Field,
    section_id: Field,
    kind: Field,
    title: Field,
    section: Field,
    heading_text: Field,
    questions: Field,
    text: Field,
    english: Field,
    q_reading: Field,
    q_bigram: Field,
    b_reading: Field,
    b_bigram: Field,
}

pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    /// Each passage's address, by its position, and back.
    addresses: Vec<DocAddress>,
    ords: HashMap<DocAddress, usize>,
    dense: Option<Dense>,
    /// What ranking reads of each passage, by position: read from the index and analysed
    /// the first time the passage is a candidate, then kept for the index's life.
    facts: Vec<OnceLock<Box<PassageFacts>>>,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analyzed = |name: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let fields = Fields {
        ord: b.add_u64_field("ord", FAST | STORED),
        doc_id: b.add_text_field("doc_id", STRING | STORED),
        section_id: b.add_text_field("section_id", STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        title: b.add_text_field("title", STORED),
        section: b.add_text_field("section", STORED),
        heading_text: b.add_text_field("heading_text", STORED),
        questions: b.add_text_field("questions", STORED),
        text: b.add_text_field("text", STORED),
        english: b.add_text_field("english", STORED),
        q_reading: b.add_text_field("q_reading", analyzed("ja_reading")),
        q_bigram: b.add_text_field("q_bigram", analyzed("ja_bigram")),
        b_reading: b.add_text_field("b_reading", analyzed("ja_reading")),
        b_bigram: b.add_text_field("b_bigram", analyzed("ja_bigram")),
    };
    (b.build(), fields)
}

fn register(index: &Index, analyzer: &Analyzer) {
    let analyzer = analyzer.for_passages();
    let tokenizers = index.tokenizers();
    tokenizers.register(
        "ja_reading",
        TextAnalyzer::from(JapaneseTokenizer::new(analyzer.clone(), View::Reading)),
    );
    tokenizers.register(
        "ja_bigram",
        TextAnalyzer::from(JapaneseTokenizer::new(analyzer.clone(), View::Bigram)),
    );
}

/// A digest of everything the index depends on: its format and every knowledge file.
pub fn fingerprint(kb: &KnowledgeBase) -> String {
    let mut h = Sha256::new();
    h.update(INDEX_FORMAT);
    for file in &kb.files {
        h.update(
            Path::new(&file.path)
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
                .as_bytes(),
        );
        h.update([0]);
        h.update(file.text.as_bytes());
        h.update([0]);
    }
    format!("{:x}", h.finalize())
}

impl SearchIndex {
    /// Builds a fresh index of `passages` in `dir` (replacing what was there), with their
    /// meaning vectors when an embedder is given.
    pub fn build(
        passages: &[Passage],
        analyzer: &Analyzer,
        embedder: Option<&Arc<Embedder>>,
        dir: &Path,
        fingerprint: &str,
    ) -> Result<Self> {
        let dense = match embedder {
            Some(embedder) => Some(Dense::new(
                embedder.clone(),
                Vectors::embed(embedder, passages)?,
            )),
            None => None,
        };
        Self::build_with(passages, analyzer, dense, dir, fingerprint)
    }

    /// [`SearchIndex::build`] with the passages' vectors already made (`dense`).
    pub fn build_with(
        passages: &[Passage],
        analyzer: &Analyzer,
        dense: Option<Dense>,
        dir: &Path,
        fingerprint: &str,
    ) -> Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("removing the old index {}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let (schema, f) = schema();
        let index = Index::create_in_dir(dir, schema).context("creating the index")?;
        register(&index, analyzer);
        let mut writer = index
            .writer_with_num_threads(1, 64_000_000)
            .context("opening the index writer")?;
        for (ord, p) in passages.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_u64(f.ord, ord as u64);
            doc.add_text(f.doc_id, &p.doc_id);
            doc.add_text(f.section_id, p.section_id.as_deref().unwrap_or(""));
            doc.add_text(f.kind, p.kind.as_str());
            doc.add_text(f.title, &p.title);
            doc.add_text(f.section, p.section.as_deref().unwrap_or(""));
            doc.add_text(f.heading_text, &p.heading_text);
            doc.add_text(f.questions, &p.questions);
            doc.add_text(f.text, &p.text);
            doc.add_text(f.english, &p.english);
            doc.add_text(f.q_reading, &p.heading_text);
            doc.add_text(f.q_bigram, &p.heading_text);
            doc.add_text(f.b_reading, &p.text);
            doc.add_text(f.b_bigram, &p.text);
            writer.add_document(doc)?;
        }
        writer.commit().context("committing the index")?;
        writer.wait_merging_threads()?;
        if let Some(d) = &dense {
            d.vectors.save(dir, &d.embedder.name)?;
        }
        std::fs::write(dir.join(FINGERPRINT_FILE), fingerprint)?;
        Self::from_index(index, analyzer, dense)
    }

    /// Opens the index in `dir` if it was built from this knowledge base (and, with an
    /// embedder, has its vectors), else rebuilds it.
    pub fn open_or_build(
        kb: &KnowledgeBase,
        analyzer: &Analyzer,
        embedder: Option<&Arc<Embedder>>,
        dir: &Path,
    ) -> Result<Self> {
        let wanted = fingerprint(kb);
        let current = std::fs::read_to_string(dir.join(FINGERPRINT_FILE)).ok();
        if current.as_deref() == Some(wanted.as_str()) {
            match Self::open(analyzer, embedder, dir) {
                Ok(index) => return Ok(index),
                Err(e) => tracing::warn!("index in {} unusable ({e:#}); rebuilding", dir.display()),
            }
        } else {
            tracing::info!("index in {} is missing or stale; building", dir.display());
        }
        Self::build(
            &super::passage::passages(kb),
            analyzer,
            embedder,
            dir,
            &wanted,
        )
    }

    fn open(analyzer: &Analyzer, embedder: Option<&Arc<Embedder>>, dir: &Path) -> Result<Self> {
        let index = Index::open_in_dir(dir)?;
        register(&index, analyzer);
        let n = index.reader()?.searcher().num_docs() as usize;
        let dense = match embedder {
            Some(embedder) => Some(Dense::new(
                embedder.clone(),
                Vectors::load(dir, &embedder.name, n)?,
            )),
            None => None,
        };
        Self::from_index(index, analyzer, dense)
    }

    fn from_index(index: Index, analyzer: &Analyzer, dense: Option<Dense>) -> Result<Self> {
        let schema = index.schema();
        let field = |name: &str| {
            schema
                .get_field(name)
                .with_context(|| format!("index lacks field {name}"))
        };
        let fields = Fields {
            ord: field("ord")?,
            doc_id: field("doc_id")?,
            section_id: field("section_id")?,
            kind: field("kind")?,
            title: field("title")?,
            section: field("section")?,
            heading_text: field("heading_text")?,
            questions: field("questions")?,
            text: field("text")?,
            english: field("english")?,
            q_reading: field("q_reading")?,
            q_bigram: field("q_bigram")?,
            b_reading: field("b_reading")?,
            b_bigram: field("b_bigram")?,
        };
        let reader = index.reader().context("opening the index reader")?;
        let addresses = addresses(&reader.searcher())?;
        if let Some(d) = &dense {
            ensure!(
                d.vectors.len() == addresses.len(),
                "{} vectors for {} passages",
                d.vectors.len(),
                addresses.len()
            );
        }
        Ok(SearchIndex {
            reader,
            fields,
            analyzer: analyzer.clone(),
            ords: addresses.iter().enumerate().map(|(i, a)| (*a, i)).collect(),
            facts: addresses.iter().map(|_| OnceLock::new()).collect(),
            addresses,
            dense,
        })
    }

    /// Whether retrieval also ranks by meaning.
    pub fn has_vectors(&self) -> bool {
        self.dense.is_some()
    }

    /// The embedding model's file, when retrieval also ranks by meaning.
    pub fn embedder_name(&self) -> Option<&str> {
        self.dense.as_ref().map(|d| d.embedder.name.as_str())
    }

    pub fn num_passages(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Forgets what was kept of the questions seen so far (their words, their vectors), so
    /// that the next is retrieved as a new one: the benchmark's "new question".
    pub fn forget_questions(&self) {
        self.analyzer.forget();
        if let Some(d) = &self.dense {
            d.forget();
        }
    }

    /// The nouns of a question that no passage uses, in any reading (「シャープ」, 「罰則」):
    /// what the question is about may not be in the sources at all. `known` are words
    /// known another way (a glossary synonym is in the sources).
    pub fn unknown_nouns(&self, question: &str, known: &[&str]) -> Vec<String> {
        let searcher = self.reader.searcher();
        let f = self.fields;
        self.analyzer
            .words(question)
            .into_iter()
            .filter(|w| {
                w.content
                    && w.pos == "名詞"
                    && !matches!(w.pos_detail.as_str(), "数" | "接尾" | "代名詞" | "非自立")
                    && !known.iter().any(|k| k.contains(w.surface.as_str()))
            })
            .filter(|w| {
                [f.q_reading, f.b_reading].iter().all(|field| {
                    searcher
                        .doc_freq(&Term::from_field_text(*field, &w.reading))
                        .unwrap_or(0)
                        == 0
                })
            })
            .map(|w| w.surface)
            .collect()
    }

    /// The meaning vectors' width (0 without the embedding model).
    pub fn vector_dim(&self) -> usize {
        self.dense.as_ref().map_or(0, |d| d.embedder.dim())
    }

    /// The question's meaning vector and its word pieces' states (`None` without the
    /// embedding model), embedded once for a question asked again.
    pub fn question_vector(&self, question: &str) -> Result<Option<Arc<QueryVectors>>> {
        self.dense.as_ref().map(|d| d.query(question)).transpose()
    }

    /// Passage `ord`'s word-piece states, `[piece][dim]` (empty without them).
    pub fn passage_tokens(&self, ord: usize) -> &[half::f16] {
        self.dense.as_ref().map_or(&[], |d| d.vectors.tokens(ord))
    }

    /// Passage `ord`'s vectors: its own, and its question wording nearest to `query`
    /// (the passage's own when it has none). `None` without the embedding model.
    pub fn nearest_wording(&self, query: &[f32], ord: usize) -> Option<(&[f32], &[f32])> {
        self.dense
            .as_ref()
            .map(|d| d.vectors.nearest_wording(query, ord))
    }

    /// Whether passage `ord` (its questions, heading and text) has a word of this reading.
    pub fn passage_has_reading(&self, ord: usize, reading: &str) -> Result<bool> {
        let searcher = self.reader.searcher();
        Ok(self.facts(&searcher, ord)?.has_reading(reading))
    }

    /// In how many passages a word of this reading stands, and how many passages there are:
    /// how rare, so how telling, a word is.
    pub fn reading_frequency(&self, reading: &str) -> (u64, u64) {
        let searcher = self.reader.searcher();
        let f = self.fields;
        let df = [f.q_reading, f.b_reading]
            .iter()
            .map(|field| {
                searcher
                    .doc_freq(&Term::from_field_text(*field, reading))
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0);
        (df, searcher.num_docs())
    }

    fn passage(&self, searcher: &Searcher, address: DocAddress) -> Result<Passage> {
        let f = self.fields;
        let doc: TantivyDocument = searcher.doc(address)?;
        let text_of = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let optional = |field: Field| Some(text_of(field)).filter(|s| !s.is_empty());
        let kind = match text_of(f.kind).as_str() {
            "faq" => Kind::Faq,
            "form" => Kind::Form,
            _ => Kind::Notice,
        };
        Ok(Passage {
            doc_id: text_of(f.doc_id),
            section_id: optional(f.section_id),
            kind,
            title: text_of(f.title),
            section: optional(f.section),
            heading_text: text_of(f.heading_text),
            questions: text_of(f.questions),
            text: text_of(f.text),
            english: text_of(f.english),
        })
    }

    /// The passage at position `ord`, read and analysed once.
    fn facts(&self, searcher: &Searcher, ord: usize) -> Result<&PassageFacts> {
        if let Some(facts) = self.facts[ord].get() {
            return Ok(facts);
        }
        let facts = PassageFacts::of(self.passage(searcher, self.addresses[ord])?, &self.analyzer);
        // Another thread may have been first: either copy is the same.
        Ok(self.facts[ord].get_or_init(|| Box::new(facts)))
    }
}

/// Each passage's address, by its position (the `ord` column).
fn addresses(searcher: &Searcher) -> Result<Vec<DocAddress>> {
    let n = searcher.num_docs() as usize;
    let mut out: Vec<Option<DocAddress>> = vec![None; n];
    for (segment, reader) in searcher.segment_readers().iter().enumerate() {
        let column = reader.fast_fields().u64("ord")?;
        for doc in reader.doc_ids_alive() {
            let ord = column
                .first(doc)
                .context("a passage without its position")? as usize;
            ensure!(ord < n, "passage position {ord} beyond {n} passages");
            out[ord] = Some(DocAddress::new(segment as u32, doc));
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(i, a)| a.with_context(|| format!("passage {i} is missing from the index")))
        .collect()
}
