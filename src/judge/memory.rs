//! The labelled questions the judge was trained on, kept as its memory: their meaning
//! vectors and what answers each. A new question close to a remembered one is likely
//! answered by what answered that one — or, close to a remembered question that a passage
//! on the same topic did *not* answer (another slot, a detail the sources never give), not
//! answered by that passage. These neighbours' verdicts are features of the judge beside the
//! pair's own; an FAQ with no remembered question (an editor's new one) is judged by the
//! rest.

use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};

/// How many features [`Memory::features`] gives.
pub const FEATURES: usize = 6;

/// The remembered questions' labels, in the order of their vectors (`judge-memory.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Labels {
    /// The passages that answer each (as the corpus names them).
    pub answers: Vec<Vec<String>>,
    /// The passage each was written about (`none` for none).
    pub written_for: Vec<String>,
    /// Whether each was a training question. The others (calibration and validation) are
    /// remembered for answering only: the judge's figures are measured without them.
    pub trained: Vec<bool>,
}

/// Remembered questions: `[question][dim]` unit vectors and their labels.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    dim: usize,
    vectors: Vec<f32>,
    labels: Labels,
}

impl Memory {
    pub fn new(dim: usize, vectors: Vec<f32>, labels: Labels) -> Result<Memory> {
        let n = labels.answers.len();
        ensure!(
            labels.written_for.len() == n && labels.trained.len() == n && vectors.len() == n * dim,
            "a memory of {n} questions needs {} values of vectors, has {}",
            n * dim,
            vectors.len()
        );
        Ok(Memory {
            dim,
            vectors,
            labels,
        })
    }

    pub fn len(&self) -> usize {
        self.labels.answers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }

    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The memory of the training questions alone: what the judge was trained and
    /// measured with.
    pub fn trained_only(&self) -> Memory {
        self.keep(|i| self.labels.trained[i])
    }

    /// The remembered questions for which `keep` holds, in order.
    fn keep(&self, keep: impl Fn(usize) -> bool) -> Memory {
        let mut out = Memory {
            dim: self.dim,
            ..Memory::default()
        };
        for i in (0..self.len()).filter(|i| keep(*i)) {
            out.vectors
                .extend_from_slice(&self.vectors[i * self.dim..(i + 1) * self.dim]);
            out.labels.answers.push(self.labels.answers[i].clone());
            out.labels
                .written_for
                .push(self.labels.written_for[i].clone());
            out.labels.trained.push(self.labels.trained[i]);
        }
        out
    }

    /// The memory without the questions any of `passages` answers or was written for,
    /// nor the question at `skip`: as it would be had those passages been written after
    /// the training (what training shows the judge of an FAQ it has no memory of).
    pub fn without(&self, passages: &[String], skip: Option<usize>) -> Memory {
        self.keep(|i| {
            let about =
                |p: &String| self.labels.written_for[i] == *p || self.labels.answers[i].contains(p);
            Some(i) != skip && !passages.iter().any(about)
        })
    }

    /// Each remembered question's closeness to `query` (a unit vector); `skip` (the
    /// question itself, in training) counts as not there.
    pub fn closeness(&self, query: &[f32], skip: Option<usize>) -> Vec<f32> {
        if query.len() != self.dim {
            return vec![-1.0; self.len()];
        }
        self.vectors
            .chunks_exact(self.dim)
            .enumerate()
            .map(|(i, v)| {
                if Some(i) == skip {
                    -1.0
                } else {
                    query.iter().zip(v).map(|(a, b)| a * b).sum()
                }
            })
            .collect()
    }

    /// What the neighbours say of `passage` for a question whose closeness to each
    /// remembered one is `closeness`: the closest remembered question it answers; the
    /// closest one written about it that it does not answer; the closest one nothing
    /// answers; the closest one another passage answers; the margin of the first over the
    /// others; and whether the closest remembered question of all is answered by it.
    pub fn features(&self, closeness: &[f32], passage: &str) -> [f32; FEATURES] {
        if self.is_empty() {
            return [0.0; FEATURES];
        }
        let (mut answered, mut passed_over, mut nothing, mut other) = (0f32, 0f32, 0f32, 0f32);
        let mut nearest = (f32::MIN, false);
        for (i, &c) in closeness.iter().enumerate() {
            let answers = &self.labels.answers[i];
            let by_it = answers.iter().any(|a| a == passage);
            if by_it {
                answered = answered.max(c);
            } else if self.labels.written_for[i] == passage {
                passed_over = passed_over.max(c);
            }
            if answers.is_empty() {
                nothing = nothing.max(c);
            } else if !by_it {
                other = other.max(c);
            }
            if c > nearest.0 {
                nearest = (c, by_it);
            }
        }
        [
            answered,
            passed_over,
            nothing,
            other,
            answered - passed_over.max(nothing).max(other),
            if nearest.1 { 1.0 } else { 0.0 },
        ]
    }
}
