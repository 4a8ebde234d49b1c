//! Generation on a worker thread that owns the model.
//!
//! Jobs wait in a bounded queue; when it is full, [`Generator::submit`] says so at once and
//! the caller answers without the model instead of waiting. Tokens stream back as they are
//! decoded; a caller that drops its receiver cancels its job at the next token.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Model, argmax};

#[derive(Debug, Clone)]
pub enum Sampling {
    Greedy,
    /// Top-k first (sorting all 262k logits each step is slow), then top-p, at a temperature.
    TopKTopP {
        k: usize,
        p: f32,
        temperature: f32,
        seed: u64,
    },
}

#[derive(Debug, Clone)]
pub struct Params {
    pub max_tokens: usize,
    /// Generation ends where one of these appears (it is not part of the text).
    pub stop: Vec<String>,
    pub sampling: Sampling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Eos,
    StopSequence,
    Budget,
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    pub tokens: usize,
    pub stop: StopReason,
    pub time_to_first_token: Duration,
    pub elapsed: Duration,
}

pub enum Event {
    Token(String),
    Done(anyhow::Result<Generation>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error("the model's queue is full")]
    Busy,
    #[error("the model worker has stopped")]
    Stopped,
}

struct Job {
    prompt: String,
    params: Params,
    events: std::sync::mpsc::Sender<Event>,
}

pub struct Generator {
    jobs: Option<SyncSender<Job>>,
    worker: Option<JoinHandle<()>>,
    /// The loaded model's name, for status reports.
    pub model_name: String,
    pub context: usize,
}

impl Generator {
    /// Starts the worker; at most `queue` jobs wait behind the running one.
    pub fn start(model: Model, queue: usize) -> Generator {
        let (tx, rx) = sync_channel::<Job>(queue);
        let model_name = model.name.clone();
        let context = model.gemma.config.context;
        let worker = std::thread::Builder::new()
            .name("shikaku-llm".into())
            .spawn(move || {
                for job in rx {
                    let result = run(&model, &job.prompt, &job.params, &job.events);
                    let _ = job.events.send(Event::Done(result));
                }
            })
            .expect("spawning the model worker");
        Generator {
            jobs: Some(tx),
            worker: Some(worker),
            model_name,
            context,
        }
    }

    /// Queues a job; its events arrive on the returned receiver.
    pub fn submit(&self, prompt: String, params: Params) -> Result<Receiver<Event>, SubmitError> {
        let (events, rx) = std::sync::mpsc::channel();
        let jobs = self.jobs.as_ref().ok_or(SubmitError::Stopped)?;
        match jobs.try_send(Job {
            prompt,
            params,
            events,
        }) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => Err(SubmitError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(SubmitError::Stopped),
        }
    }

    /// Submits and waits for the whole text.
    pub fn generate(&self, prompt: String, params: Params) -> anyhow::Result<Generation> {
        self.generate_streaming(prompt, params, &mut |_| {})
    }

    /// Submits, hands each decoded piece to `on_token` as it comes, and returns the whole.
    pub fn generate_streaming(
        &self,
        prompt: String,
        params: Params,
        on_token: &mut dyn FnMut(&str),
    ) -> anyhow::Result<Generation> {
        let rx = self.submit(prompt, params)?;
        for event in rx {
            match event {
                Event::Token(piece) => on_token(&piece),
                Event::Done(result) => return result,
            }
        }
        anyhow::bail!("the model worker stopped before finishing")
    }
}

impl Drop for Generator {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn run(
    model: &Model,
    prompt: &str,
    params: &Params,
    events: &std::sync::mpsc::Sender<Event>,
) -> anyhow::Result<Generation> {
    let start = Instant::now();
    let ids = model.tokenizer.encode(prompt, true)?;
    let context = model.gemma.config.context;
    if ids.len() + params.max_tokens > context {
        anyhow::bail!(
            "prompt of {} tokens plus {} to generate exceeds the context of {context}",
            ids.len(),
            params.max_tokens
        );
    }
    let mut cache = model.gemma.new_cache()?;
    let mut logits = model.gemma.forward(&ids, &mut cache)?;
    let mut rng = match &params.sampling {
        Sampling::TopKTopP { seed, .. } => XorShift(seed.max(&1).to_owned()),
        Sampling::Greedy => XorShift(1),
    };
    let mut generated: Vec<u32> = Vec::new();
    let mut sent = 0; // bytes of the decoded text already sent
    let mut first_token = None;
    let mut stop = StopReason::Budget;
    let mut text = String::new();
    while generated.len() < params.max_tokens {
        let next = match &params.sampling {
            Sampling::Greedy => argmax(&logits),
            Sampling::TopKTopP {
                k, p, temperature, ..
            } => sample(&logits, *k, *p, *temperature, &mut rng),
        };
        first_token.get_or_insert_with(|| start.elapsed());
        if next == model.tokenizer.eos {
            stop = StopReason::Eos;
            break;
        }
        generated.push(next);
        text = model.tokenizer.decode(&generated)?;
        if let Some(cut) = params
            .stop
            .iter()
            .filter_map(|s| text.find(s.as_str()))
            .min()
        {
            text.truncate(cut);
            if cut > sent {
                let _ = events.send(Event::Token(text[sent..].to_string()));
            }
            stop = StopReason::StopSequence;
            break;
        }
        // A character split over byte tokens waits until it is whole.
        if !text.ends_with('\u{fffd}') && text.len() > sent {
            if events.send(Event::Token(text[sent..].to_string())).is_err() {
                stop = StopReason::Cancelled;
                break;
            }
            sent = text.len();
        }
        if generated.len() < params.max_tokens {
            logits = model.gemma.forward(&[next], &mut cache)?;
        }
    }
    Ok(Generation {
        text,
        prompt_tokens: ids.len(),
        tokens: generated.len(),
        stop,
        time_to_first_token: first_token.unwrap_or_default(),
        elapsed: start.elapsed(),
    })
}

/// A small deterministic generator: seeded sampling, and the benchmark's synthetic corpus.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Top-k, then top-p over those k, at `temperature`.
fn sample(logits: &[f32], k: usize, p: f32, temperature: f32, rng: &mut XorShift) -> u32 {
    let k = k.clamp(1, logits.len());
    let mut idx: Vec<usize> = (0..logits.len()).collect();
    idx.select_nth_unstable_by(k - 1, |a, b| logits[*b].total_cmp(&logits[*a]));
    idx.truncate(k);
    idx.sort_by(|a, b| logits[*b].total_cmp(&logits[*a]));
    let t = temperature.max(1e-4);
    let max = logits[idx[0]];
    let weights: Vec<f32> = idx.iter().map(|&i| ((logits[i] - max) / t).exp()).collect();
    let total: f32 = weights.iter().sum();
    let mut kept = 0;
    let mut mass = 0.0;
    for w in &weights {
        kept += 1;
        mass += w / total;
        if mass >= p {
            break;
        }
    }
    let kept_total: f32 = weights[..kept].iter().sum();
    let mut r = rng.unit() * kept_total;
    for (i, w) in weights[..kept].iter().enumerate() {
        r -= w;
        if r <= 0.0 {
            return idx[i] as u32;
        }
    }
    idx[kept - 1] as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_one_is_greedy() {
        let logits = [0.1, 3.0, 2.9, -1.0];
        let mut rng = XorShift(7);
        for _ in 0..20 {
            assert_eq!(sample(&logits, 1, 1.0, 1.0, &mut rng), 1);
        }
    }

    #[test]
    fn top_p_keeps_only_the_nucleus() {
        // The best token has nearly all the mass: p = 0.5 keeps it alone.
        let logits = [0.0, 10.0, 1.0, 2.0];
        let mut rng = XorShift(42);
        for _ in 0..50 {
            assert_eq!(sample(&logits, 3, 0.5, 1.0, &mut rng), 1);
        }
        // With a high temperature and p = 1, other tokens of the top k appear.
        let seen: std::collections::HashSet<u32> = (0..200)
            .map(|_| sample(&logits, 3, 1.0, 50.0, &mut rng))
            .collect();
        assert!(seen.len() > 1 && !seen.contains(&0), "{seen:?}");
    }
}
