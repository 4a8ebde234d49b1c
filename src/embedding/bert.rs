//! The BERT encoder of multilingual-e5-small, on plain slices. The large matrices stay
//! quantized: their Q4_0 blocks widened losslessly to the 8-bit blocks of our own kernels
//! (`llm::q8`, which multiply with activations quantized per 32 values, as the reference
//! engine does), so the model costs tens of MB rather than 470 MB of f32. candle's own
//! `QMatMul` on the Q4_0 blocks gave the same vectors at less than half the speed (README).
//! The rest — layer norms, attention, GELU — is a few loops over one set of buffers per
//! call (and one per attention head per layer, for the pool's threads): for a 16-token
//! question candle's tensors cost an allocation and a trip through a thread pool for every
//! small operation (README, "Speed, second round"). The bias and GELU are applied by the
//! threads of the products, and query, key and value are one product.

use std::sync::Mutex;

use anyhow::Result;

use super::file::{Config, E5File, floats, q4_0_row};
use crate::llm::q8::{Format, Q8Matrix, Q8Rows};

struct Linear {
    weight: Q8Matrix,
    bias: Vec<f32>,
}

impl Linear {
    /// The tensors `names` (each `outputs` × `inputs`, with its bias) stacked into one
    /// matrix: one trip through the thread pool for all of them.
    fn load(file: &E5File<'_>, names: &[&str], outputs: usize, inputs: usize) -> Result<Self> {
        let (mut weights, mut bias) = (Vec::new(), Vec::new());
        for name in names {
            weights.extend_from_slice(
                file.tensor(&format!("{name}.w"), true, outputs * inputs)?
                    .bytes,
            );
            bias.extend(floats(
                file.tensor(&format!("{name}.b"), false, outputs)?.bytes,
            ));
        }
        Ok(Linear {
            weight: Q8Matrix::from_ggml(Format::Q4_0, &weights, names.len() * outputs, inputs)?,
            bias,
        })
    }

    /// `x` (tokens, quantized) times the weights' transpose, plus the bias, then `activation`,
    /// into `out`; the threads that compute the products add the bias and apply it.
    fn forward(&self, x: &Q8Rows, out: &mut Vec<f32>, activation: impl Fn(f32) -> f32 + Sync) {
        out.clear();
        out.resize(x.rows() * self.weight.rows(), 0.0);
        self.weight
            .matmul_then(x, out, |column, v| activation(v + self.bias[column]));
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
    /// The query, key and value projections, stacked.
    query_key_value: Linear,
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
                    query_key_value: Linear::load(
                        file,
                        &[&name("q"), &name("k"), &name("v")],
                        h,
                        h,
                    )?,
                    attention_out: Linear::load(file, &[&name("ao")], h, h)?,
                    attention_norm: Norm::load(file, &name("aln"), h)?,
                    up: Linear::load(file, &[&name("fi")], c.feed_forward, h)?,
                    down: Linear::load(file, &[&name("fo")], h, c.feed_forward)?,
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
        let (mut qkv, mut context, mut projected) = (Vec::new(), vec![0f32; t * h], Vec::new());
        let mut up = Vec::new();
        let same = |v: f32| v;
        for layer in &self.layers {
            // Query, key and value: one product of the stacked matrices.
            layer
                .query_key_value
                .forward(&Q8Rows::quantize(&x, h), &mut qkv, same);
            attend(&qkv, c.heads, h, &mut context);
            layer
                .attention_out
                .forward(&Q8Rows::quantize(&context, h), &mut projected, same);
            add(&mut x, &projected);
            layer.attention_norm.apply(&mut x, eps);
            layer.up.forward(&Q8Rows::quantize(&x, h), &mut up, gelu);
            layer
                .down
                .forward(&Q8Rows::quantize(&up, c.feed_forward), &mut projected, same);
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

/// Scaled dot-product attention of every head over all `t` tokens, into `context` (rows of
/// `width`, the heads side by side in each row). `qkv` has a row of `3 × width` per token:
/// its query, key and value. The heads are spread over the thread pool, each into a buffer
/// of its own.
fn attend(qkv: &[f32], heads: usize, width: usize, context: &mut [f32]) {
    let stride = 3 * width;
    let t = qkv.len() / stride;
    let head = width / heads;
    let scale = 1.0 / (head as f32).sqrt();
    let outs: Vec<Mutex<Vec<f32>>> = (0..heads)
        .map(|_| Mutex::new(vec![0f32; t * head]))
        .collect();
    let run = |range: std::ops::Range<usize>| {
        let mut scores = vec![0f32; t];
        for hd in range {
            let columns = hd * head..(hd + 1) * head;
            let part = |token: usize, which: usize| {
                &qkv[token * stride + which * width..][columns.clone()]
            };
            let mut outs = outs[hd].lock().unwrap_or_else(|e| e.into_inner());
            for (i, out) in outs.chunks_exact_mut(head).enumerate() {
                let qi = part(i, 0);
                let mut max = f32::NEG_INFINITY;
                for (j, s) in scores.iter_mut().enumerate() {
                    *s = qi.iter().zip(part(j, 1)).map(|(a, b)| a * b).sum::<f32>() * scale;
                    max = max.max(*s);
                }
                let mut total = 0f32;
                for s in scores.iter_mut() {
                    *s = (*s - max).exp();
                    total += *s;
                }
                for (j, s) in scores.iter().enumerate() {
                    let weight = s / total;
                    for (o, vj) in out.iter_mut().zip(part(j, 2)) {
                        *o += weight * vj;
                    }
                }
            }
        }
    };
    // A few tokens are not worth waking the pool for.
    if t < 8 {
        run(0..heads);
    } else {
        candle_core::utils::barrier_pool().execute_chunked(heads, run);
    }
    for (hd, out) in outs.into_iter().enumerate() {
        let out = out.into_inner().unwrap_or_else(|e| e.into_inner());
        for (row, values) in context.chunks_exact_mut(width).zip(out.chunks_exact(head)) {
            row[hd * head..(hd + 1) * head].copy_from_slice(values);
        }
    }
}
