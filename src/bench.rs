//! `shikaku bench`: retrieval latency, index build time and index size, on the real
//! knowledge base and on a synthetic one of many passages built from its sentences.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::assistant::{Assistant, Question};
use crate::embedding::Role;
use crate::knowledge::Kind;
use crate::llm::generate::XorShift;
use crate::llm::{DEFAULT_CONTEXT, Model, argmax};
use crate::search::index::{fingerprint, passages};
use crate::search::{Analyzer, Passage, SearchIndex};
use crate::settings::Settings;
use crate::text::clock::today_in_japan;

pub struct Options {
    pub questions: Vec<String>,
    pub synthetic_passages: usize,
    pub repetitions: usize,
}

/// Size of a folder's files, in bytes.
pub fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        folder_size(&p)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Times `f` once per question per repetition; returns (p50, p99).
fn latencies(
    questions: &[String],
    repetitions: usize,
    mut f: impl FnMut(&str),
) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(questions.len() * repetitions);
    for q in questions {
        f(q); // warm-up
    }
    for _ in 0..repetitions {
        for q in questions {
            let start = Instant::now();
            f(q);
            times.push(start.elapsed());
        }
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn synthetic(real: &[Passage], n: usize) -> Vec<Passage> {
    let sentences: Vec<&str> = real
        .iter()
        .flat_map(|p| p.text.split_inclusive('。'))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let headings: Vec<&str> = real.iter().map(|p| p.heading_text.as_str()).collect();
    let mut rng = XorShift(0x5eed_cafe_f00d_d00d);
    (0..n)
        .map(|i| {
            let count = 3 + rng.below(4);
            let text: String = (0..count)
                .map(|_| sentences[rng.below(sentences.len())])
                .collect();
            Passage {
                doc_id: format!("synthetic-{i}"),
                section_id: Some("body".into()),
                kind: Kind::Notice,
                title: format!("合成文書 {i}"),
                section: Some("本文".into()),
                heading_text: headings[rng.below(headings.len())]
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
                questions: String::new(),
                text,
                english: String::new(),
            }
        })
        .collect()
}

pub fn run(settings: &Settings, options: &Options) -> Result<String> {
    let mut out = String::new();
    let (kb, _) = settings.load_knowledge()?;
    let start = Instant::now();
    let analyzer = Analyzer::load(&settings.dict_dir)?;
    out.push_str(&format!("dictionary load: {}\n", ms(start.elapsed())));
    let scratch = tempfile::tempdir()?;

    let real = passages(&kb);
    let start = Instant::now();
    let embedder = crate::startup::embedder(settings)?.map(std::sync::Arc::new);
    if let Some(e) = &embedder {
        let load = start.elapsed();
        let (q50, q99) = latencies(&options.questions, options.repetitions, |q| {
            let _ = e.query(q);
        });
        let texts: Vec<String> = real
            .iter()
            .map(|p| format!("{}\n{}", p.questions, p.text))
            .collect();
        let tokens: usize = texts
            .iter()
            .map(|t| e.token_count(t, Role::Passage).unwrap_or(0))
            .sum();
        let start = Instant::now();
        for t in &texts {
            e.passage(t)?;
        }
        let passages = start.elapsed();
        out.push_str(&format!(
            "embedding model: load {}, query p50 {} p99 {}, {} passages ({tokens} tokens) in {:.2} s ({:.0} tokens/s), peak RSS {:.0} MB\n",
            ms(load),
            ms(q50),
            ms(q99),
            texts.len(),
            passages.as_secs_f64(),
            tokens as f64 / passages.as_secs_f64(),
            peak_rss_mb().unwrap_or(0.0)
        ));
    }
    let start = Instant::now();
    let index = SearchIndex::build(
        &real,
        &analyzer,
        embedder.as_ref(),
        &scratch.path().join("real"),
        &fingerprint(&kb),
    )?;
    let build = start.elapsed();
    let size = folder_size(&scratch.path().join("real"));
    let (p50, p99) = latencies(&options.questions, options.repetitions, |q| {
        let exp = kb.glossary.expansions(q);
        let _ = index.search(q, &exp, 8);
    });
    out.push_str(&format!(
        "real knowledge base: {} passages, build {} (with meaning vectors: {}), index {:.1} KiB, retrieval p50 {} p99 {}\n",
        real.len(),
        ms(build),
        index.has_vectors(),
        size as f64 / 1024.0,
        ms(p50),
        ms(p99)
    ));
    let assistant = Assistant::new(std::sync::Arc::new(kb), index);
    let today = today_in_japan();
    let (a50, a99) = latencies(&options.questions, options.repetitions, |q| {
        let _ = assistant.answer(&Question::new(q, today));
    });
    out.push_str(&format!(
        "real knowledge base: full answer p50 {} p99 {}\n",
        ms(a50),
        ms(a99)
    ));

    if options.synthetic_passages > 0 {
        let corpus = synthetic(&real, options.synthetic_passages);
        let dir = scratch.path().join("synthetic");
        let start = Instant::now();
        let index = SearchIndex::build(&corpus, &analyzer, None, &dir, "synthetic")?;
        let build = start.elapsed();
        let size = folder_size(&dir);
        let glossary = &assistant.knowledge().glossary;
        let (p50, p99) = latencies(&options.questions, options.repetitions, |q| {
            let exp = glossary.expansions(q);
            let _ = index.search(q, &exp, 8);
        });
        out.push_str(&format!(
            "synthetic: {} passages, build {:.1} s, index {:.1} MiB, retrieval p50 {} p99 {}\n",
            corpus.len(),
            build.as_secs_f64(),
            size as f64 / 1024.0 / 1024.0,
            ms(p50),
            ms(p99)
        ));
    }
    Ok(out)
}

/// Peak resident memory of this process so far (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `shikaku bench llm`: model load time, prompt tokens/s for a 300-token prompt, time to
/// first token, generation tokens/s for 64 tokens after it, peak RSS.
pub fn run_llm(settings: &Settings, repetitions: usize) -> Result<String> {
    let path = settings
        .model_path
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the model is off; pass --model PATH"))?;
    crate::integrity::check_model_file(path)?;
    let start = Instant::now();
    let model = Model::load(path, DEFAULT_CONTEXT)?;
    let load = start.elapsed();
    // A real prompt: knowledge-base text, cut to exactly 300 tokens.
    let (kb, _) = settings.load_knowledge()?;
    let text: String = passages(&kb)
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut prompt = model.tokenizer.encode(&text, true)?;
    prompt.truncate(300);
    let threads = candle_core::utils::get_num_threads();
    let mut out = format!(
        "model {} ({}), {threads} threads, load {:.2} s\n",
        model.name,
        path.display(),
        load.as_secs_f64()
    );
    let (mut prefill, mut first, mut decode) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..repetitions.max(1) {
        let mut cache = model.gemma.new_cache()?;
        let start = Instant::now();
        let logits = model.gemma.forward(&prompt, &mut cache)?;
        let mut next = argmax(&logits);
        prefill.push(start.elapsed());
        first.push(start.elapsed());
        let start = Instant::now();
        for _ in 0..64 {
            next = argmax(&model.gemma.forward(&[next], &mut cache)?);
        }
        decode.push(start.elapsed());
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (p, f, d) = (
        median(&mut prefill),
        median(&mut first),
        median(&mut decode),
    );
    out.push_str(&format!(
        "prompt {} tokens: {:.0} tok/s; time to first token {}; generation 64 tokens: {:.1} tok/s; peak RSS {:.0} MB\n",
        prompt.len(),
        prompt.len() as f64 / p.as_secs_f64(),
        ms(f),
        64.0 / d.as_secs_f64(),
        peak_rss_mb().unwrap_or(0.0)
    ));
    Ok(out)
}
