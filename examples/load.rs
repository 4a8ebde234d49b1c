//! A load run against a running `shikaku serve` over loopback.
//!
//! `cargo run --release --example load -- --url http://127.0.0.1:8080 --mode chat
//! --concurrency 16 --seconds 30` keeps 16 clients asking `/api/v1/chat` for 30 s and
//! prints requests/s and latency percentiles; `--mode stream` does the same with
//! `/api/v1/chat/stream`, reading each stream to its `done` event. Each client keeps one
//! conversation. Start the server with `SHIKAKU_RATE_LIMIT=0` (every client is 127.0.0.1).

use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    Chat,
    Stream,
}

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, value_enum, default_value_t = Mode::Chat)]
    mode: Mode,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Questions to cycle through (JSON Lines with "question")
    #[arg(long, default_value = "../shared/eval/dev.jsonl")]
    questions: std::path::PathBuf,
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: Vec<String>,
}

/// One question; the error says what went wrong.
fn ask(
    client: &reqwest::blocking::Client,
    args: &Args,
    session: &mut Option<String>,
    question: &str,
) -> Result<(), String> {
    let mut body = json!({ "message": question });
    if let Some(s) = session {
        body["session_id"] = json!(s);
    }
    match args.mode {
        Mode::Chat => {
            let r = client
                .post(format!("{}/api/v1/chat", args.url))
                .json(&body)
                .send()
                .map_err(|e| e.to_string())?;
            if !r.status().is_success() {
                return Err(format!("status {}", r.status()));
            }
            let v: Value = r.json().map_err(|e| e.to_string())?;
            *session = v["session_id"].as_str().map(str::to_string);
            Ok(())
        }
        Mode::Stream => {
            let r = client
                .post(format!("{}/api/v1/chat/stream", args.url))
                .json(&body)
                .send()
                .map_err(|e| e.to_string())?;
            if !r.status().is_success() {
                return Err(format!("status {}", r.status()));
            }
            let mut event = String::new();
            for line in BufReader::new(r).lines() {
                let line = line.map_err(|e| e.to_string())?;
                if let Some(name) = line.strip_prefix("event:") {
                    event = name.trim().to_string();
                } else if let Some(data) = line.strip_prefix("data:") {
                    let v: Value = serde_json::from_str(data.trim()).map_err(|e| e.to_string())?;
                    match event.as_str() {
                        "session" => *session = v["session_id"].as_str().map(str::to_string),
                        "done" => return Ok(()),
                        "error" => return Err(format!("error event {v}")),
                        _ => {}
                    }
                }
            }
            Err("the stream ended before `done`".into())
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    let args = Arc::new(Args::parse());
    let questions: Arc<Vec<String>> = Arc::new(
        std::fs::read_to_string(&args.questions)
            .expect("reading the questions")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str::<Value>(l).expect("a JSON line")["question"]
                    .as_str()
                    .expect("\"question\"")
                    .to_string()
            })
            .collect(),
    );
    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|worker| {
            let (args, questions, tally) = (args.clone(), questions.clone(), tally.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .no_proxy()
                    .timeout(Duration::from_secs(120))
                    .build()
                    .unwrap();
                let mut session = None;
                let mut i = worker;
                while Instant::now() < deadline {
                    let question = &questions[i % questions.len()];
                    i += 1;
                    let t = Instant::now();
                    let result = ask(&client, &args, &mut session, question);
                    let mut tally = tally.lock().unwrap();
                    match result {
                        Ok(()) => tally.latencies.push(t.elapsed()),
                        Err(e) => tally.errors.push(e),
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut tally = tally.lock().unwrap();
    tally.latencies.sort();
    let mode = match args.mode {
        Mode::Chat => "/api/v1/chat",
        Mode::Stream => "/api/v1/chat/stream",
    };
    println!(
        "{mode}: {} clients, {elapsed:.1} s: {} answered, {} errors, {:.1} requests/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        args.concurrency,
        tally.latencies.len(),
        tally.errors.len(),
        tally.latencies.len() as f64 / elapsed,
        percentile(&tally.latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&tally.latencies, 0.99).as_secs_f64() * 1e3,
        tally
            .latencies
            .last()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3,
    );
    for e in tally.errors.iter().take(5) {
        println!("  error: {e}");
    }
    if !tally.errors.is_empty() {
        std::process::exit(1);
    }
}
