//! Gemma 3 (text) on candle-core, for quantized GGUF weights.
//!
//! Written here rather than taken from candle-transformers, whose `quantized_gemma3` uses
//! SiLU where Gemma 3 uses GELU (tanh form), ignores the sliding window when decoding,
//! builds RoPE tables for 131,072 positions in every layer, grows its KV cache by `cat`
//! each step and keeps the embedding twice. Here: GELU-tanh; 5 local (sliding-window)
//! layers then 1 global, in the prompt and in decoding; RoPE tables for the configured
//! context, shared by the layers; a KV cache preallocated for the context; the tied
//! embedding kept once (quantized), used for lookup and for the output projection.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor};

/// Gemma 3 repeats this many layers: all local but the last, which is global.
const SLIDING_WINDOW_PATTERN: usize = 6;

#[derive(Debug, Clone)]
pub struct Config {
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub hidden: usize,
    pub rms_eps: f32,
    pub sliding_window: usize,
    pub rope_base_global: f32,
    pub rope_base_local: f32,
    /// Positions the KV cache and the RoPE tables hold.
    pub context: usize,
}

impl Config {
    pub fn from_gguf(content: &Content, context: usize) -> Result<Self> {
        let arch = content
            .metadata
            .get("general.architecture")
            .context("the GGUF has no general.architecture")?
            .to_string()?
            .clone();
        if arch != "gemma3" {
            bail!("unsupported model architecture \"{arch}\" (this module runs gemma3)");
        }
        let get = |key: &str| {
            content
                .metadata
                .get(&format!("gemma3.{key}"))
                .with_context(|| format!("the GGUF has no gemma3.{key}"))
        };
        let u = |key: &str| -> Result<usize> { Ok(get(key)?.to_u32()? as usize) };
        let f = |key: &str, default: f32| -> Result<f32> {
            match content.metadata.get(&format!("gemma3.{key}")) {
                Some(v) => Ok(v.to_f32()?),
                None => Ok(default),
            }
        };
        let trained = u("context_length")?;
        Ok(Config {
            layers: u("block_count")?,
            heads: u("attention.head_count")?,
            kv_heads: u("attention.head_count_kv")?,
            head_dim: u("attention.key_length")?,
            hidden: u("embedding_length")?,
            rms_eps: get("attention.layer_norm_rms_epsilon")?.to_f32()?,
            sliding_window: u("attention.sliding_window")?,
            rope_base_global: f("rope.freq_base", 1_000_000.0)?,
            rope_base_local: f("rope.local_freq_base", 10_000.0)?,
            context: context.min(trained),
        })
    }

    fn is_local(&self, layer: usize) -> bool {
        !(layer + 1).is_multiple_of(SLIDING_WINDOW_PATTERN)
    }
}

struct Layer {
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    wo: QMatMul,
    q_norm: Tensor,
    k_norm: Tensor,
    attn_norm: Tensor,
    post_attn_norm: Tensor,
    ffn_norm: Tensor,
    post_ffn_norm: Tensor,
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
    local: bool,
}

/// Cosine and sine tables, (context, head_dim / 2).
struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    fn new(base: f32, head_dim: usize, context: usize, device: &Device) -> Result<Self> {
        let inv: Vec<f32> = (0..head_dim)
            .step_by(2)
            .map(|i| 1.0 / base.powf(i as f32 / head_dim as f32))
            .collect();
        let inv = Tensor::new(inv.as_slice(), device)?.reshape((1, head_dim / 2))?;
        let pos = Tensor::arange(0u32, context as u32, device)?
            .to_dtype(DType::F32)?
            .reshape((context, 1))?;
        let angles = pos.matmul(&inv)?;
        Ok(Rope {
            cos: angles.cos()?,
            sin: angles.sin()?,
        })
    }
}

/// Keys and values of every layer, preallocated for the whole context.
pub struct Cache {
    keys: Vec<Tensor>,
    values: Vec<Tensor>,
    /// Positions filled so far.
    pub len: usize,
    context: usize,
}

pub struct Gemma3 {
    pub config: Config,
    embedding: Arc<QTensor>,
    output: QMatMul,
    layers: Vec<Layer>,
    final_norm: Tensor,
    rope_global: Rope,
    rope_local: Rope,
    device: Device,
}

impl Gemma3 {
    pub fn from_gguf<R: std::io::Read + std::io::Seek>(
        content: &Content,
        reader: &mut R,
        context: usize,
    ) -> Result<Self> {
        let device = Device::Cpu;
        let config = Config::from_gguf(content, context)?;
        let mut qtensor = |name: &str| -> Result<QTensor> {
            content
                .tensor(reader, name, &device)
                .map_err(super::brief)
                .with_context(|| format!("reading tensor {name}"))
        };
        let embedding = Arc::new(qtensor("token_embd.weight")?);
        let output = QMatMul::from_arc(embedding.clone())?;
        let final_norm = qtensor("output_norm.weight")?.dequantize(&device)?;
        let mut layers = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let p = format!("blk.{i}");
            let mut mm = |n: &str| -> Result<QMatMul> {
                Ok(QMatMul::from_qtensor(qtensor(&format!("{p}.{n}.weight"))?)?)
            };
            let (wq, wk, wv, wo) = (
                mm("attn_q")?,
                mm("attn_k")?,
                mm("attn_v")?,
                mm("attn_output")?,
            );
            let (gate, up, down) = (mm("ffn_gate")?, mm("ffn_up")?, mm("ffn_down")?);
            let mut norm = |n: &str| -> Result<Tensor> {
                Ok(qtensor(&format!("{p}.{n}.weight"))?.dequantize(&device)?)
            };
            layers.push(Layer {
                wq,
                wk,
                wv,
                wo,
                q_norm: norm("attn_q_norm")?,
                k_norm: norm("attn_k_norm")?,
                attn_norm: norm("attn_norm")?,
                post_attn_norm: norm("post_attention_norm")?,
                ffn_norm: norm("ffn_norm")?,
                post_ffn_norm: norm("post_ffw_norm")?,
                gate,
                up,
                down,
                local: config.is_local(i),
            });
        }
        let rope_global = Rope::new(
            config.rope_base_global,
            config.head_dim,
            config.context,
            &device,
        )?;
        let rope_local = Rope::new(
            config.rope_base_local,
            config.head_dim,
            config.context,
            &device,
        )?;
        Ok(Gemma3 {
            config,
            embedding,
            output,
            layers,
            final_norm,
            rope_global,
            rope_local,
            device,
        })
    }

    pub fn new_cache(&self) -> Result<Cache> {
        let c = &self.config;
        let zeros = || {
            Tensor::zeros(
                (c.kv_heads, c.context, c.head_dim),
                DType::F32,
                &self.device,
            )
        };
        Ok(Cache {
            keys: (0..c.layers)
                .map(|_| zeros())
                .collect::<candle_core::Result<_>>()?,
            values: (0..c.layers)
                .map(|_| zeros())
                .collect::<candle_core::Result<_>>()?,
            len: 0,
            context: c.context,
        })
    }

    /// Runs `ids` after what the cache holds; returns the logits of the last position.
    pub fn forward(&self, ids: &[u32], cache: &mut Cache) -> Result<Vec<f32>> {
        let c = &self.config;
        let seq = ids.len();
        if seq == 0 {
            bail!("no tokens to run");
        }
        let start = cache.len;
        if start + seq > cache.context {
            bail!("context full: {} + {seq} tokens > {}", start, cache.context);
        }
        let ids_t = Tensor::new(ids, &self.device)?;
        let mut x = (self.embedding.embedding(&ids_t)? * (c.hidden as f64).sqrt())?;
        for (i, layer) in self.layers.iter().enumerate() {
            let residual = x.clone();
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, c.rms_eps)?;
            let h = self.attention(layer, i, &h, start, cache)?;
            let h = candle_nn::ops::rms_norm(&h, &layer.post_attn_norm, c.rms_eps)?;
            x = (residual + h)?;
            let residual = x.clone();
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, c.rms_eps)?;
            let gate = ggml_gelu(&layer.gate.forward(&h)?)?;
            let h = layer.down.forward(&(gate * layer.up.forward(&h)?)?)?;
            let h = candle_nn::ops::rms_norm(&h, &layer.post_ffn_norm, c.rms_eps)?;
            x = (residual + h)?;
        }
        cache.len += seq;
        let last = x.narrow(0, seq - 1, 1)?;
        let last = candle_nn::ops::rms_norm(&last, &self.final_norm, c.rms_eps)?;
        Ok(self.output.forward(&last)?.squeeze(0)?.to_vec1::<f32>()?)
    }

    fn attention(
        &self,
        layer: &Layer,
        index: usize,
        x: &Tensor,
        start: usize,
        cache: &mut Cache,
    ) -> Result<Tensor> {
        let c = &self.config;
        let seq = x.dim(0)?;
        let heads = |t: Tensor, n: usize| -> Result<Tensor> {
            Ok(t.reshape((seq, n, c.head_dim))?
                .transpose(0, 1)?
                .contiguous()?)
        };
        let q = heads(layer.wq.forward(x)?, c.heads)?;
        let k = heads(layer.wk.forward(x)?, c.kv_heads)?;
        let v = heads(layer.wv.forward(x)?, c.kv_heads)?;
        let q = candle_nn::ops::rms_norm(&q, &layer.q_norm, c.rms_eps)?;
        let k = candle_nn::ops::rms_norm(&k, &layer.k_norm, c.rms_eps)?;
        let rope = if layer.local {
            &self.rope_local
        } else {
            &self.rope_global
        };
        let cos = rope.cos.narrow(0, start, seq)?;
        let sin = rope.sin.narrow(0, start, seq)?;
        let q = candle_nn::rotary_emb::rope(&q.unsqueeze(0)?, &cos, &sin)?.squeeze(0)?;
        let k = candle_nn::rotary_emb::rope(&k.unsqueeze(0)?, &cos, &sin)?.squeeze(0)?;
        cache.keys[index].slice_set(&f16_rounded(&k)?, 1, start)?;
        cache.values[index].slice_set(&f16_rounded(&v)?, 1, start)?;

        // Keys this block may see: all before it, or the last `window` for local layers.
        let end = start + seq;
        let first = if layer.local {
            (start + 1).saturating_sub(c.sliding_window)
        } else {
            0
        };
        let keys = cache.keys[index].narrow(1, first, end - first)?;
        let values = cache.values[index].narrow(1, first, end - first)?;
        // The query heads that share a KV head become rows of one matmul against it
        // (heads are grouped per KV head), so keys and values are never copied per head.
        let group = c.heads / c.kv_heads;
        let kv_len = end - first;
        let q = q.reshape((c.kv_heads, group * seq, c.head_dim))?;
        let scale = 1.0 / (c.head_dim as f64).sqrt();
        let scores = (f16_rounded(&q)?.matmul(&keys.t()?)? * scale)?;
        // One new token sees exactly the keys narrowed above; a block needs a mask.
        let scores = if seq > 1 {
            let window = if layer.local {
                c.sliding_window
            } else {
                usize::MAX
            };
            let mask: Vec<f32> = (0..group * seq)
                .flat_map(|row| {
                    let pos = start + row % seq;
                    (first..end).map(move |j| {
                        if j <= pos && pos - j < window {
                            0.0
                        } else {
                            f32::NEG_INFINITY
                        }
                    })
                })
                .collect();
            scores.broadcast_add(&Tensor::from_vec(
                mask,
                (group * seq, kv_len),
                &self.device,
            )?)?
        } else {
            scores
        };
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = f16_rounded(&weights)?.matmul(&values)?; // (kv_heads, group * seq, head_dim)
        let out = out
            .reshape((c.heads, seq, c.head_dim))?
            .transpose(0, 1)?
            .contiguous()?
            .reshape((seq, c.heads * c.head_dim))?;
        Ok(layer.wo.forward(&out)?)
    }
}

/// GELU (tanh) as llama.cpp computes it on CPU: through a table indexed by the input
/// rounded to half precision and holding half-precision results (beyond ±10: 0 or the
/// input). Matching it narrowed the logit gaps to llama.cpp's reference outputs; one
/// table lookup per element is also cheaper than evaluating tanh.
fn ggml_gelu(x: &Tensor) -> Result<Tensor> {
    Ok(x.apply_op1_no_bwd(&GgmlGelu)?)
}

struct GgmlGelu;

impl candle_core::CustomOp1 for GgmlGelu {
    fn name(&self) -> &'static str {
        "ggml-gelu"
    }

    fn cpu_fwd(
        &self,
        storage: &candle_core::CpuStorage,
        layout: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        static TABLE: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
        let table = TABLE.get_or_init(|| {
            (0..=u16::MAX)
                .map(|bits| {
                    let x = half::f16::from_bits(bits).to_f32();
                    let y = 0.5 * x * (1.0 + (0.797_884_6 * x * (1.0 + 0.044_715 * x * x)).tanh());
                    half::f16::from_f32(y).to_f32()
                })
                .collect()
        });
        let (start, end) = layout
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("ggml-gelu needs a contiguous tensor".into()))?;
        let candle_core::CpuStorage::F32(values) = storage else {
            return Err(candle_core::Error::Msg("ggml-gelu needs f32".into()));
        };
        let out = values[start..end]
            .iter()
            .map(|&x| {
                if x <= -10.0 {
                    0.0
                } else if x >= 10.0 {
                    x
                } else {
                    table[half::f16::from_f32(x).to_bits() as usize]
                }
            })
            .collect();
        Ok((candle_core::CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// Values rounded to half precision, as llama.cpp's default F16 KV cache holds them (its
/// attention also rounds the queries and the softmax weights it multiplies with them).
fn f16_rounded(t: &Tensor) -> Result<Tensor> {
    Ok(t.to_dtype(DType::F16)?.to_dtype(DType::F32)?)
}

/// The index of the largest logit.
pub fn argmax(logits: &[f32]) -> u32 {
    logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i as u32)
}
