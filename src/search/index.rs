//! The tantivy index of passages: one per FAQ, per notice section, per form document.
//!
//! Queries are built from the fields' own analyzers as OR'ed term queries, never with
//! `QueryParser` (it turns a Japanese sentence into one strict phrase that matches nothing).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result, ensure};
use sha2::{Digest, Sha256};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, Searcher, TantivyDocument, Term};

use super::analysis::{Analysis, Analyzer, JapaneseTokenizer, View};
use super::facts::PassageFacts;
use super::fusion::Fused;
pub use super::fusion::Fusion;
use super::vectors::{Closeness, Dense, QueryVectors, Vectors};
use super::words;
use crate::embedding::Embedder;
use crate::knowledge::{Expansion, Kind, KnowledgeBase};

/// Bump when the schema or the analysis changes, so old indexes are rebuilt.
const INDEX_FORMAT: &str = "shikaku-index-8";
const FINGERPRINT_FILE: &str = "shikaku-fingerprint";

/// How much a match in a passage's questions/headings counts against one in its body:
/// an FAQ's question should outrank a passing mention.
const QUESTION_BOOST: f32 = 3.0;
/// Words added from the glossary count less than the user's own words.
const EXPANSION_WEIGHT: f32 = 0.5;
/// Candidates each ranking brings to the fusion, at least.
const POOL: usize = 32;

/// A unit of retrieval.
#[derive(Debug, Clone)]
pub struct Passage {
    pub doc_id: String,
    pub section_id: Option<String>,
    pub kind: Kind,
    pub title: String,
    /// The section heading, for notice sections.
    pub section: Option<String>,
    /// The questions, heading or title the passage answers, with its synonyms and tags.
    pub heading_text: String,
    /// The title and question wordings alone, one a line (the heading for a section).
    pub questions: String,
    /// The passage's text: an FAQ's answer, a section's body.
    pub text: String,
    /// The English title and question wordings, one a line (empty without an English
    /// version): English questions find the passage by them.
    pub english: String,
}

#[derive(Debug, Clone)]
pub struct Hit {
    /// Its position in the index.
    pub ord: usize,
    pub passage: Passage,
    pub score: f32,
    /// Share (0–1, weighted by rarity) of the question's words found in the passage.
    pub coverage: f32,
    /// How much of the passage's closest own question wording the question contains
    /// (0–1): tells 「ネットで回答」 from an FAQ about 「郵送で回答」.
    pub question_match: f32,
    /// The passage's BM25 score (0 when only the meaning ranking found it).
    pub bm25: f32,
    /// How close the question's meaning is (zero without the embedding model).
    pub closeness: Closeness,
}

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

/// The passages of a knowledge base, in a stable order.
pub fn passages(kb: &KnowledgeBase) -> Vec<Passage> {
    let mut out = Vec::new();
    for doc in kb.docs() {
        match doc.kind {
            Kind::Notice => {
                for s in &doc.sections {
                    out.push(Passage {
                        doc_id: doc.id.clone(),
                        section_id: Some(s.id.clone()),
                        kind: doc.kind,
                        title: doc.title.clone(),
                        section: Some(s.heading.clone()),
                        heading_text: s.heading.clone(),
                        questions: s.heading.clone(),
                        text: s.body.clone(),
                        english: String::new(),
                    });
                }
            }
            Kind::Faq | Kind::Form => {
                let questions = std::iter::once(&doc.title)
                    .chain(&doc.questions)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("\n");
                let english = doc
                    .english
                    .iter()
                    .flat_map(|e| std::iter::once(&e.title).chain(&e.questions))
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("\n");
                let heading_text = std::iter::once(&doc.title)
                    .chain(&doc.questions)
                    .chain(&doc.synonyms)
                    .chain(&doc.tags)
                    .map(String::as_str)
                    .chain(english.lines())
                    .collect::<Vec<_>>()
                    .join("\n");
                out.push(Passage {
                    doc_id: doc.id.clone(),
                    section_id: None,
                    kind: doc.kind,
                    title: doc.title.clone(),
                    section: None,
                    heading_text,
                    questions,
                    text: doc.body.clone(),
                    english,
                });
            }
        }
    }
    out
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
        Self::build(&passages(kb), analyzer, embedder, dir, &wanted)
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

    /// The best passages for a question, by words and meaning fused ([`Fusion::HYBRID`]);
    /// `expansions` are glossary words added at a lower weight. Each hit carries its
    /// scores and the share of the question it covers.
    pub fn search(
        &self,
        question: &str,
        expansions: &[Expansion<'_>],
        limit: usize,
    ) -> Result<Vec<Hit>> {
        self.search_with(question, expansions, limit, Fusion::HYBRID)
    }

    /// [`SearchIndex::search`] with the rankings fused as `fusion` says (to measure them).
    /// Without vectors, the word ranking alone.
    pub fn search_with(
        &self,
        question: &str,
        expansions: &[Expansion<'_>],
        limit: usize,
        fusion: Fusion,
    ) -> Result<Vec<Hit>> {
        let f = self.fields;
        let (asked, extra) = self.analysed(question, expansions);
        let searcher = self.reader.searcher();
        let pool = POOL.max(limit);

        // The word ranking: both views of the user's words, and of the glossary's words
        // at a lower weight.
        let views = |readings, bigrams| {
            [
                words::View {
                    words: readings,
                    questions: f.q_reading,
                    bodies: f.b_reading,
                },
                words::View {
                    words: bigrams,
                    questions: f.q_bigram,
                    bodies: f.b_bigram,
                },
            ]
        };
        let terms = words::terms(
            views(&asked.readings, &asked.bigrams)
                .into_iter()
                .map(|v| (v, 1.0))
                .chain(
                    views(&extra.readings, &extra.bigrams)
                        .into_iter()
                        .map(|v| (v, EXPANSION_WEIGHT)),
                ),
            QUESTION_BOOST,
        );
        let by_words = words::rank(&searcher, &terms, pool)?;
        // The meaning ranking; the question's vector also gives each hit its closeness.
        let query_vector = match &self.dense {
            Some(d) => Some((d, d.query(question)?)),
            None => None,
        };
        let by_meaning: Vec<usize> = match &query_vector {
            Some((d, q)) if fusion.dense > 0.0 => d
                .vectors
                .nearest(&q.vector, pool)
                .into_iter()
                .map(|(ord, _)| ord)
                .collect(),
            _ => Vec::new(),
        };

        let by_words = by_words
            .iter()
            .map(|(score, address)| {
                let ord = self
                    .ords
                    .get(address)
                    .context("a passage without its position")?;
                Ok((*ord, *score))
            })
            .collect::<Result<Vec<_>>>()?;
        let ranked = fusion.fuse(&by_words, &by_meaning, limit);
        self.hits(
            &searcher,
            &asked,
            &extra,
            expansions,
            query_vector.as_ref().map(|(_, q)| q.vector.as_slice()),
            ranked,
        )
    }

    /// A question's analysis and its glossary expansions' analysis.
    fn analysed(
        &self,
        question: &str,
        expansions: &[Expansion<'_>],
    ) -> (Arc<Analysis>, Arc<Analysis>) {
        let words: Vec<&str> = expansions.iter().map(|e| e.word).collect();
        (
            self.analyzer.analyse(question),
            self.analyzer.analyse(&words.join("\n")),
        )
    }

    /// The passages at `ords` as hits of `question`, scored as [`SearchIndex::search`]
    /// scores its own (score and BM25 zero: no ranking put them there). What the judge's
    /// training reads of the passages that answer a question when retrieval missed them.
    pub fn hits_at(
        &self,
        question: &str,
        expansions: &[Expansion<'_>],
        ords: &[usize],
    ) -> Result<Vec<Hit>> {
        let (asked, extra) = self.analysed(question, expansions);
        let query = self.question_vector(question)?;
        let ranked = ords
            .iter()
            .filter(|&&ord| ord < self.addresses.len())
            .map(|&ord| Fused {
                ord,
                score: 0.0,
                bm25: 0.0,
            })
            .collect();
        self.hits(
            &self.reader.searcher(),
            &asked,
            &extra,
            expansions,
            query.as_ref().map(|q| q.vector.as_slice()),
            ranked,
        )
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

    /// Each fused candidate as a hit: its passage, coverage, question match and closeness.
    fn hits(
        &self,
        searcher: &Searcher,
        asked: &Analysis,
        extra: &Analysis,
        expansions: &[Expansion<'_>],
        query: Option<&[f32]>,
        ranked: Vec<Fused>,
    ) -> Result<Vec<Hit>> {
        let f = self.fields;
        let n = searcher.num_docs().max(1) as f32;
        let idf = |field_a: Field, field_b: Field, word: &str| -> f32 {
            let df = [field_a, field_b]
                .iter()
                .map(|fl| {
                    searcher
                        .doc_freq(&Term::from_field_text(*fl, word))
                        .unwrap_or(0)
                })
                .max()
                .unwrap_or(0) as f32;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        };
        let reading_weights: Vec<(String, f32)> = dedup(&asked.readings)
            .into_iter()
            .map(|w| {
                let weight = idf(f.q_reading, f.b_reading, &w);
                (w, weight)
            })
            .collect();
        let bigram_weights: Vec<(String, f32)> = dedup(&asked.bigrams)
            .into_iter()
            .map(|w| {
                let weight = idf(f.q_bigram, f.b_bigram, &w);
                (w, weight)
            })
            .collect();

        // The question's words with the glossary words it brought in.
        let question_words: HashSet<&str> = asked
            .readings
            .iter()
            .chain(&extra.readings)
            .map(String::as_str)
            .collect();
        let mut hits = Vec::with_capacity(ranked.len());
        for Fused { ord, score, bm25 } in ranked {
            let facts = self.facts(searcher, ord)?;
            let coverage = facts.coverage(
                &self.analyzer,
                expansions,
                &reading_weights,
                &bigram_weights,
            );
            let question_match = facts.question_match(&question_words);
            let closeness = match (&self.dense, query) {
                (Some(d), Some(q)) => d.vectors.closeness(q, ord),
                _ => Closeness::default(),
            };
            hits.push(Hit {
                ord,
                passage: facts.passage.clone(),
                score,
                coverage,
                question_match,
                bm25,
                closeness,
            });
        }
        Ok(hits)
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

pub(super) fn dedup(words: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    words
        .iter()
        .filter(|w| seen.insert(w.as_str()))
        .cloned()
        .collect()
}
