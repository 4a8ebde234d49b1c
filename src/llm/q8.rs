//! Products with weights held as 8-bit blocks: Q8_0, and Q5_0 and Q4_0 widened to it
//! losslessly.
//!
//! Our own kernels rather than candle's: candle has no vectorised Q5_0 product (its scalar
//! loop took half of the model's time), and on CPUs with AVX-512 VNNI it multiplies Q8_0
//! weights with activations quantized per 256 values where llama.cpp quantizes per 32.
//!
//! The arithmetic is ggml's on x86 (`ggml_vec_dot_q8_0_q8_0`, `quantize_row_q8_0`, and
//! llamafile's tinyBLAS for prompts, which computes the same way): activations quantized
//! per 32 values with a half-precision scale; per block, eight lanes of four-product
//! integer sums, each multiplied by `d_weight · d_activation` and added with a fused
//! multiply-add; the eight lanes summed as `hsum_float_8` does. Every CPU path below
//! (AVX-512 VNNI, AVX2, plain Rust) gives the same bits, so results do not depend on the
//! build or the machine.
//!
//! Weights are stored two rows at a time, block by block (64 bytes: 32 of each row), so
//! one AVX-512 load feeds both rows; the scales sit apart as half-precision pairs.

use anyhow::{Context, Result, bail};
use half::f16;

/// Values per block.
pub const BLOCK: usize = 32;
/// Bytes of a ggml Q8_0 block: f16 scale, 32 signed bytes.
const Q8_0_BYTES: usize = 2 + BLOCK;
/// Bytes of a ggml Q5_0 block: f16 scale, 32 high bits, 16 bytes of low nibbles.
const Q5_0_BYTES: usize = 2 + 4 + BLOCK / 2;
/// Bytes of a ggml Q4_0 block: f16 scale, 16 bytes of nibbles.
const Q4_0_BYTES: usize = 2 + BLOCK / 2;

/// The ggml block formats a [`Q8Matrix`] is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Q8_0,
    Q5_0,
    Q4_0,
}

impl Format {
    fn block_bytes(self) -> usize {
        match self {
            Format::Q8_0 => Q8_0_BYTES,
            Format::Q5_0 => Q5_0_BYTES,
            Format::Q4_0 => Q4_0_BYTES,
        }
    }
}

/// One ggml block's values as signed bytes (its scale is read by the caller).
fn unpack(format: Format, block: &[u8], out: &mut [i8]) {
    match format {
        Format::Q5_0 => {
            let high = u32::from_le_bytes([block[2], block[3], block[4], block[5]]);
            let low = &block[6..];
            for (j, q) in out.iter_mut().enumerate() {
                let nibble = if j < BLOCK / 2 {
                    low[j] & 0x0F
                } else {
                    low[j - BLOCK / 2] >> 4
                };
                let bit = ((high >> j) & 1) as u8;
                *q = (nibble | (bit << 4)) as i8 - 16;
            }
        }
        Format::Q4_0 => {
            let nibbles = &block[2..];
            for (j, q) in out.iter_mut().enumerate() {
                let nibble = if j < BLOCK / 2 {
                    nibbles[j] & 0x0F
                } else {
                    nibbles[j - BLOCK / 2] >> 4
                };
                *q = nibble as i8 - 8;
            }
        }
        Format::Q8_0 => {
            for (q, &byte) in out.iter_mut().zip(&block[2..]) {
                *q = byte as i8;
            }
        }
    }
}

/// Two rows' quants for one block.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Pair([i8; 2 * BLOCK]);

/// A weight matrix, `rows` outputs by `cols` inputs.
pub struct Q8Matrix {
    rows: usize,
    cols: usize,
    blocks: usize,
    /// `[pair][block]`.
    quants: Vec<Pair>,
    /// `[pair][block]`: the two rows' scales as f16 bits.
    scales: Vec<[u16; 2]>,
}

/// Activations quantized as ggml's `quantize_row_q8_0` does on x86.
pub struct Q8Rows {
    cols: usize,
    quants: Vec<i8>,
    /// One per block, already rounded through f16 as ggml stores it.
    scales: Vec<f32>,
}

impl Q8Matrix {
    /// From ggml bytes of a `rows` × `cols` tensor in `format`.
    pub fn from_ggml(format: Format, data: &[u8], rows: usize, cols: usize) -> Result<Self> {
        let blocks = cols / BLOCK;
        if data.len() != rows * blocks * format.block_bytes() {
            bail!(
                "{} bytes for {rows} × {cols} values (want {})",
                data.len(),
                rows * blocks * format.block_bytes()
            );
        }
        Self::read_ggml(format, &mut &data[..], rows, cols)
    }

    /// [`Q8Matrix::from_ggml`] reading the blocks from `reader` two rows at a time: a
    /// matrix read from a model file is never held twice (the 178 MB output projection
    /// was, while loading).
    pub fn read_ggml(
        format: Format,
        reader: &mut impl std::io::Read,
        rows: usize,
        cols: usize,
    ) -> Result<Self> {
        if cols == 0 || !cols.is_multiple_of(BLOCK) {
            bail!("a row of {cols} values is not whole blocks of {BLOCK}");
        }
        let blocks = cols / BLOCK;
        let block_bytes = format.block_bytes();
        let pairs = rows.div_ceil(2);
        let mut quants = vec![Pair([0; 2 * BLOCK]); pairs * blocks];
        let mut scales = vec![[0u16; 2]; pairs * blocks];
        let mut two_rows = vec![0u8; 2 * blocks * block_bytes];
        for pair in 0..pairs {
            let in_pair = (rows - 2 * pair).min(2);
            let bytes = &mut two_rows[..in_pair * blocks * block_bytes];
            reader
                .read_exact(bytes)
                .context("the matrix's blocks end early")?;
            for (index, block) in bytes.chunks_exact(block_bytes).enumerate() {
                let (half, b) = (index / blocks, index % blocks);
                let slot = pair * blocks + b;
                scales[slot][half] = u16::from_le_bytes([block[0], block[1]]);
                unpack(
                    format,
                    block,
                    &mut quants[slot].0[half * BLOCK..(half + 1) * BLOCK],
                );
            }
        }
        Ok(Q8Matrix {
            rows,
            cols,
            blocks,
            quants,
            scales,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `row` as floats (an embedding lookup), as ggml dequantizes Q8_0.
    pub fn row(&self, row: usize, out: &mut [f32]) {
        let (pair, half) = (row / 2, row % 2);
        for b in 0..self.blocks {
            let slot = pair * self.blocks + b;
            let d = f16::from_bits(self.scales[slot][half]).to_f32();
            let quants = &self.quants[slot].0[half * BLOCK..(half + 1) * BLOCK];
            for (o, &q) in out[b * BLOCK..(b + 1) * BLOCK].iter_mut().zip(quants) {
                *o = q as f32 * d;
            }
        }
    }

    /// `out[i][r] = Σ_k x[i][k] · w[r][k]` for every row `i` of `x`; `out` is `x.len() ×
    /// rows`. Spread over candle's CPU thread pool by pairs of weight rows.
    pub fn matmul(&self, x: &Q8Rows, out: &mut [f32]) {
        self.matmul_then(x, out, |_, v| v);
    }

    /// [`Q8Matrix::matmul`], each product then given to `finish` with its column (a bias,
    /// an activation) by the thread that computed it: no serial pass after the threads.
    pub fn matmul_then(
        &self,
        x: &Q8Rows,
        out: &mut [f32],
        finish: impl Fn(usize, f32) -> f32 + Sync,
    ) {
        assert_eq!(x.cols, self.cols, "activation width");
        let m = x.quants.len() / self.cols;
        assert_eq!(out.len(), m * self.rows, "output size");
        let pairs = self.rows.div_ceil(2);
        let out_ptr = out.as_mut_ptr() as usize;
        let kernel = Kernel::detect();
        let run = |range: std::ops::Range<usize>| {
            for pair in range {
                // SAFETY: `out` holds `m × rows` values; each pair writes only its own two
                // columns, and ranges given to different threads do not overlap.
                unsafe { self.pair_products(kernel, pair, x, m, out_ptr as *mut f32, &finish) };
            }
        };
        if pairs * m * self.blocks < 4096 {
            run(0..pairs);
        } else {
            candle_core::utils::barrier_pool().execute_chunked(pairs, run);
        }
    }

    /// Writes the two columns of `pair` in the first `m` rows of `out`.
    ///
    /// # Safety
    /// `out` must be valid for writes of `m × rows` values, and no one else may write those
    /// two columns meanwhile.
    unsafe fn pair_products(
        &self,
        kernel: Kernel,
        pair: usize,
        x: &Q8Rows,
        m: usize,
        out: *mut f32,
        finish: &impl Fn(usize, f32) -> f32,
    ) {
        let quants = &self.quants[pair * self.blocks..(pair + 1) * self.blocks];
        let scales = &self.scales[pair * self.blocks..(pair + 1) * self.blocks];
        let row = |i: usize| {
            (
                &x.quants[i * self.cols..(i + 1) * self.cols],
                &x.scales[i * self.blocks..(i + 1) * self.blocks],
            )
        };
        let put = |i: usize, [a, b]: [f32; 2]| {
            // SAFETY: inside the `m × rows` values the caller vouches for.
            unsafe {
                out.add(i * self.rows + 2 * pair).write(finish(2 * pair, a));
                if 2 * pair + 1 < self.rows {
                    out.add(i * self.rows + 2 * pair + 1)
                        .write(finish(2 * pair + 1, b));
                }
            }
        };
        let mut first = 0;
        // Four activation rows at a time share each weight load (prompts, passages).
        #[cfg(target_arch = "x86_64")]
        while kernel != Kernel::Plain && first + 4 <= m {
            let rows: [_; 4] = std::array::from_fn(|r| row(first + r));
            // SAFETY: `detect` saw these features on this CPU.
            let sums = unsafe {
                match kernel {
                    Kernel::Avx512 => x86::pair_avx512(quants, scales, rows),
                    _ => x86::pair_avx2_4(quants, scales, rows),
                }
            };
            for (r, sum) in sums.into_iter().enumerate() {
                put(first + r, sum);
            }
            first += 4;
        }
        for i in first..m {
            let (xq, xd) = row(i);
            let sum = match kernel {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `detect` saw these features on this CPU.
                Kernel::Avx512 => unsafe { x86::pair_avx512(quants, scales, [(xq, xd)])[0] },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                Kernel::Avx2 => unsafe { x86::pair_avx2(quants, scales, xq, xd) },
                Kernel::Plain => pair_plain(quants, scales, xq, xd),
            };
            put(i, sum);
        }
    }
}

impl Q8Rows {
    /// How many rows were quantized.
    pub fn rows(&self) -> usize {
        self.quants.len() / self.cols
    }

    /// Quantizes `rows` rows of `x` (row-major, `x.len() / rows` wide).
    pub fn quantize(x: &[f32], cols: usize) -> Self {
        assert!(cols.is_multiple_of(BLOCK) && x.len().is_multiple_of(cols));
        let blocks = x.len() / BLOCK;
        let mut quants = vec![0i8; x.len()];
        let mut scales = vec![0.0f32; blocks];
        if blocks < 512 {
            quantize_blocks(x, &mut quants, &mut scales);
        } else {
            // A prompt's worth of rows: spread the blocks over the thread pool.
            let (quants_at, scales_at) =
                (quants.as_mut_ptr() as usize, scales.as_mut_ptr() as usize);
            candle_core::utils::barrier_pool().execute_chunked(blocks, |range| {
                // SAFETY: the ranges given to different threads do not overlap, and both
                // vectors hold `blocks` blocks.
                let (quants, scales) = unsafe {
                    (
                        std::slice::from_raw_parts_mut(
                            (quants_at as *mut i8).add(range.start * BLOCK),
                            range.len() * BLOCK,
                        ),
                        std::slice::from_raw_parts_mut(
                            (scales_at as *mut f32).add(range.start),
                            range.len(),
                        ),
                    )
                };
                quantize_blocks(&x[range.start * BLOCK..range.end * BLOCK], quants, scales);
            });
        }
        Q8Rows {
            cols,
            quants,
            scales,
        }
    }
}

/// ggml's `quantize_row_q8_0` on x86: scale max|x| / 127 stored as f16, values
/// `x · 127 / max` rounded to even.
fn quantize_blocks(x: &[f32], quants: &mut [i8], scales: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if Kernel::detect() != Kernel::Plain {
        // SAFETY: `detect` saw AVX2 on this CPU.
        unsafe { x86::quantize_blocks(x, quants, scales) };
        return;
    }
    quantize_plain(x, quants, scales);
}

/// [`quantize_blocks`] one value at a time: the reference.
fn quantize_plain(x: &[f32], quants: &mut [i8], scales: &mut [f32]) {
    for ((values, out), scale) in x
        .chunks_exact(BLOCK)
        .zip(quants.chunks_exact_mut(BLOCK))
        .zip(scales)
    {
        let max = values
            .iter()
            .fold(0.0f32, |m, v| if v.abs() > m { v.abs() } else { m });
        let id = if max != 0.0 { 127.0 / max } else { 0.0 };
        for (q, &v) in out.iter_mut().zip(values) {
            *q = round_even(v * id) as i8;
        }
        *scale = f16::from_f32(max / 127.0).to_f32();
    }
}

/// `x` rounded to an integer, ties to even, for |x| < 2^22: adding and removing 1.5 · 2^23
/// leaves the rounding to the FPU (ties to even), where `round_ties_even` is a libm call on
/// CPUs without SSE4.1 instructions in the build.
#[inline(always)]
pub fn round_even(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC) - MAGIC
}

/// ggml's `hsum_float_8`: halves added, then pairs, then the last two.
fn hsum8(lanes: &[f32; 8]) -> f32 {
    let r: [f32; 4] = std::array::from_fn(|i| lanes[i] + lanes[i + 4]);
    (r[0] + r[2]) + (r[1] + r[3])
}

/// The reference arithmetic, for CPUs without AVX2.
fn pair_plain(quants: &[Pair], scales: &[[u16; 2]], xq: &[i8], xd: &[f32]) -> [f32; 2] {
    let mut acc = [[0.0f32; 8]; 2];
    for (b, (pair, scale)) in quants.iter().zip(scales).enumerate() {
        let x = &xq[b * BLOCK..(b + 1) * BLOCK];
        for (half, acc) in acc.iter_mut().enumerate() {
            let w = &pair.0[half * BLOCK..(half + 1) * BLOCK];
            let d = f16::from_bits(scale[half]).to_f32() * xd[b];
            for (lane, acc) in acc.iter_mut().enumerate() {
                let sum: i32 = (4 * lane..4 * lane + 4)
                    .map(|j| w[j] as i32 * x[j] as i32)
                    .sum();
                *acc = d.mul_add(sum as f32, *acc);
            }
        }
    }
    [hsum8(&acc[0]), hsum8(&acc[1])]
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kernel {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Plain,
}

impl Kernel {
    fn detect() -> Kernel {
        static KERNEL: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *KERNEL.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                if is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vnni")
                    && is_x86_feature_detected!("f16c")
                    && is_x86_feature_detected!("fma")
                {
                    return Kernel::Avx512;
                }
                if is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("f16c")
                    && is_x86_feature_detected!("fma")
                {
                    return Kernel::Avx2;
                }
            }
            Kernel::Plain
        })
    }

    /// Every kernel this CPU can run (for tests that compare them).
    #[cfg(test)]
    fn available() -> Vec<Kernel> {
        let mut all = vec![Kernel::Plain];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("f16c")
                && is_x86_feature_detected!("fma")
            {
                all.push(Kernel::Avx2);
            }
            if Kernel::detect() == Kernel::Avx512 {
                all.push(Kernel::Avx512);
            }
        }
        all
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{BLOCK, Pair};
    use half::f16;
    use std::arch::x86_64::*;

    /// [`super::quantize_blocks`] eight values at a time, with the same result: the
    /// largest magnitude is exact in any order, and each value is multiplied by the same
    /// factor and rounded to even, as there.
    #[target_feature(enable = "avx2")]
    pub fn quantize_blocks(x: &[f32], quants: &mut [i8], scales: &mut [f32]) {
        for ((values, out), scale) in x
            .chunks_exact(BLOCK)
            .zip(quants.chunks_exact_mut(BLOCK))
            .zip(scales)
        {
            // SAFETY: `values` holds 32 floats and `out` 32 bytes; unaligned loads and
            // stores.
            unsafe {
                let sign = _mm256_set1_ps(-0.0);
                let at = values.as_ptr();
                let v = [
                    _mm256_loadu_ps(at),
                    _mm256_loadu_ps(at.add(8)),
                    _mm256_loadu_ps(at.add(16)),
                    _mm256_loadu_ps(at.add(24)),
                ];
                let mut max = _mm256_andnot_ps(sign, v[0]);
                for x in &v[1..] {
                    max = _mm256_max_ps(max, _mm256_andnot_ps(sign, *x));
                }
                let mut half =
                    _mm_max_ps(_mm256_extractf128_ps::<1>(max), _mm256_castps256_ps128(max));
                half = _mm_max_ps(half, _mm_movehl_ps(half, half));
                half = _mm_max_ss(half, _mm_movehdup_ps(half));
                let max = _mm_cvtss_f32(half);
                let id = _mm256_set1_ps(if max != 0.0 { 127.0 / max } else { 0.0 });
                let mut q = [_mm256_setzero_si256(); 4];
                for (q, v) in q.iter_mut().zip(v) {
                    *q = _mm256_cvtps_epi32(_mm256_round_ps::<
                        { _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC },
                    >(_mm256_mul_ps(v, id)));
                }
                // Pack to bytes (values within ±127: no saturation), then undo the
                // lane interleaving of the packs.
                let words = [
                    _mm256_packs_epi32(q[0], q[1]),
                    _mm256_packs_epi32(q[2], q[3]),
                ];
                let bytes = _mm256_packs_epi16(words[0], words[1]);
                let ordered =
                    _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
                _mm256_storeu_si256(out.as_mut_ptr() as *mut __m256i, ordered);
                *scale = f16::from_f32(max / 127.0).to_f32();
            }
        }
    }

    /// ggml's `hsum_float_8` on a vector.
    #[target_feature(enable = "avx2")]
    fn hsum(x: __m256) -> f32 {
        let mut res = _mm_add_ps(_mm256_extractf128_ps::<1>(x), _mm256_castps256_ps128(x));
        res = _mm_add_ps(res, _mm_movehl_ps(res, res));
        res = _mm_add_ss(res, _mm_movehdup_ps(res));
        _mm_cvtss_f32(res)
    }

    /// The two rows of one weight block (`w0`, `w1`, their magnitudes `a0`, `a1`) against
    /// one activation block: ggml's AVX2 `mul_sum_i8_pairs`, as floats.
    #[inline(always)]
    unsafe fn products(
        x: __m256i,
        w0: __m256i,
        w1: __m256i,
        a0: __m256i,
        a1: __m256i,
    ) -> (__m256, __m256) {
        // SAFETY: only called from functions with AVX2 enabled.
        unsafe {
            let ones = _mm256_set1_epi16(1);
            let p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(a0, _mm256_sign_epi8(x, w0)), ones);
            let p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(a1, _mm256_sign_epi8(x, w1)), ones);
            (_mm256_cvtepi32_ps(p0), _mm256_cvtepi32_ps(p1))
        }
    }

    /// Both rows of a pair against one activation row (`xq`, `xd`), or against four that
    /// share each weight load and its magnitude (`pair_avx2_4`); every row gets the same
    /// operations as ggml's AVX2 `vec_dot_q8_0_q8_0`, so the same bits either way.
    ///
    /// # Safety
    /// The CPU must have AVX2, FMA and F16C (checked at run time by the caller).
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn pair_avx2(
        quants: &[Pair],
        scales: &[[u16; 2]],
        xq: &[i8],
        xd: &[f32],
    ) -> [f32; 2] {
        let blocks = quants.len().min(scales.len());
        assert!(
            xq.len() >= blocks * BLOCK && xd.len() >= blocks,
            "a short activation row"
        );
        // SAFETY: the caller checked the CPU features; the loads stay inside the slices.
        unsafe {
            let (mut first, mut second) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            for (b, (pair, scale)) in quants.iter().zip(scales).enumerate() {
                let (dw0, dw1) = block_scales(scale);
                let w0 = _mm256_load_si256(pair.0.as_ptr() as *const __m256i);
                let w1 = _mm256_load_si256(pair.0.as_ptr().add(BLOCK) as *const __m256i);
                let (a0, a1) = (_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(w1, w1));
                let x = _mm256_loadu_si256(xq.as_ptr().add(b * BLOCK) as *const __m256i);
                let xs = *xd.get_unchecked(b);
                let (p0, p1) = products(x, w0, w1, a0, a1);
                // One f32 product of the two scales, as ggml's `_mm256_mul_ps`.
                first = _mm256_fmadd_ps(_mm256_set1_ps(dw0 * xs), p0, first);
                second = _mm256_fmadd_ps(_mm256_set1_ps(dw1 * xs), p1, second);
            }
            [hsum(first), hsum(second)]
        }
    }

    /// [`pair_avx2`] for four activation rows at once, written out so that the eight
    /// accumulators stay in registers.
    ///
    /// # Safety
    /// As [`pair_avx2`].
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn pair_avx2_4(
        quants: &[Pair],
        scales: &[[u16; 2]],
        rows: [(&[i8], &[f32]); 4],
    ) -> [[f32; 2]; 4] {
        let blocks = quants.len().min(scales.len());
        assert!(
            rows.iter()
                .all(|(q, d)| q.len() >= blocks * BLOCK && d.len() >= blocks),
            "a short activation row"
        );
        let [(q0, d0), (q1, d1), (q2, d2), (q3, d3)] = rows;
        // SAFETY: the caller checked the CPU features; the loads stay inside the slices.
        unsafe {
            let zero = _mm256_setzero_ps();
            let (mut f0, mut f1, mut f2, mut f3) = (zero, zero, zero, zero);
            let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
            for (b, (pair, scale)) in quants.iter().zip(scales).enumerate() {
                let (dw0, dw1) = block_scales(scale);
                let w0 = _mm256_load_si256(pair.0.as_ptr() as *const __m256i);
                let w1 = _mm256_load_si256(pair.0.as_ptr().add(BLOCK) as *const __m256i);
                let (a0, a1) = (_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(w1, w1));
                let load =
                    |q: &[i8]| _mm256_loadu_si256(q.as_ptr().add(b * BLOCK) as *const __m256i);
                macro_rules! row {
                    ($q:expr, $d:expr, $f:ident, $s:ident) => {
                        let xs = *$d.get_unchecked(b);
                        let (p0, p1) = products(load($q), w0, w1, a0, a1);
                        $f = _mm256_fmadd_ps(_mm256_set1_ps(dw0 * xs), p0, $f);
                        $s = _mm256_fmadd_ps(_mm256_set1_ps(dw1 * xs), p1, $s);
                    };
                }
                row!(q0, d0, f0, s0);
                row!(q1, d1, f1, s1);
                row!(q2, d2, f2, s2);
                row!(q3, d3, f3, s3);
            }
            [
                [hsum(f0), hsum(s0)],
                [hsum(f1), hsum(s1)],
                [hsum(f2), hsum(s2)],
                [hsum(f3), hsum(s3)],
            ]
        }
    }

    /// A block's two weight scales, f16 to f32 as `_mm_cvtph_ps` does.
    #[inline(always)]
    unsafe fn block_scales(scale: &[u16; 2]) -> (f32, f32) {
        // SAFETY: only called from functions with F16C enabled.
        unsafe {
            let dw = _mm_cvtph_ps(_mm_cvtsi32_si128(
                (scale[0] as u32 | (scale[1] as u32) << 16) as i32,
            ));
            (_mm_cvtss_f32(dw), _mm_cvtss_f32(_mm_movehdup_ps(dw)))
        }
    }

    /// Both rows in one 512-bit register (lanes 0–7 the first, 8–15 the second), against
    /// `N` activation rows that share each weight load; every row gets the same operations,
    /// so the same bits for any `N`.
    ///
    /// # Safety
    /// The CPU must have AVX-512 F, BW and VNNI, AVX2, FMA and F16C (checked at run time
    /// by the caller).
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma,f16c")]
    pub unsafe fn pair_avx512<const N: usize>(
        quants: &[Pair],
        scales: &[[u16; 2]],
        rows: [(&[i8], &[f32]); N],
    ) -> [[f32; 2]; N] {
        // SAFETY: the caller checked the CPU features; loads stay inside the slices.
        unsafe {
            let zero = _mm512_setzero_si512();
            let spread = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
            let mut acc = [_mm512_setzero_ps(); N];
            for (b, (pair, scale)) in quants.iter().zip(scales).enumerate() {
                let w = _mm512_load_si512(pair.0.as_ptr() as *const __m512i);
                let negative = _mm512_movepi8_mask(w);
                let magnitude = _mm512_abs_epi8(w);
                let dw = _mm_cvtph_ps(_mm_cvtsi32_si128(
                    (scale[0] as u32 | (scale[1] as u32) << 16) as i32,
                ));
                for (acc, (xq, xd)) in acc.iter_mut().zip(rows) {
                    let x = _mm512_broadcast_i64x4(_mm256_loadu_si256(
                        xq.as_ptr().add(b * BLOCK) as *const __m256i
                    ));
                    let sx = _mm512_mask_sub_epi8(x, negative, zero, x);
                    let dot = _mm512_dpbusd_epi32(zero, magnitude, sx);
                    let ds = _mm_mul_ps(dw, _mm_set1_ps(xd[b]));
                    let d = _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(ds));
                    *acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(dot), *acc);
                }
            }
            acc.map(|acc| {
                [
                    hsum(_mm512_castps512_ps256(acc)),
                    hsum(_mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(
                        _mm512_castps_pd(acc),
                    ))),
                ]
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random bytes.
    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 24) as u8
            })
            .collect()
    }

    fn q8_0_bytes(rows: usize, cols: usize, seed: u64) -> Vec<u8> {
        let mut data = noise(rows * cols / BLOCK * Q8_0_BYTES, seed);
        for block in data.chunks_exact_mut(Q8_0_BYTES) {
            // A small positive or negative scale; -128 appears among the quants.
            let d = f16::from_f32((block[0] as f32 - 128.0) / 4096.0).to_bits();
            block[..2].copy_from_slice(&d.to_le_bytes());
        }
        data
    }

    fn floats(n: usize, seed: u64) -> Vec<f32> {
        noise(n, seed)
            .iter()
            .map(|&b| (b as f32 - 127.5) / 16.0)
            .collect()
    }

    #[test]
    fn every_kernel_gives_the_same_bits_as_the_reference_arithmetic() {
        let (rows, cols) = (7, 640);
        let matrix =
            Q8Matrix::from_ggml(Format::Q8_0, &q8_0_bytes(rows, cols, 1), rows, cols).unwrap();
        let x = Q8Rows::quantize(&floats(6 * cols, 2), cols);
        // Written out for one output the way ggml's loop reads (block by block).
        let mut w = vec![0.0f32; cols];
        let mut want = Vec::new();
        for i in 0..6 {
            for r in 0..rows {
                matrix.row(r, &mut w);
                let mut lanes = [0.0f32; 8];
                for b in 0..cols / BLOCK {
                    let slot = (r / 2) * matrix.blocks + b;
                    let dw = f16::from_bits(matrix.scales[slot][r % 2]).to_f32();
                    let d = dw * x.scales[i * cols / BLOCK + b];
                    for (lane, acc) in lanes.iter_mut().enumerate() {
                        let sum: i32 = (0..4)
                            .map(|t| {
                                let j = b * BLOCK + 4 * lane + t;
                                let wq = matrix.quants[slot].0[(r % 2) * BLOCK + 4 * lane + t];
                                wq as i32 * x.quants[i * cols + j] as i32
                            })
                            .sum();
                        *acc = d.mul_add(sum as f32, *acc);
                    }
                }
                want.push(hsum8(&lanes));
            }
        }
        for kernel in Kernel::available() {
            let mut got = vec![0.0f32; 6 * rows];
            for pair in 0..rows.div_ceil(2) {
                // SAFETY: `got` holds 6 × rows values.
                unsafe { matrix.pair_products(kernel, pair, &x, 6, got.as_mut_ptr(), &|_, v| v) };
            }
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{kernel:?}");
        }
        let mut threaded = vec![0.0f32; 6 * rows];
        matrix.matmul(&x, &mut threaded);
        assert_eq!(threaded, want);
    }

    #[test]
    fn products_are_close_to_the_float_products() {
        let (rows, cols) = (64, 256);
        let matrix =
            Q8Matrix::from_ggml(Format::Q8_0, &q8_0_bytes(rows, cols, 3), rows, cols).unwrap();
        let xs = floats(cols, 4);
        let mut got = vec![0.0f32; rows];
        matrix.matmul(&Q8Rows::quantize(&xs, cols), &mut got);
        let mut w = vec![0.0f32; cols];
        for (r, &g) in got.iter().enumerate() {
            matrix.row(r, &mut w);
            let exact: f32 = w.iter().zip(&xs).map(|(a, b)| a * b).sum();
            let scale: f32 = w.iter().zip(&xs).map(|(a, b)| (a * b).abs()).sum();
            assert!((g - exact).abs() <= 0.01 * scale, "row {r}: {g} vs {exact}");
        }
    }

    #[test]
    fn q5_0_widens_to_the_same_values() {
        // One Q5_0 block by hand: d = 0.5, quants 0..31 → values (q - 16) / 2.
        let mut block = Vec::new();
        block.extend_from_slice(&f16::from_f32(0.5).to_bits().to_le_bytes());
        let mut high = 0u32;
        let mut low = [0u8; 16];
        for q in 0..32u32 {
            if q & 16 != 0 {
                high |= 1 << q;
            }
            let nibble = (q & 15) as u8;
            if q < 16 {
                low[q as usize] |= nibble;
            } else {
                low[q as usize - 16] |= nibble << 4;
            }
        }
        block.extend_from_slice(&high.to_le_bytes());
        block.extend_from_slice(&low);
        let matrix = Q8Matrix::from_ggml(Format::Q5_0, &block, 1, 32).unwrap();
        let mut row = vec![0.0f32; 32];
        matrix.row(0, &mut row);
        let want: Vec<f32> = (0..32).map(|q| (q as f32 - 16.0) * 0.5).collect();
        assert_eq!(row, want);
    }

    #[test]
    fn activations_quantize_as_ggml_does() {
        // The largest magnitude 127 makes the multiplier exactly 1: halves go to even.
        let mut xs = vec![0.0f32; 32];
        xs[..5].copy_from_slice(&[-127.0, 63.5, 0.5, 1.5, -2.5]);
        let q = Q8Rows::quantize(&xs, 32);
        assert_eq!(&q.quants[..5], &[-127, 64, 0, 2, -2]);
        assert_eq!(q.scales[0], 1.0);
        let q = Q8Rows::quantize(&[0.3; 32], 32);
        assert_eq!(q.scales[0], f16::from_f32(0.3 / 127.0).to_f32());
        let zeros = Q8Rows::quantize(&[0.0; 32], 32);
        assert_eq!((zeros.scales[0], zeros.quants[0]), (0.0, 0));
    }

    #[test]
    fn rounding_to_even_matches_the_library() {
        for i in -2000..2000 {
            let x = i as f32 * 0.25;
            assert_eq!(round_even(x), x.round_ties_even(), "{x}");
        }
    }

    #[test]
    fn a_prompt_quantized_in_parallel_equals_one_quantized_in_order() {
        let xs = floats(40 * 640, 7);
        let parallel = Q8Rows::quantize(&xs, 640);
        let mut quants = vec![0i8; xs.len()];
        let mut scales = vec![0.0f32; xs.len() / BLOCK];
        quantize_plain(&xs, &mut quants, &mut scales);
        assert_eq!(parallel.quants, quants);
        assert_eq!(parallel.scales, scales);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_quantizer_equals_the_reference() {
        if Kernel::detect() == Kernel::Plain {
            eprintln!("SKIPPED: no AVX2 here");
            return;
        }
        let mut xs = floats(64 * 384, 11);
        // Halves that round to even, a zero block and a block with one value.
        xs[..32].copy_from_slice(&std::array::from_fn::<f32, 32, _>(|i| i as f32 * 0.5 - 8.0));
        xs[32..64].fill(0.0);
        xs[64..96].fill(0.0);
        xs[70] = -3.0;
        let (mut want, mut got) = (vec![0i8; xs.len()], vec![0i8; xs.len()]);
        let (mut want_scales, mut got_scales) = (
            vec![0.0f32; xs.len() / BLOCK],
            vec![0.0f32; xs.len() / BLOCK],
        );
        quantize_plain(&xs, &mut want, &mut want_scales);
        // SAFETY: `detect` saw AVX2.
        unsafe { x86::quantize_blocks(&xs, &mut got, &mut got_scales) };
        assert_eq!(got, want);
        assert_eq!(got_scales, want_scales);
    }

    #[test]
    fn bad_shapes_are_refused() {
        assert!(Q8Matrix::from_ggml(Format::Q8_0, &[0; 34], 1, 33).is_err());
        assert!(Q8Matrix::from_ggml(Format::Q8_0, &[0; 33], 1, 32).is_err());
    }
}
