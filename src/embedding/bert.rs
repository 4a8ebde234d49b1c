//! The BERT encoder of multilingual-e5-small on candle-core. The large matrices stay
//! quantized: their Q4_0 blocks widened losslessly to the 8-bit blocks of our own kernels
//! (`llm::q8`, which multiply with activations quantized per 32 values, as the reference
//! engine does), so the model costs tens of MB rather than 470 MB of f32. candle's own
//! `QMatMul` on the Q4_0 blocks gave the same vectors at less than half the speed (README).

use anyhow::Result;
use candle_core::{Device, Tensor};

use super::file::{Config, E5File, floats, q4_0_row};
use crate::llm::brief;
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

    /// `x` (tokens × inputs) times the weights' transpose, plus the bias.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (rows, cols) = x.dims2()?;
        let values = x.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let outputs = self.weight.rows();
        let mut out = vec![0.0f32; rows * outputs];
        self.weight
            .matmul(&Q8Rows::quantize(&values, cols), &mut out);
        for row in out.chunks_exact_mut(outputs) {
            for (v, b) in row.iter_mut().zip(&self.bias) {
                *v += b;
            }
        }
        Tensor::from_vec(out, (rows, outputs), &Device::Cpu)
    }
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
}

impl Norm {
    fn load(file: &E5File<'_>, name: &str, width: usize) -> Result<Self> {
        let get = |suffix: &str| -> Result<Tensor> {
            let t = file.tensor(&format!("{name}.{suffix}"), false, width)?;
            Tensor::new(floats(t.bytes), &Device::Cpu).map_err(brief)
        };
        Ok(Norm {
            weight: get("w")?,
            bias: get("b")?,
        })
    }

    fn forward(&self, x: &Tensor, eps: f32) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.weight, &self.bias, eps)
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
        self.forward(ids)
            .and_then(|x| x.mean(0)?.to_vec1::<f32>())
            .map_err(brief)
    }

    /// The last layer's states over `ids` (one window), a row of `hidden` per token.
    pub fn states(&self, ids: &[u32]) -> Result<Vec<f32>> {
        self.forward(ids)
            .and_then(|x| x.flatten_all()?.to_vec1::<f32>())
            .map_err(brief)
    }

    fn forward(&self, ids: &[u32]) -> candle_core::Result<Tensor> {
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
        let mut x = self
            .embedding_norm
            .forward(&Tensor::from_vec(x, (t, h), &Device::Cpu)?, eps)?;
        let (heads, head) = (c.heads, h / c.heads);
        let scale = 1.0 / (head as f64).sqrt();
        let split = |y: Tensor| y.reshape((t, heads, head))?.transpose(0, 1)?.contiguous();
        for layer in &self.layers {
            let q = split(layer.query.forward(&x)?)?;
            let k = split(layer.key.forward(&x)?)?;
            let v = split(layer.value.forward(&x)?)?;
            let scores = (q.matmul(&k.t()?)? * scale)?;
            let weights = candle_nn::ops::softmax_last_dim(&scores)?;
            let context = weights
                .matmul(&v)?
                .transpose(0, 1)?
                .contiguous()?
                .reshape((t, h))?;
            let attended = layer.attention_out.forward(&context)?;
            x = layer.attention_norm.forward(&(x + attended)?, eps)?;
            let up = layer.up.forward(&x)?.gelu_erf()?;
            let down = layer.down.forward(&up)?;
            x = layer.output_norm.forward(&(x + down)?, eps)?;
        }
        Ok(x)
    }
}
