//! `shikaku bench`: every speed figure of the README but the API's (`scripts/load.sh`):
//! question embedding, retrieval and whole answers on the real knowledge base and on a
//! synthetic one of many passages built from its sentences, by words and by words and
//! meaning, for a question seen before and a new one; and the model (`bench llm`, in a
//! process of its own).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::assistant::{Assistant, Question};
use crate::embedding::{Embedder, Role, normalize};
use crate::knowledge::{Glossary, Kind};
use crate::llm::generate::XorShift;
use crate::llm::{DEFAULT_CONTEXT, Model, argmax};
use crate::search::index::fingerprint;
use crate::search::passage::passages;
use crate::search::vectors::Dense;
use crate::search::{Analyzer, Passage, SearchIndex, Vectors};
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

/// Times `f` once per question per repetition, after `before` (not timed); returns
/// (p50, p99).
fn latencies(
    questions: &[String],
    repetitions: usize,
    mut before: impl FnMut(),
    mut f: impl FnMut(&str),
) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(questions.len() * repetitions);
    for q in questions {
        f(q); // warm-up
    }
    for _ in 0..repetitions {
        for q in questions {
            before();
            let start = Instant::now();
            f(q);
            times.push(start.elapsed());
        }
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

/// Retrieval from `index` for a question seen before and for a new one.
fn retrieval_rows(out: &mut String, index: &SearchIndex, glossary: &Glossary, options: &Options) {
    let (what, new) = if index.has_vectors() {
        (
            "retrieval by words + meaning",
            "new question (embedding it)",
        )
    } else {
        ("retrieval by words", "new question")
    };
    let retrieve = |q: &str| {
        let exp = glossary.expansions(q);
        let _ = index.search(q, &exp, 8);
    };
    let (questions, repetitions) = (&options.questions, options.repetitions);
    let seen = latencies(questions, repetitions, || {}, retrieve);
    row(out, &format!("{what}, question seen before"), seen);
    let fresh = latencies(
        questions,
        repetitions,
        || index.forget_questions(),
        retrieve,
    );
    row(out, &format!("{what}, {new}"), fresh);
}

fn row(out: &mut String, what: &str, (p50, p99): (Duration, Duration)) {
    out.push_str(&format!(
        "  {what:<62} p50 {:>9}  p99 {:>9}\n",
        ms(p50),
        ms(p99)
    ));
}

/// Synthetic passages drawn from the real passages' sentences, with the sentences each
/// was made of (by position in the returned list of sentences).
fn synthetic(real: &[Passage], n: usize) -> (Vec<Passage>, Vec<Vec<usize>>, Vec<String>) {
    let sentences: Vec<String> = real
        .iter()
        .flat_map(|p| p.text.split_inclusive('。'))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let headings: Vec<&str> = real.iter().map(|p| p.heading_text.as_str()).collect();
    let mut rng = XorShift(0x5eed_cafe_f00d_d00d);
    let mut made_of = Vec::with_capacity(n);
    let passages = (0..n)
        .map(|i| {
            let count = 3 + rng.below(4);
            let picked: Vec<usize> = (0..count).map(|_| rng.below(sentences.len())).collect();
            let text: String = picked.iter().map(|&s| sentences[s].as_str()).collect();
            made_of.push(picked);
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
        .collect();
    (passages, made_of, sentences)
}

/// Meaning vectors for the synthetic passages without embedding 100,000 texts: each is
/// the normalised sum of the vectors of the sentences it was made of, which points where
/// the passage's meaning does. Each sentence is embedded once.
fn synthetic_vectors(
    embedder: &Embedder,
    made_of: &[Vec<usize>],
    sentences: &[String],
) -> Result<Vectors> {
    let dim = embedder.dim();
    let by_sentence = sentences
        .iter()
        .map(|s| embedder.passage(s))
        .collect::<Result<Vec<_>>>()?;
    let mut flat = Vec::with_capacity(made_of.len() * dim);
    for picked in made_of {
        let mut sum = vec![0.0f32; dim];
        for &s in picked {
            for (x, y) in sum.iter_mut().zip(&by_sentence[s]) {
                *x += y;
            }
        }
        normalize(&mut sum);
        flat.extend(sum);
    }
    Ok(Vectors::of_passages(dim, flat))
}

/// What the figures were measured with.
fn header(settings: &Settings, options: &Options) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let off = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map_or("off".to_string(), |p| p.display().to_string())
    };
    format!(
        "shikaku bench: {} build{}, {cpu}, {cores} cores; model {}, embedder {}; {} questions × {} repetitions\n",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        if cfg!(target_feature = "avx2") {
            " (native: AVX2)"
        } else {
            ""
        },
        off(&settings.model_path),
        off(&settings.embedder_path),
        options.questions.len(),
        options.repetitions
    )
}

/// `bench embedding`: the question embedding alone, each question embedded anew (quick
/// to profile: `perf record -g shikaku bench embedding`).
pub fn run_embedding(settings: &Settings, options: &Options) -> Result<String> {
    let mut out = header(settings, options);
    let start = Instant::now();
    let Some(embedder) = crate::startup::embedder(settings)? else {
        anyhow::bail!("no embedding model: set SHIKAKU_EMBEDDER to its file");
    };
    out.push_str(&format!("embedding model: load {}\n", ms(start.elapsed())));
    let query = latencies(
        &options.questions,
        options.repetitions,
        || {},
        |q| {
            let _ = embedder.query(q);
        },
    );
    row(&mut out, "question embedding (each embedded anew)", query);
    Ok(out)
}

pub fn run(settings: &Settings, options: &Options) -> Result<String> {
    let mut out = header(settings, options);
    let (kb, _) = settings.load_knowledge()?;
    let kb = Arc::new(kb);
    let start = Instant::now();
    let analyzer = Analyzer::load(&settings.dict_dir)?;
    out.push_str(&format!("dictionary load: {}\n", ms(start.elapsed())));
    let scratch = tempfile::tempdir()?;
    let (questions, repetitions) = (&options.questions, options.repetitions);

    let real = passages(&kb);
    let start = Instant::now();
    let embedder = crate::startup::embedder(settings)?.map(Arc::new);
    if let Some(e) = &embedder {
        let load = start.elapsed();
        let query = latencies(
            questions,
            repetitions,
            || {},
            |q| {
                let _ = e.query(q);
            },
        );
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
            "embedding model: load {}; {} passages ({tokens} tokens) in {:.2} s ({:.0} tokens/s); peak RSS so far {:.0} MB\n",
            ms(load),
            texts.len(),
            passages.as_secs_f64(),
            tokens as f64 / passages.as_secs_f64(),
            peak_rss_mb().unwrap_or(0.0)
        ));
        row(&mut out, "question embedding (each embedded anew)", query);
    }

    let glossary = &kb.glossary;
    let start = Instant::now();
    let words = SearchIndex::build(
        &real,
        &analyzer,
        None,
        &scratch.path().join("words"),
        "words",
    )?;
    let words_build = start.elapsed();
    let start = Instant::now();
    let index = SearchIndex::build(
        &real,
        &analyzer,
        embedder.as_ref(),
        &scratch.path().join("real"),
        &fingerprint(&kb),
    )?;
    out.push_str(&format!(
        "real knowledge base: {} passages; index build {} by words ({:.1} KiB), {} with meaning vectors\n",
        real.len(),
        ms(words_build),
        folder_size(&scratch.path().join("words")) as f64 / 1024.0,
        ms(start.elapsed()),
    ));
    retrieval_rows(&mut out, &words, glossary, options);
    if index.has_vectors() {
        retrieval_rows(&mut out, &index, glossary, options);
    }
    let assistant = Assistant::new(kb.clone(), index);
    let today = today_in_japan();
    let answer = |q: &str| {
        let question = Question::new(q, today).expect("the benchmark's questions are valid");
        let _ = assistant.answer(&question);
    };
    row(
        &mut out,
        "full answer (model off), question seen before",
        latencies(questions, repetitions, || {}, answer),
    );
    row(
        &mut out,
        "full answer (model off), new question",
        latencies(
            questions,
            repetitions,
            || assistant.forget_questions(),
            answer,
        ),
    );
    // The same with the answerability judge, when it is on.
    if let Some(judge) = crate::startup::judge(settings, embedder.as_deref())? {
        let assistant = assistant.judged_by(Some(Arc::new(judge)));
        let answer = |q: &str| {
            let question = Question::new(q, today).expect("the benchmark's questions are valid");
            let _ = assistant.answer(&question);
        };
        row(
            &mut out,
            "full answer with the judge (model off), question seen before",
            latencies(questions, repetitions, || {}, answer),
        );
        row(
            &mut out,
            "full answer with the judge (model off), new question",
            latencies(
                questions,
                repetitions,
                || assistant.forget_questions(),
                answer,
            ),
        );
        out.push_str(&format!(
            "peak RSS with the judge loaded: {:.0} MB\n",
            peak_rss_mb().unwrap_or(0.0)
        ));
    }

    if options.synthetic_passages > 0 {
        let (corpus, made_of, sentences) = synthetic(&real, options.synthetic_passages);
        let dir = scratch.path().join("synthetic");
        let start = Instant::now();
        let words = SearchIndex::build(&corpus, &analyzer, None, &dir, "synthetic")?;
        out.push_str(&format!(
            "synthetic: {} passages; index build {:.1} s, {:.1} MiB\n",
            corpus.len(),
            start.elapsed().as_secs_f64(),
            folder_size(&dir) as f64 / 1024.0 / 1024.0,
        ));
        retrieval_rows(&mut out, &words, glossary, options);
        drop(words);
        if let Some(e) = &embedder {
            let start = Instant::now();
            let vectors = synthetic_vectors(e, &made_of, &sentences)?;
            let dense = Dense::new(e.clone(), vectors);
            let hybrid = SearchIndex::build_with(
                &corpus,
                &analyzer,
                Some(dense),
                &scratch.path().join("hybrid"),
                "hybrid",
            )?;
            out.push_str(&format!(
                "synthetic with meaning vectors ({} sentences embedded, each passage the sum of its sentences'): {:.1} s\n",
                sentences.len(),
                start.elapsed().as_secs_f64()
            ));
            retrieval_rows(&mut out, &hybrid, glossary, options);
        }
    }
    out.push_str(&format!(
        "peak RSS of this benchmark: {:.0} MB\n",
        peak_rss_mb().unwrap_or(0.0)
    ));
    if let Some(model) = &settings.model_path {
        out.push_str(&model_in_own_process(settings, model)?);
    }
    Ok(out)
}

/// `shikaku bench llm` in a process of its own, so that its peak RSS is the model's alone.
fn model_in_own_process(settings: &Settings, model: &Path) -> Result<String> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .arg("--model")
        .arg(model)
        .arg("--knowledge")
        .arg(&settings.knowledge_dir)
        .args(["bench", "llm", "--repetitions", "3"])
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "bench llm failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
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
    let start = Instant::now();
    let mut prompt = model.tokenizer.encode(&text, true)?;
    let tokenizing = start.elapsed();
    let all_tokens = prompt.len();
    prompt.truncate(300);
    let threads = candle_core::utils::get_num_threads();
    let mut out = format!(
        "model {} ({}), {threads} threads, load {:.2} s; tokenizing the knowledge base ({} characters, {all_tokens} tokens): {}\n",
        model.name,
        path.display(),
        load.as_secs_f64(),
        text.chars().count(),
        ms(tokenizing)
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
