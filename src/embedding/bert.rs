//! The BERT encoder of multilingual-e5-small, on plain slices. The large matrices stay
//! quantized: their Q4_0 blocks widened losslessly to the 8-bit blocks of our own kernels
//! (`llm::q8`, which multiply with activations quantized per 32 values, as the reference
//! engine does), so the model costs tens of MB rather than 470 MB of f32. candle's own
//! `QMatMul` on the Q4_0 blocks gave the same vectors at less than half the speed (README).
//! The rest — layer norms, attention, GELU — is a few loops over one set of buffers per
//! call: for a 16-token question candle's tensors cost an allocation and a trip through a
//! thread pool for every small operation (README, "Speed, second round").

use anyhow::Result;

use super::file::{Config, E5File, floats, q4_0_row};
use crate::llm::q8::{Format, Q8Matrix, Q8Rows};

struct Linear {
    weight: Q8Matrix,
    bias: Vec<f32>,
}

impl Linear {
    fn load(file: &E5File<'_>, name: &str, outputs: usize, inputs: usize) -> Result<Self> {
        let w = file.tensor(&format!("{name}.w"), true, outputs * inputs)?;
        let b = file.tensor(&format!("{name}.b"), false, outputs)?;
        Ok(Linear {
            weight: Q8Matrix::from_ggml(Format::Q4_0, w.bytes, outputs, inputs)?,
            bias: floats(b.bytes),
        })
    }

    /// `x` (tokens, quantized) times the weights' transpose, plus the bias, into `out`.
    fn forward(&self, x: &Q8Rows, out: &mut Vec<f32>) {
        let outputs = self.weight.rows();
        out.clear();
        out.resize(x.rows() * outputs, 0.0);
        self.weight.matmul(x, out);
        for row in out.chunks_exact_mut(outputs) {
            for (v, b) in row.iter_mut().zip(&self.bias) {
                *v += b;
            }
        }
    }
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Norm {
    fn load(file: &E5File<'_>, name: &str, width: usize) -> Result<Self> {
        let get = |suffix: &str| -> Result<Vec<f32>> {
            Ok(floats(
                file.tensor(&format!("{name}.{suffix}"), false, width)?
                    .bytes,
            ))
        };
        Ok(Norm {
            weight: get("w")?,
            bias: get("b")?,
        })
    }

    /// Each row of `x` normalised in place, with candle's arithmetic (one pass of sums).
    fn apply(&self, x: &mut [f32], eps: f32) {
        let width = self.weight.len();
        for row in x.chunks_exact_mut(width) {
            let (mut sum, mut squares) = (0f32, 0f32);
            for &v in row.iter() {
                sum += v;
                squares += v * v;
            }
            let mean = sum / width as f32;
            let variance = squares / width as f32 - mean * mean;
            let inverse = (variance + eps).sqrt().recip();
            for ((v, w), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = (*v - mean) * inverse * w + b;
            }
        }
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    up: Linear,
    down: Linear,
    output_norm: Norm,
}

pub struct Bert {
    config: Config,
    /// The word embeddings stay Q4_0 bytes: a row is expanded when its token is seen.
    words: Vec<u8>,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
}

impl Bert {
    pub fn load(file: &E5File<'_>) -> Result<Self> {
        let c = file.config;
        let h = c.hidden;
        let words = file.tensor("emb.word", true, c.vocab * h)?.bytes.to_vec();
        let positions = floats(file.tensor("emb.pos", false, c.max_positions * h)?.bytes);
        // Every text is one segment: type 0's row.
        let types = file.tensor("emb.type", false, c.token_types * h)?;
        let token_type = floats(types.bytes)[..h].to_vec();
        let embedding_norm = Norm::load(file, "emb.ln", h)?;
        let layers = (0..c.layers)
            .map(|l| {
                let name = |s: &str| format!("l{l}.{s}");
                Ok(Layer {
                    query: Linear::load(file, &name("q"), h, h)?,
                    key: Linear::load(file, &name("k"), h, h)?,
                    value: Linear::load(file, &name("v"), h, h)?,
                    attention_out: Linear::load(file, &name("ao"), h, h)?,
                    attention_norm: Norm::load(file, &name("aln"), h)?,
                    up: Linear::load(file, &name("fi"), c.feed_forward, h)?,
                    down: Linear::load(file, &name("fo"), h, c.feed_forward)?,
                    output_norm: Norm::load(file, &name("oln"), h)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Bert {
            config: c,
            words,
            positions,
            token_type,
            embedding_norm,
            layers,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The mean of the last layer's states over `ids` (one window, specials included).
    pub fn mean_state(&self, ids: &[u32]) -> Result<Vec<f32>> {
        let h = self.config.hidden;
        let states = self.forward(ids);
        let mut mean = vec![0f32; h];
        for row in states.chunks_exact(h) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        let count = (states.len() / h).max(1) as f32;
        mean.iter_mut().for_each(|m| *m /= count);
        Ok(mean)
    }

    /// The last layer's states over `ids` (one window), a row of `hidden` per token.
    pub fn states(&self, ids: &[u32]) -> Result<Vec<f32>> {
        Ok(self.forward(ids))
    }

    fn forward(&self, ids: &[u32]) -> Vec<f32> {
        let c = &self.config;
        let (h, t) = (c.hidden, ids.len());
        let mut x = vec![0f32; t * h];
        for (i, &id) in ids.iter().enumerate() {
            let row = &mut x[i * h..(i + 1) * h];
            q4_0_row(&self.words, (id as usize).min(c.vocab - 1), h, row);
            let position = &self.positions[i * h..(i + 1) * h];
            for ((v, p), ty) in row.iter_mut().zip(position).zip(&self.token_type) {
                *v += p + ty;
            }
        }
        let eps = c.eps as f32;
        self.embedding_norm.apply(&mut x, eps);
        // One set of buffers for every layer.
        let (mut q, mut k, mut v) = (Vec::new(), Vec::new(), Vec::new());
        let (mut context, mut projected) = (vec![0f32; t * h], Vec::new());
        let (mut up, mut scores) = (Vec::new(), vec![0f32; t]);
        for layer in &self.layers {
            // The three projections read the same quantized input.
            let input = Q8Rows::quantize(&x, h);
            layer.query.forward(&input, &mut q);
            layer.key.forward(&input, &mut k);
            layer.value.forward(&input, &mut v);
            attend(&q, &k, &v, c.heads, h, &mut scores, &mut context);
            layer
                .attention_out
                .forward(&Q8Rows::quantize(&context, h), &mut projected);
            add(&mut x, &projected);
            layer.attention_norm.apply(&mut x, eps);
            layer.up.forward(&Q8Rows::quantize(&x, h), &mut up);
            for u in up.iter_mut() {
                *u = gelu(*u);
            }
            layer
                .down
                .forward(&Q8Rows::quantize(&up, c.feed_forward), &mut projected);
            add(&mut x, &projected);
            layer.output_norm.apply(&mut x, eps);
        }
        x
    }
}

fn add(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// GELU with the exact error function, as candle's `gelu_erf`.
fn gelu(v: f32) -> f32 {
    (candle_core::cpu::erf::erf_f32(v * std::f32::consts::FRAC_1_SQRT_2) + 1.) * 0.5 * v
}

/// Scaled dot-product attention of every head over all `t` tokens (rows of `width`, the
/// heads side by side in each row), into `context`; `scores` holds one row of `t`.
fn attend(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    heads: usize,
    width: usize,
    scores: &mut [f32],
    context: &mut [f32],
) {
    let t = q.len() / width;
    let head = width / heads;
    let scale = 1.0 / (head as f32).sqrt();
    context.fill(0.0);
    for hd in 0..heads {
        let columns = hd * head..(hd + 1) * head;
        for i in 0..t {
            let qi = &q[i * width..][columns.clone()];
            let mut max = f32::NEG_INFINITY;
            for (j, s) in scores.iter_mut().enumerate() {
                let kj = &k[j * width..][columns.clone()];
                *s = qi.iter().zip(kj).map(|(a, b)| a * b).sum::<f32>() * scale;
                max = max.max(*s);
            }
            let mut total = 0f32;
            for s in scores.iter_mut() {
                *s = (*s - max).exp();
                total += *s;
            }
            let out = &mut context[i * width..][columns.clone()];
            for (j, s) in scores.iter().enumerate() {
                let weight = s / total;
                for (o, vj) in out.iter_mut().zip(&v[j * width..][columns.clone()]) {
                    *o += weight * vj;
                }
            }
        }
    }
}
