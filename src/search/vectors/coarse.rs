//! The quick pass of [`Vectors::nearest`]: every vector in 8 bits, with the bound that
//! keeps the nearest passages exact.

use super::Vectors;

/// Every passage's vectors (its own, then its question wordings') in 8 bits, each scaled
/// so that its largest magnitude is 127: the quick pass reads a quarter of the memory, the
/// whole of its cost on a large knowledge base (100,000 passages: 150 MB of f32 per
/// question).
pub(super) struct Coarse {
    /// `[vector][dim]`.
    quants: Vec<i8>,
    /// Per vector, what its quants are multiplied by.
    scales: Vec<f32>,
    /// Per passage, where its vectors begin; one more at the end.
    starts: Vec<usize>,
    /// The largest distance between a vector and its 8-bit version: a quick score is within
    /// the question's norm times this of the score on the exact vector (Cauchy–Schwarz).
    residual: f32,
    /// The largest norm of a vector or of its 8-bit version.
    largest_norm: f32,
}

/// Vectors the quick pass reads at least before it uses a second thread.
pub(super) const PARALLEL_FROM: usize = 16_384;

impl Coarse {
    pub(super) fn of(vectors: &Vectors) -> Coarse {
        let d = vectors.dim;
        let mut coarse = Coarse {
            quants: Vec::new(),
            scales: Vec::new(),
            starts: vec![0],
            residual: 0.0,
            largest_norm: 0.0,
        };
        for ord in 0..vectors.len() {
            let own = &vectors.passages[ord * d..(ord + 1) * d];
            for v in std::iter::once(own).chain(vectors.questions[ord].chunks_exact(d)) {
                let largest = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
                let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
                let (mut gap, mut norm, mut coarse_norm) = (0.0f64, 0.0f64, 0.0f64);
                for &x in v {
                    let q = (x / scale).round().clamp(-127.0, 127.0) as i8;
                    coarse.quants.push(q);
                    let back = f64::from(q) * f64::from(scale);
                    gap += (f64::from(x) - back).powi(2);
                    norm += f64::from(x).powi(2);
                    coarse_norm += back.powi(2);
                }
                coarse.scales.push(scale);
                coarse.residual = coarse.residual.max(gap.sqrt() as f32);
                coarse.largest_norm = coarse
                    .largest_norm
                    .max(norm.sqrt() as f32)
                    .max(coarse_norm.sqrt() as f32);
            }
            coarse.starts.push(coarse.scales.len());
        }
        coarse
    }

    /// Every passage's quick score; the two halves on two threads when there are many.
    pub(super) fn quick(&self, query: &[f32]) -> Vec<f32> {
        let passages = self.starts.len() - 1;
        let mut quick = vec![0.0f32; passages];
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
        if self.scales.len() < PARALLEL_FROM || threads < 2 {
            self.scores(query, 0, &mut quick);
        } else {
            let half = passages / 2;
            let (first, second) = quick.split_at_mut(half);
            std::thread::scope(|scope| {
                scope.spawn(|| self.scores(query, half, second));
                self.scores(query, 0, first);
            });
        }
        quick
    }

    /// A bound on how far a quick score can be from the exact one: the 8-bit vector's
    /// distance from the exact one (times the question's norm), and rounding — both sums of
    /// `dim` products are within `dim` rounding errors of the true value, relative to the
    /// product of the norms — with room to spare.
    pub(super) fn error(&self, query: &[f32]) -> f32 {
        let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        let rounding = 4.0 * query.len() as f32 * f32::EPSILON * self.largest_norm;
        norm * (self.residual * (1.0 + 1e-3) + rounding)
    }

    /// Each passage's quick score: the largest of its vectors' 8-bit scores, into `out`
    /// (from passage `first` on).
    fn scores(&self, query: &[f32], first: usize, out: &mut [f32]) {
        let d = query.len();
        for (i, score) in out.iter_mut().enumerate() {
            let ord = first + i;
            *score = (self.starts[ord]..self.starts[ord + 1])
                .map(|v| self.scales[v] * coarse_dot(query, &self.quants[v * d..(v + 1) * d]))
                .fold(f32::MIN, f32::max);
        }
    }
}

/// `query` times an 8-bit vector, summed in eight lanes (which the compiler vectorises).
fn coarse_dot(query: &[f32], quants: &[i8]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a8, b8) = (query.chunks_exact(8), quants.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, &q)| x * f32::from(q))
        .sum();
    for (x, q) in a8.zip(b8) {
        for i in 0..8 {
            lanes[i] += x[i] * f32::from(q[i]);
        }
    }
    lanes.iter().sum::<f32>() + tail
}
