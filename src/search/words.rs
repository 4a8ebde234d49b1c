//! The word ranking: BM25 of a question's readings and bigrams over the passages'
//! questions (boosted) and bodies, summed into one score per passage.
//!
//! A question's two views in four fields make a hundred-odd terms. Tantivy's OR query
//! (block-max WAND) re-sorted them all at every step, most of retrieval's time on the real
//! knowledge base and hundreds of milliseconds on 100,000 passages. Here each term's
//! postings are read once and added up, term at a time, with tantivy's own BM25 weights:
//! the scores are the ones its query gave.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::Postings;
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, Term};

/// The words of a question in one view, as the terms of two fields: the passages' questions
/// or headings (`boosted`) and their bodies.
pub struct View<'a> {
    pub words: &'a [String],
    pub questions: Field,
    pub bodies: Field,
}

/// Each term with its weight: a word found in a passage's questions counts `boost` times
/// one in its body; the same term from several sets takes the highest weight (a user's
/// word over a glossary expansion).
pub fn terms<'a>(sets: impl IntoIterator<Item = (View<'a>, f32)>, boost: f32) -> Vec<(Term, f32)> {
    let mut terms: HashMap<Term, f32> = HashMap::new();
    for (view, weight) in sets {
        for word in view.words {
            for (field, w) in [(view.questions, weight * boost), (view.bodies, weight)] {
                let e = terms
                    .entry(Term::from_field_text(field, word))
                    .or_insert(0.0);
                *e = e.max(w);
            }
        }
    }
    terms.into_iter().collect()
}

/// The best `limit` passages for `terms`: (score, address), best first, ties by address.
pub fn rank(
    searcher: &Searcher,
    terms: &[(Term, f32)],
    limit: usize,
) -> Result<Vec<(f32, DocAddress)>> {
    let total_docs = searcher.total_num_docs()?;
    let mut average_fieldnorm: HashMap<Field, f32> = HashMap::new();
    let mut weighted = Vec::with_capacity(terms.len());
    for (term, boost) in terms {
        let doc_freq = searcher.doc_freq(term)?;
        if doc_freq == 0 {
            continue; // adds nothing to any passage
        }
        let field = term.field();
        let average = match average_fieldnorm.get(&field) {
            Some(a) => *a,
            None => {
                let a = searcher.total_num_tokens(field)? as f32 / total_docs as f32;
                average_fieldnorm.insert(field, a);
                a
            }
        };
        // As tantivy's TermQuery weighs a term, boosted as its BoostQuery boosts it.
        let weight = Bm25Weight::for_one_term(doc_freq, total_docs, average).boost_by(*boost);
        weighted.push((term, weight));
    }
    let mut best = Vec::new();
    for (segment, reader) in searcher.segment_readers().iter().enumerate() {
        let mut scores = vec![0.0f32; reader.max_doc() as usize];
        for (term, weight) in &weighted {
            let field = term.field();
            let Some(mut postings) = reader
                .inverted_index(field)?
                .read_postings(term, IndexRecordOption::WithFreqs)?
            else {
                continue;
            };
            let fieldnorms = reader
                .fieldnorms_readers()
                .get_field(field)?
                .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
            let mut doc = postings.doc();
            while doc != TERMINATED {
                scores[doc as usize] +=
                    weight.score(fieldnorms.fieldnorm_id(doc), postings.term_freq());
                doc = postings.advance();
            }
        }
        let alive = reader.alive_bitset();
        best.extend(
            scores
                .into_iter()
                .enumerate()
                .filter(|&(doc, score)| score > 0.0 && alive.is_none_or(|a| a.is_alive(doc as u32)))
                .map(|(doc, score)| (score, DocAddress::new(segment as u32, doc as u32))),
        );
    }
    let order =
        |a: &(f32, DocAddress), b: &(f32, DocAddress)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if best.len() > limit && limit > 0 {
        best.select_nth_unstable_by(limit - 1, order);
    }
    best.truncate(limit);
    best.sort_by(order);
    Ok(best)
}

/// The words in their first order, each once.
pub(super) fn dedup(words: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    words
        .iter()
        .filter(|w| seen.insert(w.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::generate::XorShift;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    /// Tantivy's own OR of boosted term queries, as retrieval asked it before.
    fn by_tantivy(
        searcher: &Searcher,
        terms: &[(Term, f32)],
        limit: usize,
    ) -> Vec<(f32, DocAddress)> {
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|(term, boost)| {
                let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), *boost)) as Box<dyn Query>,
                )
            })
            .collect();
        searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(limit).order_by_score(),
            )
            .unwrap()
    }

    #[test]
    fn scores_are_tantivys_term_query_scores() {
        let mut builder = Schema::builder();
        let (heading, body) = (
            builder.add_text_field("q", TEXT),
            builder.add_text_field("b", TEXT),
        );
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 20_000_000).unwrap();
        let vocabulary: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
        let mut rng = XorShift(0x0bad_5eed_1234_5678);
        let mut text = |n: usize| {
            (0..n)
                .map(|_| {
                    vocabulary[rng.below(vocabulary.len()).min(rng.below(vocabulary.len()))]
                        .as_str()
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        for i in 0..3_000 {
            let mut doc = TantivyDocument::default();
            doc.add_text(heading, text(3));
            doc.add_text(body, text(10 + i % 40));
            writer.add_document(doc).unwrap();
            if i % 1_000 == 999 {
                writer.commit().unwrap(); // several segments
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 1);
        for q in 0..40 {
            let mut terms: Vec<(Term, f32)> = (0..2 + q % 9)
                .flat_map(|k| {
                    let word = &vocabulary[(q * 7 + k * 13) % vocabulary.len()];
                    [
                        (Term::from_field_text(heading, word), 3.0),
                        (Term::from_field_text(body, word), 1.0),
                    ]
                })
                .collect();
            terms.push((Term::from_field_text(body, "absent"), 1.0));
            for limit in [1, 8, 32] {
                let ours = rank(&searcher, &terms, limit).unwrap();
                let theirs = by_tantivy(&searcher, &terms, limit);
                assert_eq!(ours.len(), theirs.len(), "query {q}");
                // The same scores, up to the order of the additions.
                for (a, b) in ours.iter().zip(&theirs) {
                    assert!(
                        (a.0 - b.0).abs() <= 1e-5 * b.0,
                        "query {q}: {a:?} against {b:?}"
                    );
                }
                // The same passages, but where a score ties with the last one kept.
                let last = theirs.last().map_or(0.0, |t| t.0);
                for a in ours.iter().filter(|a| a.0 - last > 1e-4) {
                    assert!(
                        theirs.iter().any(|b| b.1 == a.1),
                        "query {q}: {a:?} not in {theirs:?}"
                    );
                }
            }
        }
    }
}
