//! Counters and latency histograms, rendered in the Prometheus text format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use crate::assistant::{Answer, DraftStats};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    answers: BTreeMap<(String, String), u64>,
    answer_latency: Histogram,
    feedback: BTreeMap<String, u64>,
    rate_limited: u64,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        self.with(|m| {
            *m.requests.entry((route.to_string(), status)).or_default() += 1;
            m.latency
                .entry(route.to_string())
                .or_default()
                .observe(elapsed.as_secs_f64());
        });
    }

    pub fn answer(&self, answer: &Answer, elapsed: Duration) {
        self.with(|m| {
            *m.answers
                .entry((
                    answer.outcome.as_str().to_string(),
                    answer.writer.as_str().to_string(),
                ))
                .or_default() += 1;
            m.answer_latency.observe(elapsed.as_secs_f64());
        });
    }

    pub fn feedback(&self, rating: &str) {
        self.with(|m| *m.feedback.entry(rating.to_string()).or_default() += 1);
    }

    pub fn rate_limited(&self) {
        self.with(|m| m.rate_limited += 1);
    }

    /// The Prometheus text exposition of everything counted, plus the model's drafts.
    pub fn render(&self, drafts: &DraftStats, model: Option<&str>) -> String {
        let mut out = String::new();
        self.with(|m| {
            family(
                &mut out,
                "shikaku_http_requests_total",
                "counter",
                "HTTP requests by route and status.",
            );
            for ((route, status), n) in &m.requests {
                let _ = writeln!(
                    out,
                    "shikaku_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
            family(
                &mut out,
                "shikaku_http_request_duration_seconds",
                "histogram",
                "Time to the response head.",
            );
            for (route, h) in &m.latency {
                write_histogram(
                    &mut out,
                    "shikaku_http_request_duration_seconds",
                    &format!("route=\"{route}\","),
                    h,
                );
            }
            family(
                &mut out,
                "shikaku_answers_total",
                "counter",
                "Answers by outcome and writer.",
            );
            for ((outcome, writer), n) in &m.answers {
                let _ = writeln!(
                    out,
                    "shikaku_answers_total{{outcome=\"{outcome}\",writer=\"{writer}\"}} {n}"
                );
            }
            family(
                &mut out,
                "shikaku_answer_duration_seconds",
                "histogram",
                "Time to write and store an answer.",
            );
            write_histogram(
                &mut out,
                "shikaku_answer_duration_seconds",
                "",
                &m.answer_latency,
            );
            family(
                &mut out,
                "shikaku_feedback_total",
                "counter",
                "Feedback on answers.",
            );
            for (rating, n) in &m.feedback {
                let _ = writeln!(out, "shikaku_feedback_total{{rating=\"{rating}\"}} {n}");
            }
            family(
                &mut out,
                "shikaku_rate_limited_total",
                "counter",
                "Requests refused by the rate limit.",
            );
            let _ = writeln!(out, "shikaku_rate_limited_total {}", m.rate_limited);
        });
        family(
            &mut out,
            "shikaku_model_loaded",
            "gauge",
            "Whether a language model writes drafts.",
        );
        let _ = writeln!(out, "shikaku_model_loaded {}", u8::from(model.is_some()));
        family(
            &mut out,
            "shikaku_model_drafts_accepted_total",
            "counter",
            "Model drafts the verifier accepted.",
        );
        let _ = writeln!(
            out,
            "shikaku_model_drafts_accepted_total {}",
            drafts.written
        );
        family(
            &mut out,
            "shikaku_model_drafts_rejected_total",
            "counter",
            "Model drafts the verifier rejected, by reason.",
        );
        for (reason, n) in &drafts.rejected {
            let _ = writeln!(
                out,
                "shikaku_model_drafts_rejected_total{{reason=\"{reason}\"}} {n}"
            );
        }
        out
    }
}

/// The `# HELP` and `# TYPE` lines that open a metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn write_histogram(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    for (bound, count) in BUCKETS.iter().zip(h.counts.iter()) {
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", h.count);
    let labels = labels.trim_end_matches(',');
    let braces = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(out, "{name}_sum{braces} {}", h.sum);
    let _ = writeln!(out, "{name}_count{braces} {}", h.count);
}
