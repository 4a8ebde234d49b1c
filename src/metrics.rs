//! Counters and latency histograms, kept by `prometheus-client` and rendered at `/metrics` in
//! the Prometheus text format (version 0.0.4, `prometheus_text::CONTENT_TYPE`).

use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, prometheus_text};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::assistant::{Answer, DraftStats};

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AnswerLabels {
    outcome: &'static str,
    writer: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RatingLabels {
    rating: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The service's metrics. Each is a shared handle: the registry holds clones of them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    answers: Family<AnswerLabels, Counter>,
    answer_latency: Histogram,
    feedback: Family<RatingLabels, Counter>,
    help_ratings: Family<RatingLabels, Counter>,
    rate_limited: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::default();
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        let answers = Family::default();
        let answer_latency = latency_histogram();
        let feedback = Family::default();
        let help_ratings = Family::default();
        let rate_limited = Counter::default();
        // Names without the `_total` that a counter gets when encoded, help without the `.`
        // that the registry adds.
        let mut registry = Registry::default();
        registry.register(
            "shikaku_http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "shikaku_http_request_duration_seconds",
            "Time to the response head",
            latency.clone(),
        );
        registry.register(
            "shikaku_answers",
            "Answers by outcome and writer",
            answers.clone(),
        );
        registry.register(
            "shikaku_answer_duration_seconds",
            "Time to write and store an answer",
            answer_latency.clone(),
        );
        registry.register("shikaku_feedback", "Feedback on answers", feedback.clone());
        registry.register(
            "shikaku_help_ratings",
            "Users' ratings of a person's help, once their ticket was resolved",
            help_ratings.clone(),
        );
        registry.register(
            "shikaku_rate_limited",
            "Requests refused by the rate limit",
            rate_limited.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            answers,
            answer_latency,
            feedback,
            help_ratings,
            rate_limited,
        }
    }
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        let route = route.to_string();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
    }

    pub fn answer(&self, answer: &Answer, elapsed: Duration) {
        self.answers
            .get_or_create(&AnswerLabels {
                outcome: answer.outcome.as_str(),
                writer: answer.writer.as_str(),
            })
            .inc();
        self.answer_latency.observe(elapsed.as_secs_f64());
    }

    pub fn feedback(&self, rating: &str) {
        self.feedback
            .get_or_create(&RatingLabels {
                rating: rating.to_string(),
            })
            .inc();
    }

    pub fn help_rating(&self, rating: &str) {
        self.help_ratings
            .get_or_create(&RatingLabels {
                rating: rating.to_string(),
            })
            .inc();
    }

    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// The text exposition of everything counted, then of the model's drafts (counted by
    /// the assistant, so registered anew for each scrape).
    pub fn render(&self, drafts: &DraftStats, model: Option<&str>) -> String {
        let mut model_registry = Registry::default();
        model_registry.register(
            "shikaku_model_loaded",
            "Whether a language model writes drafts",
            ConstGauge::new(i64::from(model.is_some())),
        );
        model_registry.register(
            "shikaku_model_drafts_accepted",
            "Model drafts the verifier accepted",
            ConstCounter::new(drafts.written as u64),
        );
        let rejected = Family::<ReasonLabels, Counter>::default();
        for (&reason, &n) in &drafts.rejected {
            rejected
                .get_or_create(&ReasonLabels { reason })
                .inc_by(n as u64);
        }
        model_registry.register(
            "shikaku_model_drafts_rejected",
            "Model drafts the verifier rejected, by reason",
            rejected,
        );
        // The 0.0.4 text has no end marker: the two expositions follow each other.
        let mut out = String::new();
        for registry in [&self.registry, &model_registry] {
            prometheus_text::encode(&mut out, registry).expect("writing to a String");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::assistant::{Outcome, WriterKind};

    #[test]
    fn the_text_keeps_our_names_labels_and_buckets() {
        let metrics = Metrics::default();
        metrics.request("/api/v1/chat", 200, Duration::from_millis(30));
        metrics.request("/api/v1/chat", 200, Duration::from_millis(700));
        metrics.answer(
            &Answer {
                outcome: Outcome::Answered,
                answer: String::new(),
                citations: Vec::new(),
                confidence: 1.0,
                writer: WriterKind::Faq,
                handoff_reason: None,
                number_removed: false,
                understood_as: None,
                language: crate::assistant::Language::Ja,
            },
            Duration::from_millis(12),
        );
        metrics.feedback("down");
        metrics.rate_limited();
        let drafts = DraftStats {
            written: 3,
            rejected: BTreeMap::from([("ungrounded", 2)]),
        };
        let text = metrics.render(&drafts, Some("gemma"));
        for line in [
            "# HELP shikaku_http_requests_total HTTP requests by route and status.",
            "# TYPE shikaku_http_requests_total counter",
            r#"shikaku_http_requests_total{route="/api/v1/chat",status="200"} 2"#,
            "# HELP shikaku_http_request_duration_seconds Time to the response head.",
            "# TYPE shikaku_http_request_duration_seconds histogram",
            r#"shikaku_http_request_duration_seconds_bucket{route="/api/v1/chat",le="0.025"} 0"#,
            r#"shikaku_http_request_duration_seconds_bucket{route="/api/v1/chat",le="0.05"} 1"#,
            r#"shikaku_http_request_duration_seconds_bucket{route="/api/v1/chat",le="1"} 2"#,
            r#"shikaku_http_request_duration_seconds_bucket{route="/api/v1/chat",le="30"} 2"#,
            r#"shikaku_http_request_duration_seconds_bucket{route="/api/v1/chat",le="+Inf"} 2"#,
            r#"shikaku_http_request_duration_seconds_count{route="/api/v1/chat"} 2"#,
            r#"shikaku_answers_total{outcome="answered",writer="faq"} 1"#,
            r#"shikaku_answer_duration_seconds_bucket{le="0.01"} 0"#,
            r#"shikaku_answer_duration_seconds_bucket{le="0.025"} 1"#,
            "shikaku_answer_duration_seconds_count 1",
            r#"shikaku_feedback_total{rating="down"} 1"#,
            "shikaku_rate_limited_total 1",
            "# TYPE shikaku_model_loaded gauge",
            "shikaku_model_loaded 1",
            "shikaku_model_drafts_accepted_total 3",
            r#"shikaku_model_drafts_rejected_total{reason="ungrounded"} 2"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\nnot in\n{text}");
        }
        assert!(!text.contains("# EOF"), "{text}");
    }
}
