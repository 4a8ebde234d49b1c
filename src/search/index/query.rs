//! Asking the index: the word and meaning rankings fused, each candidate scored as a hit
//! (coverage of the question, question match, closeness).

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{Context, Result};
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::SearchIndex;
use crate::knowledge::Expansion;
use crate::search::analysis::Analysis;
use crate::search::fusion::{Fused, Fusion};
use crate::search::passage::Passage;
use crate::search::vectors::Closeness;
use crate::search::words::{self, dedup};

/// How much a match in a passage's questions/headings counts against one in its body:
/// an FAQ's question should outrank a passing mention.
const QUESTION_BOOST: f32 = 3.0;
/// Words added from the glossary count less than the user's own words.
const EXPANSION_WEIGHT: f32 = 0.5;
/// Candidates each ranking brings to the fusion, at least.
const POOL: usize = 32;

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

impl SearchIndex {
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
}
