//! A load run against a running `shikaku serve` over loopback.
//!
//! `cargo run --release --example load -- --url http://127.0.0.1:8080 --mode chat
//! --concurrency 16 --seconds 30` keeps 16 clients asking `/api/v1/chat` for 30 s and
//! prints requests/s and latency percentiles; `--mode stream` does the same with
//! `/api/v1/chat/stream`, reading each stream to its `done` event. Each client keeps one
//! conversation. Start the server with `SHIKAKU_RATE_LIMIT=0` (every client is 127.0.0.1).
//!
//! `--mode line` posts signed LINE webhook events instead (one LINE user per client) and
//! measures the webhook's acknowledgement; it also listens as LINE's API on `--sink`
//! (start the server with `SHIKAKU_LINE_API_URL=http://SINK`, `SHIKAKU_LINE_CHANNEL_SECRET`
//! = `--line-secret` and any access token) and reports when each answer arrived there.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    Chat,
    Stream,
    Line,
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
    /// `--mode line`: the channel secret the server was given
    #[arg(long, default_value = "bench-line-secret")]
    line_secret: String,
    /// `--mode line`: where to listen as LINE's API
    #[arg(long, default_value = "127.0.0.1:8091")]
    sink: std::net::SocketAddr,
}

/// When each LINE event was posted, and when its answer reached the sink (by reply token).
#[derive(Default)]
struct LineTimes {
    posted: HashMap<String, Instant>,
    answered: HashMap<String, Instant>,
}

/// Listens as LINE's Messaging API: notes when each reply arrives, answers 200.
fn start_line_sink(addr: std::net::SocketAddr, times: Arc<Mutex<LineTimes>>) {
    let (ready, listening) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .expect("binding --sink");
            ready.send(()).unwrap();
            let app = axum::Router::new().fallback(move |body: axum::body::Bytes| {
                let times = times.clone();
                async move {
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    if let Some(token) = v["replyToken"].as_str() {
                        times
                            .lock()
                            .unwrap()
                            .answered
                            .insert(token.to_string(), Instant::now());
                    }
                    axum::Json(json!({}))
                }
            });
            axum::serve(listener, app).await.unwrap();
        });
    });
    listening.recv().unwrap();
}

/// A signed LINE webhook request with one text event.
fn post_line(
    client: &reqwest::blocking::Client,
    args: &Args,
    user: &str,
    id: &str,
    question: &str,
) -> Result<(), String> {
    use base64::Engine;
    use hmac::Mac;
    let body = json!({"destination": "Ubench", "events": [{
        "type": "message", "mode": "active", "timestamp": 0, "webhookEventId": id,
        "deliveryContext": {"isRedelivery": false}, "replyToken": id,
        "source": {"type": "user", "userId": user},
        "message": {"type": "text", "id": id, "text": question},
    }]})
    .to_string();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(args.line_secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let r = client
        .post(format!("{}/channels/line/webhook", args.url))
        .header("content-type", "application/json")
        .header("x-line-signature", signature)
        .body(body)
        .send()
        .map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("status {}", r.status()));
    }
    Ok(())
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
        Mode::Line => unreachable!("LINE events are posted by post_line"),
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
    let line_times = Arc::new(Mutex::new(LineTimes::default()));
    if matches!(args.mode, Mode::Line) {
        start_line_sink(args.sink, line_times.clone());
    }
    // Event ids unique to this run: the service ignores an id it has seen (redelivery).
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|worker| {
            let (args, questions, tally) = (args.clone(), questions.clone(), tally.clone());
            let line_times = line_times.clone();
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
                    let result = match args.mode {
                        Mode::Line => {
                            let id = format!("bench-{run}-{worker}-{i}");
                            line_times.lock().unwrap().posted.insert(id.clone(), t);
                            post_line(&client, &args, &format!("Ubench{worker}"), &id, question)
                        }
                        _ => ask(&client, &args, &mut session, question),
                    };
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
        Mode::Line => "/channels/line/webhook (acknowledged)",
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
    if matches!(args.mode, Mode::Line) {
        report_line_answers(&line_times, &mut tally.errors);
    }
    for e in tally.errors.iter().take(5) {
        println!("  error: {e}");
    }
    if !tally.errors.is_empty() {
        std::process::exit(1);
    }
}

/// Waits (up to 60 s) for the answers still being written, then prints how long after its
/// event each answer reached LINE's API; a missing answer is an error.
fn report_line_answers(times: &Mutex<LineTimes>, errors: &mut Vec<String>) {
    let wait_until = Instant::now() + Duration::from_secs(60);
    loop {
        let t = times.lock().unwrap();
        if t.answered.len() >= t.posted.len() || Instant::now() > wait_until {
            break;
        }
        drop(t);
        std::thread::sleep(Duration::from_millis(100));
    }
    let t = times.lock().unwrap();
    let mut delays: Vec<Duration> = t
        .posted
        .iter()
        .filter_map(|(id, sent)| t.answered.get(id).map(|a| a.duration_since(*sent)))
        .collect();
    delays.sort();
    for id in t
        .posted
        .keys()
        .filter(|id| !t.answered.contains_key(*id))
        .take(5)
    {
        errors.push(format!("no answer reached the API for {id}"));
    }
    println!(
        "answers at LINE's API: {} of {}, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        delays.len(),
        t.posted.len(),
        percentile(&delays, 0.50).as_secs_f64() * 1e3,
        percentile(&delays, 0.99).as_secs_f64() * 1e3,
        delays.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}
