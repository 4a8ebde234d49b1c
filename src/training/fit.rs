//! Fitting the judge's network with candle-nn (AdamW, a stable binary cross-entropy),
//! seeded throughout, with a progress bar; and Platt scaling of its logits.

use std::path::Path;

use anyhow::{Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Optimizer, ParamsAdamW, VarBuilder, VarMap};
use indicatif::{ProgressBar, ProgressStyle};

use super::Options;
use crate::judge::memory::Memory;
use crate::judge::{Parts, batch, forward};

/// Rows per step.
const BATCH: usize = 256;
/// A positive row counts this many times a negative one: most candidates do not answer.
const POSITIVE_WEIGHT: f32 = 2.0;

/// A fitted network.
pub struct Fitted {
    vars: VarMap,
    parts: Parts,
}

impl Fitted {
    pub fn logits(&self, rows: &[Vec<f32>]) -> Result<Vec<f32>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        crate::judge::model_logits(&self.parts, rows)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        self.vars
            .save(path)
            .with_context(|| format!("writing {}", path.display()))
    }
}

/// A seeded generator (SplitMix64): the same seed, the same weights and order.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Fits the network on `rows` (features, answers), `options.epochs` passes; the loss on
/// `watch` (rows it does not learn from) is reported as it goes.
pub fn fit(
    rows: &[(&[f32], bool)],
    watch: &[(&[f32], bool)],
    width: usize,
    hidden: usize,
    memory: &Memory,
    options: &Options,
) -> Result<Fitted> {
    let mut random = Random(options.seed);
    let vars = VarMap::new();
    let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
    let dim = memory.vectors().len() / memory.len().max(1);
    let parts = Parts::new(vb, width, hidden, memory.len(), dim)?;
    let mut vars = vars;
    vars.set_one(
        "memory",
        Tensor::from_vec(memory.vectors().to_vec(), (memory.len(), dim), &Device::Cpu)?,
    )?;
    // Standardisation from the training rows; a constant feature is left as it is.
    let n = rows.len().max(1) as f32;
    let mut mean = vec![0.0f32; width];
    let mut var = vec![0.0f32; width];
    for (f, _) in rows {
        for (m, x) in mean.iter_mut().zip(f.iter()) {
            *m += x / n;
        }
    }
    for (f, _) in rows {
        for ((v, m), x) in var.iter_mut().zip(&mean).zip(f.iter()) {
            *v += (x - m) * (x - m) / n;
        }
    }
    let std: Vec<f32> = var
        .iter()
        .map(|v| if *v > 1e-8 { v.sqrt() } else { 1.0 })
        .collect();
    vars.set_one("mean", Tensor::from_vec(mean, width, &Device::Cpu)?)?;
    vars.set_one("std", Tensor::from_vec(std, width, &Device::Cpu)?)?;
    // Seeded weights (Glorot uniform), biases at zero.
    for (name, fan_in, fan_out) in [("hidden.weight", width, hidden), ("out.weight", hidden, 1)] {
        let limit = (6.0 / (fan_in + fan_out) as f32).sqrt();
        let w: Vec<f32> = (0..fan_in * fan_out)
            .map(|_| random.unit() * limit)
            .collect();
        vars.set_one(name, Tensor::from_vec(w, (fan_out, fan_in), &Device::Cpu)?)?;
    }
    for (name, size) in [("hidden.bias", hidden), ("out.bias", 1)] {
        vars.set_one(name, Tensor::zeros(size, DType::F32, &Device::Cpu)?)?;
    }
    // Only the layers learn; the standardisation stays as set.
    let learnt: Vec<candle_core::Var> = {
        let data = vars.data().lock().expect("the variables");
        ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
            .iter()
            .map(|n| data.get(*n).cloned().context("a layer's variable"))
            .collect::<Result<_>>()?
    };
    let mut optimizer = candle_nn::AdamW::new(
        learnt,
        ParamsAdamW {
            lr: 1e-3,
            weight_decay: options.weight_decay,
            ..Default::default()
        },
    )?;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let bar = ProgressBar::new(options.epochs as u64).with_style(
        ProgressStyle::with_template("training the judge {bar:30} epoch {pos}/{len} {msg} {eta}")
            .expect("a valid template"),
    );
    for epoch in 1..=options.epochs {
        random.shuffle(&mut order);
        let mut total = 0.0f32;
        for chunk in order.chunks(BATCH) {
            let features: Vec<Vec<f32>> = chunk.iter().map(|&i| rows[i].0.to_vec()).collect();
            let targets: Vec<f32> = chunk
                .iter()
                .map(|&i| f32::from(u8::from(rows[i].1)))
                .collect();
            let x = batch(&features)?;
            let y = Tensor::from_vec(targets, chunk.len(), &Device::Cpu)?;
            let x = match options.dropout {
                p if p > 0.0 => {
                    // Seeded, like everything else here: the same seed, the same judge.
                    let keep = 1.0 / (1.0 - p);
                    let mask: Vec<f32> = (0..x.elem_count())
                        .map(|_| {
                            if (random.unit() + 1.0) / 2.0 < p {
                                0.0
                            } else {
                                keep
                            }
                        })
                        .collect();
                    let mask = Tensor::from_vec(mask, x.dims(), &Device::Cpu)?;
                    (x * mask)?
                }
                _ => x,
            };
            let logits = forward(&x, &parts.mean, &parts.std, &parts.hidden, &parts.out)?;
            let loss = weighted_bce(&logits, &y)?;
            optimizer.backward_step(&loss)?;
            total += loss.to_scalar::<f32>()? * chunk.len() as f32;
        }
        bar.set_message(format!("loss {:.4}", total / n));
        bar.inc(1);
        if epoch % 5 == 0 || epoch == options.epochs {
            let watched = loss_on(&parts, watch)?;
            bar.suspend(|| {
                eprintln!(
                    "epoch {epoch}: loss {:.4} on the training rows, {watched:.4} on the calibration rows",
                    total / n
                )
            });
        }
    }
    bar.finish_and_clear();
    Ok(Fitted { vars, parts })
}

/// The mean loss on `rows`, without dropout.
fn loss_on(parts: &Parts, rows: &[(&[f32], bool)]) -> Result<f32> {
    if rows.is_empty() {
        return Ok(0.0);
    }
    let features: Vec<Vec<f32>> = rows.iter().map(|(f, _)| f.to_vec()).collect();
    let targets: Vec<f32> = rows.iter().map(|(_, y)| f32::from(u8::from(*y))).collect();
    let logits = forward(
        &batch(&features)?,
        &parts.mean,
        &parts.std,
        &parts.hidden,
        &parts.out,
    )?;
    let y = Tensor::from_vec(targets, rows.len(), &Device::Cpu)?;
    Ok(weighted_bce(&logits, &y)?.to_scalar::<f32>()?)
}

/// Binary cross-entropy on logits, written so that it never takes the log of 0:
/// max(x, 0) − x·y + log(1 + e^−|x|), positives weighted.
fn weighted_bce(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let per_row = (logits.relu()? - (logits * targets)?)?
        .add(&logits.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?)?;
    let weights = targets.affine((POSITIVE_WEIGHT - 1.0) as f64, 1.0)?;
    Ok((per_row * weights)?.mean_all()?)
}

/// Platt scaling: `a`, `b` of p = sigmoid(a·logit + b) that fit `pairs` (logit, answers)
/// best: Newton's method on the log-likelihood with Platt's smoothed targets, each step
/// halved until it does not make the fit worse.
pub fn platt(pairs: &[(f32, bool)]) -> (f32, f32) {
    let positives = pairs.iter().filter(|(_, y)| *y).count() as f64;
    let negatives = pairs.len() as f64 - positives;
    let hi = (positives + 1.0) / (positives + 2.0);
    let lo = 1.0 / (negatives + 2.0);
    let target = |y: bool| if y { hi } else { lo };
    // −log-likelihood, computed without overflow.
    let cost = |a: f64, b: f64| -> f64 {
        pairs
            .iter()
            .map(|(x, y)| {
                let z = a * *x as f64 + b;
                let t = target(*y);
                // log(1 + e^z) − t·z
                (if z > 0.0 {
                    z + (-z).exp().ln_1p()
                } else {
                    z.exp().ln_1p()
                }) - t * z
            })
            .sum()
    };
    let (mut a, mut b) = (1.0f64, 0.0f64);
    let mut current = cost(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (x, y) in pairs {
            let x = *x as f64;
            let p = 1.0 / (1.0 + (-(a * x + b)).exp());
            let d = p - target(*y);
            let w = p * (1.0 - p);
            ga += d * x;
            gb += d;
            haa += w * x * x;
            hab += w * x;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-10 {
            let (na, nb) = (a - step * da, b - step * db);
            let next = cost(na, nb);
            if next <= current {
                (a, b, current, improved) = (na, nb, next, true);
                break;
            }
            step /= 2.0;
        }
        if !improved || (step * da).abs() < 1e-9 && (step * db).abs() < 1e-9 {
            break;
        }
    }
    (a as f32, b as f32)
}
