//! Gemma 3 (text) on candle-core, for quantized GGUF weights.
//!
//! Written here rather than taken from candle-transformers, whose `quantized_gemma3` uses
//! SiLU where Gemma 3 uses GELU (tanh form), ignores the sliding window when decoding,
//! builds RoPE tables for 131,072 positions in every layer, grows its KV cache by `cat`
//! each step and keeps the embedding twice. Here: GELU-tanh; 5 local (sliding-window)
//! layers then 1 global, in the prompt and in decoding; RoPE tables for the configured
//! context, shared by the layers; a KV cache with room reserved for the context; the tied
//! embedding kept once (quantized), used for lookup and for the output projection.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor};

use super::q8::{Format, Q8Matrix, Q8Rows};

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
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    q_norm: Tensor,
    k_norm: Tensor,
    attn_norm: Tensor,
    post_attn_norm: Tensor,
    ffn_norm: Tensor,
    post_ffn_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
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

/// Keys and values of every layer, rounded to half precision as llama.cpp's default F16
/// cache holds them. One vector per layer and KV head (`layer * kv_heads + head`) of the
/// positions filled so far, `[position][head_dim]`: room for the whole context is reserved
/// up front and grown into, so the memory taken follows the positions used.
pub struct Cache {
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
    /// Positions filled so far.
    pub len: usize,
    context: usize,
}

pub struct Gemma3 {
    pub config: Config,
    embedding: Embedding,
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
        let mut qtensor = |name: &str| -> Result<Weight> {
            read_weight(content, reader, name, &device)
                .with_context(|| format!("reading tensor {name}"))
        };
        let embedding = Embedding::new(qtensor("token_embd.weight")?)?;
        let final_norm = qtensor("output_norm.weight")?
            .candle()?
            .dequantize(&device)?;
        let mut layers = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let p = format!("blk.{i}");
            let mut mm = |n: &str| Linear::new(qtensor(&format!("{p}.{n}.weight"))?);
            let (wq, wk, wv, wo) = (
                mm("attn_q")?,
                mm("attn_k")?,
                mm("attn_v")?,
                mm("attn_output")?,
            );
            let (gate, up, down) = (mm("ffn_gate")?, mm("ffn_up")?, mm("ffn_down")?);
            let mut norm = |n: &str| -> Result<Tensor> {
                Ok(qtensor(&format!("{p}.{n}.weight"))?
                    .candle()?
                    .dequantize(&device)?)
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
            layers,
            final_norm,
            rope_global,
            rope_local,
            device,
        })
    }

    pub fn new_cache(&self) -> Result<Cache> {
        let c = &self.config;
        // Reserved, not written: a zeroed cache of the whole context took its 75 MB as
        // soon as the allocator handed back memory that had been used before.
        let reserved = || {
            (0..c.layers * c.kv_heads)
                .map(|_| Vec::with_capacity(c.context * c.head_dim))
                .collect()
        };
        Ok(Cache {
            keys: reserved(),
            values: reserved(),
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
        let mut x = (self.embedding.lookup(ids)? * (c.hidden as f64).sqrt())?;
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
        self.embedding.logits(&last)
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
        // llama.cpp scales the queries before attention (1/16 for head_dim 256: exact).
        let q = (q * (1.0 / (c.head_dim as f64).sqrt()))?;

        let hd = c.head_dim;
        let end = start + seq;
        let slots = index * c.kv_heads..(index + 1) * c.kv_heads;
        for (stores, new) in [(&mut cache.keys, &k), (&mut cache.values, &v)] {
            let new = new.flatten_all()?.to_vec1::<f32>()?; // (kv_heads, seq, hd)
            for (store, rows) in stores[slots.clone()]
                .iter_mut()
                .zip(new.chunks_exact(seq * hd))
            {
                // Whatever a failed run left past `start` is written over.
                store.truncate(start * hd);
                store.extend(rows.iter().map(|&x| to_f16_precision(x)));
            }
        }
        // Keys a query at `pos` may see: all before it, or the last `window` for local layers.
        let window = if layer.local {
            c.sliding_window
        } else {
            usize::MAX
        };
        let first = (start + 1).saturating_sub(window);
        let group = c.heads / c.kv_heads;
        let out = if seq >= FLASH_TILE_ROWS {
            // llama.cpp's tiled flash attention: scores, softmax and sums in f32.
            let kv_len = end - first;
            let slice = |stores: &[Vec<f32>]| -> Result<Tensor> {
                let mut rows = Vec::with_capacity(c.kv_heads * kv_len * hd);
                for store in &stores[slots.clone()] {
                    rows.extend_from_slice(&store[first * hd..end * hd]);
                }
                Ok(Tensor::from_vec(
                    rows,
                    (c.kv_heads, kv_len, hd),
                    &self.device,
                )?)
            };
            let keys = slice(&cache.keys)?;
            let values = slice(&cache.values)?;
            // The query heads that share a KV head become rows of one matmul against it.
            let q = q.reshape((c.kv_heads, group * seq, hd))?;
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
            let scores = q.matmul(&keys.t()?)?.broadcast_add(&Tensor::from_vec(
                mask,
                (group * seq, kv_len),
                &self.device,
            )?)?;
            let weights = candle_nn::ops::softmax_last_dim(&scores)?;
            weights
                .matmul(&values)? // (kv_heads, group * seq, hd)
                .reshape((c.heads, seq, hd))?
                .transpose(0, 1)?
                .contiguous()?
                .reshape((seq, c.heads * hd))?
        } else {
            // One query at a time, as llama.cpp's flash attention does for short batches.
            let q = q
                .transpose(0, 1)?
                .contiguous()?
                .flatten_all()?
                .to_vec1::<f32>()?; // (seq, heads, hd)
            let mut out = vec![0.0f32; seq * c.heads * hd];
            for (row, (q, out)) in q.chunks_exact(hd).zip(out.chunks_exact_mut(hd)).enumerate() {
                let (pos, head) = (start + row / c.heads, row % c.heads);
                let slot = slots.start + head / group;
                let visible = (pos + 1).saturating_sub(window)..pos + 1;
                attend_one(q, &cache.keys[slot], &cache.values[slot], visible, out);
            }
            Tensor::from_vec(out, (seq, c.heads * hd), &self.device)?
        };
        layer.wo.forward(&out)
    }
}

/// Queries at least this many go through llama.cpp's tiled (f32) flash attention; fewer,
/// one at a time with its half-precision accumulator (`GGML_FA_TILE_Q`).
const FLASH_TILE_ROWS: usize = 64;

/// One query against the keys at `visible`, as llama.cpp's CPU flash attention computes it
/// for an F16 cache (`ggml_compute_forward_flash_attn_ext_f16_one_chunk`): the query rounded
/// to half precision, an online softmax, and the weighted values summed in a half-precision
/// accumulator. Its rounding decides near-ties between tokens, so it is mirrored here.
#[allow(unsafe_code)] // calls the FMA build below once the CPU is known to have FMA
fn attend_one(
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    visible: std::ops::Range<usize>,
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA.
        return unsafe { attend_one_fma(q, keys, values, visible, out) };
    }
    attend_one_body(q, keys, values, visible, out)
}

/// The same, compiled with fused multiply-adds in hardware (portable builds lack them).
///
/// # Safety
/// The CPU must have FMA (checked at run time by the caller).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
#[allow(unsafe_code)]
unsafe fn attend_one_fma(
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    visible: std::ops::Range<usize>,
    out: &mut [f32],
) {
    attend_one_body(q, keys, values, visible, out)
}

#[inline(always)]
fn attend_one_body(
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    visible: std::ops::Range<usize>,
    out: &mut [f32],
) {
    let hd = q.len();
    let q: Vec<f32> = q.iter().map(|&x| to_f16_precision(x)).collect();
    let acc = out;
    acc.fill(0.0);
    let (mut sum, mut max) = (0.0f32, f32::NEG_INFINITY);
    for j in visible {
        let s = dot_f16(&q, &keys[j * hd..(j + 1) * hd]);
        let (mut ms, mut vs) = (1.0f32, 1.0f32);
        if s > max {
            let old = max;
            max = s;
            ms = (old - max).exp();
            acc.iter_mut().for_each(|a| *a = to_f16_precision(*a * ms));
        } else {
            vs = (s - max).exp();
        }
        for (a, &v) in acc.iter_mut().zip(&values[j * hd..(j + 1) * hd]) {
            *a = to_f16_precision(v.mul_add(vs, *a));
        }
        sum = sum * ms + vs;
    }
    let inverse = if sum == 0.0 { 0.0 } else { 1.0 / sum };
    acc.iter_mut().for_each(|a| *a *= inverse);
}

/// `x` rounded to the nearest half-precision value (ties to even), kept as f32: the same
/// bits as a round trip through `f16`, in integer arithmetic the compiler can vectorise.
/// Only for finite values below f16's largest, as attention's are.
#[inline(always)]
fn to_f16_precision(x: f32) -> f32 {
    if x.abs() < 6.103_515_6e-5 {
        // f16 subnormals are multiples of 2^-24.
        const SCALE: f32 = 16_777_216.0;
        (super::q8::round_even(x * SCALE) / SCALE).copysign(x)
    } else {
        let bits = x.to_bits();
        let bits = (bits + 0x0FFF + ((bits >> 13) & 1)) & !0x1FFF;
        f32::from_bits(bits)
    }
}

/// ggml's `ggml_vec_dot_f16` on x86 with AVX2: four accumulators of eight lanes over steps
/// of 32, then added pairwise and across lanes in its order.
#[inline(always)]
fn dot_f16(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [[0.0f32; 8]; 4];
    let whole = a.len() / 32 * 32;
    for (x, y) in a[..whole].chunks_exact(32).zip(b[..whole].chunks_exact(32)) {
        for j in 0..4 {
            for l in 0..8 {
                acc[j][l] = x[j * 8 + l].mul_add(y[j * 8 + l], acc[j][l]);
            }
        }
    }
    let [mut s0, mut s1, s2, s3] = acc;
    for l in 0..8 {
        s0[l] += s2[l];
        s1[l] += s3[l];
    }
    for (x, y) in s0.iter_mut().zip(&s1) {
        *x += y;
    }
    let t: [f32; 4] = std::array::from_fn(|l| s0[l] + s0[l + 4]);
    let mut sum = (t[0] + t[1]) + (t[2] + t[3]);
    for (x, y) in a[whole..].iter().zip(&b[whole..]) {
        sum += x * y;
    }
    sum
}

/// A projection: our kernels for 8-bit blocks (Q8_0, and Q5_0 widened to it), candle's
/// for the K-quants.
enum Linear {
    Q8(Q8Matrix),
    Candle(QMatMul),
}

impl Linear {
    fn new(weight: Weight) -> Result<Self> {
        Ok(match weight {
            Weight::Q8(matrix) => Linear::Q8(matrix),
            Weight::Candle(tensor) => Linear::Candle(QMatMul::from_qtensor(tensor)?),
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Linear::Q8(matrix) => q8_forward(matrix, x),
            Linear::Candle(matmul) => Ok(matmul.forward(x)?),
        }
    }
}

/// The tied embedding, kept once: rows looked up for the input, multiplied for the logits.
enum Embedding {
    Q8(Q8Matrix),
    Candle(Arc<QTensor>, QMatMul),
}

impl Embedding {
    fn new(weight: Weight) -> Result<Self> {
        Ok(match weight {
            Weight::Q8(matrix) => Embedding::Q8(matrix),
            Weight::Candle(tensor) => {
                let tensor = Arc::new(tensor);
                Embedding::Candle(tensor.clone(), QMatMul::from_arc(tensor)?)
            }
        })
    }

    fn lookup(&self, ids: &[u32]) -> Result<Tensor> {
        match self {
            Embedding::Q8(matrix) => {
                let cols = matrix.cols();
                let mut out = vec![0.0f32; ids.len() * cols];
                for (&id, row) in ids.iter().zip(out.chunks_exact_mut(cols)) {
                    if id as usize >= matrix.rows() {
                        bail!("token {id} is outside the vocabulary of {}", matrix.rows());
                    }
                    matrix.row(id as usize, row);
                }
                Ok(Tensor::from_vec(out, (ids.len(), cols), &Device::Cpu)?)
            }
            Embedding::Candle(tensor, _) => Ok(tensor.embedding(&Tensor::new(ids, &Device::Cpu)?)?),
        }
    }

    /// Logits of one position, `x` being (1, hidden).
    fn logits(&self, x: &Tensor) -> Result<Vec<f32>> {
        let out = match self {
            Embedding::Q8(matrix) => q8_forward(matrix, x)?,
            Embedding::Candle(_, matmul) => matmul.forward(x)?,
        };
        Ok(out.squeeze(0)?.to_vec1::<f32>()?)
    }
}

/// A tensor of the model file: a [`Q8Matrix`] when it is Q8_0 or Q5_0 (2-D, rows of whole
/// blocks), read from the file straight into our layout; else candle's.
enum Weight {
    Q8(Q8Matrix),
    Candle(QTensor),
}

impl Weight {
    fn candle(self) -> Result<QTensor> {
        match self {
            Weight::Candle(tensor) => Ok(tensor),
            Weight::Q8(_) => bail!("an 8-bit matrix where a vector was expected"),
        }
    }
}

fn read_weight<R: std::io::Read + std::io::Seek>(
    content: &Content,
    reader: &mut R,
    name: &str,
    device: &Device,
) -> Result<Weight> {
    let info = content
        .tensor_infos
        .get(name)
        .with_context(|| format!("the model file has no tensor {name}"))?;
    let format = match info.ggml_dtype {
        GgmlDType::Q8_0 => Some(Format::Q8_0),
        GgmlDType::Q5_0 => Some(Format::Q5_0),
        _ => None,
    };
    match (format, info.shape.dims2()) {
        (Some(format), Ok((rows, cols))) => {
            reader.seek(std::io::SeekFrom::Start(
                content.tensor_data_offset + info.offset,
            ))?;
            Ok(Weight::Q8(Q8Matrix::read_ggml(format, reader, rows, cols)?))
        }
        _ => Ok(Weight::Candle(
            content.tensor(reader, name, device).map_err(super::brief)?,
        )),
    }
}

/// `x` (rows, cols) times the matrix's transpose: (rows, matrix rows).
fn q8_forward(matrix: &Q8Matrix, x: &Tensor) -> Result<Tensor> {
    let (rows, cols) = x.dims2()?;
    let values = x.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
    let mut out = vec![0.0f32; rows * matrix.rows()];
    matrix.matmul(&Q8Rows::quantize(&values, cols), &mut out);
    Ok(Tensor::from_vec(out, (rows, matrix.rows()), &Device::Cpu)?)
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

/// The index of the largest logit.
pub fn argmax(logits: &[f32]) -> u32 {
    logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_to_half_precision_matches_f16() {
        let mut state = 0x2545_f491u32;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // Magnitudes from f16's subnormals to its largest values, both signs.
            let x = f32::from_bits((state % 0x4780_0000) | (state & 0x8000_0000));
            let want = half::f16::from_f32(x).to_f32();
            assert_eq!(to_f16_precision(x).to_bits(), want.to_bits(), "{x:e}");
        }
    }

    #[test]
    fn the_dot_product_is_exact_on_small_integers() {
        let a: Vec<f32> = (0..256).map(|i| (i % 7) as f32 - 3.0).collect();
        let b: Vec<f32> = (0..256).map(|i| (i % 5) as f32 - 2.0).collect();
        let want: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert_eq!(dot_f16(&a, &b), want);
    }
}
