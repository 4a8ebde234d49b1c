//! Fusing the word ranking and the meaning ranking into one.

use std::collections::HashMap;

/// How the word ranking (BM25 over lindera) and the meaning ranking (e5) are fused:
/// reciprocal rank fusion, `weight / (k + rank)` summed over the rankings. Measured on the
/// project's sets (README, "Retrieval"); words find hiragana-only questions and exact
/// codes, meaning finds paraphrases and English.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fusion {
    pub bm25: f32,
    pub dense: f32,
    pub k: f32,
}

impl Fusion {
    pub const HYBRID: Fusion = Fusion {
        bm25: 1.0,
        dense: 0.3,
        k: 10.0,
    };
    pub const BM25: Fusion = Fusion {
        bm25: 1.0,
        dense: 0.0,
        k: 10.0,
    };
    pub const DENSE: Fusion = Fusion {
        bm25: 0.0,
        dense: 1.0,
        k: 10.0,
    };
}

/// A passage of the fused ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fused {
    /// Its position in the index.
    pub ord: usize,
    pub score: f32,
    /// Its BM25 score (0 when only the meaning ranking found it).
    pub bm25: f32,
}

impl Fused {
    fn new(ord: usize) -> Fused {
        Fused {
            ord,
            score: 0.0,
            bm25: 0.0,
        }
    }
}

impl Fusion {
    /// The best `limit` passages of `by_words` (position, BM25 score; best first) and
    /// `by_meaning` (positions, best first). With the words alone, their BM25 scores.
    pub fn fuse(
        &self,
        by_words: &[(usize, f32)],
        by_meaning: &[usize],
        limit: usize,
    ) -> Vec<Fused> {
        let mut fused: HashMap<usize, Fused> = HashMap::new();
        let words_alone = by_meaning.is_empty();
        for (rank, &(ord, score)) in by_words.iter().enumerate() {
            let f = fused.entry(ord).or_insert(Fused::new(ord));
            f.bm25 = score;
            f.score += if words_alone {
                score
            } else {
                self.bm25 / (self.k + rank as f32 + 1.0)
            };
        }
        for (rank, &ord) in by_meaning.iter().enumerate() {
            fused.entry(ord).or_insert(Fused::new(ord)).score +=
                self.dense / (self.k + rank as f32 + 1.0);
        }
        let mut fused: Vec<Fused> = fused.into_values().collect();
        fused.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.ord.cmp(&b.ord)));
        fused.truncate(limit);
        fused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_alone_keep_their_scores() {
        let f = Fusion::HYBRID.fuse(&[(4, 9.0), (2, 3.0)], &[], 8);
        assert_eq!(
            f[0],
            Fused {
                ord: 4,
                score: 9.0,
                bm25: 9.0
            }
        );
        assert_eq!(f[1].ord, 2);
    }

    #[test]
    fn a_passage_both_rankings_find_beats_one_only_words_put_first() {
        // Words: 1, 2; meaning: 2, 3. Passage 2 is found by both.
        let f = Fusion {
            bm25: 1.0,
            dense: 1.0,
            k: 10.0,
        }
        .fuse(&[(1, 5.0), (2, 4.0)], &[2, 3], 2);
        assert_eq!(f.iter().map(|x| x.ord).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(f[0].bm25, 4.0);
    }

    #[test]
    fn meaning_alone_finds_what_words_miss() {
        let f = Fusion::HYBRID.fuse(&[], &[7], 8);
        assert_eq!(
            f,
            vec![Fused {
                ord: 7,
                score: 0.3 / 11.0,
                bm25: 0.0
            }]
        );
    }
}
