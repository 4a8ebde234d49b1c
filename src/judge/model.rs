//! The judge's network and what it was trained with: features standardised, one hidden
//! layer, a logit; Platt calibration turns the logit into the probability that the
//! passage answers the question, and the threshold chosen on held-out questions says when
//! that is enough to answer. The weights are a safetensors file checked by SHA-256
//! (`models/SHA256SUMS`); the rest, with the training's provenance and validation
//! figures, is `models/judge.toml`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use super::features::{FEATURE_VERSION, width};
use super::memory::{Labels, Memory};

/// The weights' file name, beside `judge.toml`.
pub const WEIGHTS: &str = "judge.safetensors";
/// The judge's settings, provenance and figures.
pub const CARD: &str = "judge.toml";
/// What answers each remembered question (their vectors are in the weights' file).
pub const MEMORY: &str = "judge-memory.json";
/// Hidden units.
pub const HIDDEN: usize = 64;

/// `models/judge.toml`: what a judge needs beside its weights, and how it was made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    pub feature_version: u32,
    /// The meaning vectors' width it was trained with.
    pub dim: usize,
    pub hidden: usize,
    /// Platt calibration: p = sigmoid(a · logit + b).
    pub calibration_a: f32,
    pub calibration_b: f32,
    /// Retrieval's passage answers when the calibrated probability is at least this.
    pub threshold: f32,
    /// A passage retrieval did not choose answers when the probability is at least this.
    pub sure_threshold: f32,
    pub provenance: Provenance,
    pub figures: Figures,
    /// The figures on the quarter of the held-out questions that `judge check --quick`
    /// (and CI) judges again.
    pub quick_figures: Figures,
}

/// How the weights were made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provenance {
    /// SHA-256 of the corpus files, in name order.
    pub data_sha256: String,
    pub questions: usize,
    pub command: String,
    pub seed: u64,
    pub epochs: usize,
    /// The embedding model whose vectors it read.
    pub embedder: String,
    /// SHA-256 of the knowledge base's passages it was trained on.
    pub knowledge: String,
    pub trained_on: String,
}

/// Validation figures of one split: per question, what the judge's decision came to.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct SplitFigures {
    /// Questions the sources answer.
    pub answerable: usize,
    /// …answered with a passage that answers them.
    pub answered_right: usize,
    /// …answered with a passage about another question.
    pub answered_wrong: usize,
    /// Questions nothing answers.
    pub unanswerable: usize,
    /// …answered all the same.
    pub answered_anyway: usize,
}

impl SplitFigures {
    /// Counts one question: whether the sources answer it, and, when it was answered,
    /// whether with a passage that answers it.
    pub fn count(&mut self, answerable: bool, answered: Option<bool>) {
        match answerable {
            true => {
                self.answerable += 1;
                match answered {
                    Some(true) => self.answered_right += 1,
                    Some(false) => self.answered_wrong += 1,
                    None => {}
                }
            }
            false => {
                self.unanswerable += 1;
                self.answered_anyway += usize::from(answered.is_some());
            }
        }
    }

    pub fn answered_rate(&self) -> f64 {
        self.answered_right as f64 / self.answerable.max(1) as f64
    }

    pub fn false_answer_rate(&self) -> f64 {
        self.answered_anyway as f64 / self.unanswerable.max(1) as f64
    }
}

/// Figures on the two validation splits (questions the training never saw; whole FAQs it
/// never saw) and on the calibration split the threshold was chosen on.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Figures {
    pub by_question: SplitFigures,
    pub by_faq: SplitFigures,
    pub calibration: SplitFigures,
}

/// A trained judge, ready to score candidates.
pub struct Judge {
    card: Card,
    memory: Memory,
    mean: Tensor,
    std: Tensor,
    hidden: Linear,
    out: Linear,
    path: PathBuf,
}

impl Judge {
    /// The judge in `dir` (`judge.toml` and `judge.safetensors`), its weights checked
    /// against `SHA256SUMS` there.
    pub fn load(dir: &Path) -> Result<Judge> {
        let card_path = dir.join(CARD);
        let card: Card = toml::from_str(
            &std::fs::read_to_string(&card_path)
                .with_context(|| format!("reading {}", card_path.display()))?,
        )
        .with_context(|| format!("reading {}", card_path.display()))?;
        ensure!(
            card.feature_version == FEATURE_VERSION,
            "{} was trained on features of version {}, this build makes version {FEATURE_VERSION}: \
             train it again (shikaku judge train)",
            card_path.display(),
            card.feature_version
        );
        let weights = dir.join(WEIGHTS);
        crate::integrity::check_model_file(&weights)?;
        let memory_path = dir.join(MEMORY);
        crate::integrity::check_model_file(&memory_path)?;
        let labels: Labels = serde_json::from_str(
            &std::fs::read_to_string(&memory_path)
                .with_context(|| format!("reading {}", memory_path.display()))?,
        )
        .with_context(|| format!("reading {}", memory_path.display()))?;
        let mut vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
        let parts = Parts::new(
            vb,
            width(card.dim),
            card.hidden,
            labels.answers.len(),
            card.dim,
        )?;
        vars.load(&weights)
            .with_context(|| format!("reading {}", weights.display()))?;
        let memory = Memory::new(card.dim, parts.memory.flatten_all()?.to_vec1()?, labels)?;
        Ok(Judge {
            memory,
            mean: parts.mean,
            std: parts.std,
            hidden: parts.hidden,
            out: parts.out,
            card,
            path: weights,
        })
    }

    pub fn card(&self) -> &Card {
        &self.card
    }

    /// The questions it was trained on, remembered.
    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// The same judge remembering only the questions it was trained on: what its
    /// validation figures are measured with (serving, it remembers every one).
    pub fn remembering_training_only(mut self) -> Judge {
        self.memory = self.memory.trained_only();
        self
    }

    /// The meaning vectors' width its features take.
    pub fn dim(&self) -> usize {
        self.card.dim
    }

    /// The weights' file (for `/readyz`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The calibrated probability that each candidate answers the question.
    pub fn probabilities(&self, features: &[Vec<f32>]) -> Result<Vec<f32>> {
        if features.is_empty() {
            return Ok(Vec::new());
        }
        let logits = logits(features, &self.mean, &self.std, &self.hidden, &self.out)?;
        Ok(logits
            .into_iter()
            .map(|l| calibrated(l, self.card.calibration_a, self.card.calibration_b))
            .collect())
    }

    /// Whether a calibrated probability is enough to answer.
    pub fn answers(&self, probability: f32) -> bool {
        probability >= self.card.threshold
    }
}

/// The calibrated probability of a logit.
pub fn calibrated(logit: f32, a: f32, b: f32) -> f32 {
    1.0 / (1.0 + (-(a * logit + b)).exp())
}

/// The network's variables, made (for training) or to be filled (for loading) under `vb`:
/// `mean` and `std` are set from the training features, not learnt; `memory` holds the
/// remembered questions' vectors.
pub(crate) struct Parts {
    pub(crate) mean: Tensor,
    pub(crate) std: Tensor,
    pub(crate) memory: Tensor,
    pub(crate) hidden: Linear,
    pub(crate) out: Linear,
}

impl Parts {
    pub(crate) fn new(
        vb: VarBuilder,
        width: usize,
        hidden: usize,
        remembered: usize,
        dim: usize,
    ) -> Result<Parts> {
        Ok(Parts {
            mean: vb.get_with_hints(width, "mean", candle_nn::Init::Const(0.0))?,
            std: vb.get_with_hints(width, "std", candle_nn::Init::Const(1.0))?,
            memory: vb.get_with_hints((remembered, dim), "memory", candle_nn::Init::Const(0.0))?,
            hidden: candle_nn::linear(width, hidden, vb.pp("hidden"))?,
            out: candle_nn::linear(hidden, 1, vb.pp("out"))?,
        })
    }
}

/// The raw logits of `rows` through `parts` (a network being fitted).
pub(crate) fn model_logits(parts: &Parts, rows: &[Vec<f32>]) -> Result<Vec<f32>> {
    logits(rows, &parts.mean, &parts.std, &parts.hidden, &parts.out)
}

/// The raw logits of a batch of feature rows.
pub(crate) fn logits(
    rows: &[Vec<f32>],
    mean: &Tensor,
    std: &Tensor,
    hidden: &Linear,
    out: &Linear,
) -> Result<Vec<f32>> {
    let x = batch(rows)?;
    let y = forward(&x, mean, std, hidden, out)?;
    Ok(y.to_vec1()?)
}

/// A batch of feature rows as a `[rows, width]` tensor.
pub(crate) fn batch(rows: &[Vec<f32>]) -> Result<Tensor> {
    let width = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|r| r.len() != width) {
        bail!("feature rows of unequal width");
    }
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    Ok(Tensor::from_vec(flat, (rows.len(), width), &Device::Cpu)?)
}

/// Standardise, hidden layer (GELU), one logit per row: `[rows]`.
pub(crate) fn forward(
    x: &Tensor,
    mean: &Tensor,
    std: &Tensor,
    hidden: &Linear,
    out: &Linear,
) -> Result<Tensor> {
    let x = x.broadcast_sub(mean)?.broadcast_div(std)?;
    let h = hidden.forward(&x)?.gelu()?;
    Ok(out.forward(&h)?.squeeze(1)?)
}
