//! What wraps every request: a request id, a log line, metrics; and the per-client rate
//! limit on the endpoints that make the assistant work.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::Quota;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use tracing::Instrument;

use super::AppState;
use super::error::ApiError;
use crate::copy::{self, Key};

const REQUEST_ID: &str = "x-request-id";

/// A request id from the caller (a proxy's) when it looks like one, or a new one. One that
/// holds a 12-digit number is not taken: it would be logged.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !crate::text::privacy::holds_number(v)
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Request id, a structured log line per request, and request metrics by route.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = request_id(&req);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| tracing::info!(status, elapsed_ms = elapsed.as_secs_f64() * 1e3, "request"));
    state
        .conversations
        .metrics()
        .request(&route, status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// 422 for a URL whose path or query holds a control character once its %-escapes are
/// decoded (`/api/v1/sessions/%00/messages`, `?q=%00`): no handler, and so no database
/// (PostgreSQL cannot even store a NUL), ever sees one.
pub async fn no_control_in_url(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let decoded = percent_decoded(uri.path()) + &percent_decoded(uri.query().unwrap_or(""));
    if decoded.chars().any(char::is_control) {
        return ApiError::invalid("invalid_request", copy::ja(Key::ControlInUrl)).into_response();
    }
    next.run(req).await
}

/// A URL's path or query with its %-escapes decoded (bytes that are no UTF-8 as U+FFFD).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Requests other than streams must be answered within this.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// 503 with a JSON error when a request takes longer than [`REQUEST_TIMEOUT`]. An answer
/// being written goes on and is stored, so the user finds it in the transcript.
pub async fn time_limit(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::timed_out().into_response(),
    }
}

/// The client's address: the socket's peer, or, behind N trusted reverse proxies, the
/// `X-Forwarded-For` entry the outermost of them appended — the N-th from the right. The
/// entries left of it are whatever the client wrote, so they are never taken.
fn client(state: &AppState, req: &Request) -> Option<IpAddr> {
    let proxies = state.settings.trusted_proxies;
    if proxies > 0 {
        let entries: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        if let Some(ip) = entries
            .len()
            .checked_sub(proxies)
            .and_then(|i| entries[i].parse().ok())
        {
            return Some(ip);
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// 429 with `Retry-After` when a client has used up its requests.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(ip) = client(&state, &req)
        && let Err(wait) = state.limiter.check(ip)
    {
        state.conversations.metrics().rate_limited();
        let seconds = wait.as_secs() + 1;
        let mut response = ApiError::too_many_requests(seconds).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return response;
    }
    next.run(req).await
}

/// Event streams open at once: in all, and per client address. A stream holds its slot
/// until the client or the service closes it; one over either cap is a 429.
pub struct StreamSlots {
    total: usize,
    per_client: usize,
    open: std::sync::Mutex<(usize, std::collections::HashMap<IpAddr, usize>)>,
}

/// One open stream's slot, given back when dropped.
pub struct StreamSlot {
    slots: std::sync::Arc<StreamSlots>,
    client: IpAddr,
}

impl StreamSlots {
    pub fn new(total: usize, per_client: usize) -> Self {
        StreamSlots {
            total,
            per_client,
            open: std::sync::Mutex::default(),
        }
    }

    /// A slot for a stream of `client`, or `None` when a cap is reached.
    pub fn open(self: &std::sync::Arc<Self>, client: IpAddr) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (all, clients) = &mut *open;
        let mine = clients.entry(client).or_insert(0);
        if *all >= self.total || *mine >= self.per_client {
            if *mine == 0 {
                clients.remove(&client);
            }
            return None;
        }
        *mine += 1;
        *all += 1;
        Some(StreamSlot {
            slots: self.clone(),
            client,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        let (all, clients) = &mut *open;
        *all -= 1;
        if let Some(mine) = clients.get_mut(&self.client) {
            *mine -= 1;
            if *mine == 0 {
                clients.remove(&self.client);
            }
        }
    }
}

/// Streams hold a slot of [`StreamSlots`] for as long as their body is being sent; over a
/// cap, 429 with `Retry-After`.
pub async fn stream_slot(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let client = client(&state, &req).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let Some(slot) = state.streams.open(client) else {
        tracing::warn!(%client, "an event stream was refused: too many open");
        let mut response = ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "too_many_streams",
            copy::ja(Key::TooManyStreams),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(30));
        return response;
    };
    let response = next.run(req).await;
    response.map(|body| {
        use tokio_stream::StreamExt;
        axum::body::Body::from_stream(body.into_data_stream().map(move |chunk| {
            let _held = &slot;
            chunk
        }))
    })
}

/// Per client address, `per_minute` requests a minute: a burst of that many, refilled
/// evenly (one every `60 / per_minute` seconds); 0 turns the limit off. `governor`'s keyed
/// GCRA limiter, which is that token bucket kept as one timestamp per client.
pub struct RateLimiter<C: Clock = DefaultClock> {
    clients: Option<Keyed<C>>,
}

type Keyed<C> = governor::RateLimiter<
    IpAddr,
    DefaultKeyedStateStore<IpAddr>,
    C,
    NoOpMiddleware<<C as Clock>::Instant>,
>;

/// Past this many clients, those whose allowance is full again are forgotten.
const CLIENTS_KEPT: usize = 10_000;

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    fn with_clock(per_minute: u32, clock: C) -> Self {
        RateLimiter {
            clients: NonZeroU32::new(per_minute)
                .map(|n| governor::RateLimiter::hashmap_with_clock(Quota::per_minute(n), clock)),
        }
    }

    /// Takes a request from the client's allowance, or says how long until one is available.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let Some(clients) = &self.clients else {
            return Ok(());
        };
        if clients.len() > CLIENTS_KEPT {
            clients.retain_recent();
        }
        clients
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(clients.clock().now()))
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits_for_refill() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(3, clock.clone());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(ip).is_ok());
        }
        let wait = limiter.check(ip).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        // Another client is not affected; after 20 s one more request is allowed.
        assert!(limiter.check(other).is_ok());
        clock.advance(Duration::from_secs(20));
        assert!(limiter.check(ip).is_ok());
        assert!(limiter.check(ip).is_err());
    }

    #[test]
    fn escapes_are_decoded_before_control_characters_are_looked_for() {
        assert_eq!(percent_decoded("/a%00b"), "/a\0b");
        assert_eq!(percent_decoded("q=%E7%B7%A0%E5%88%87"), "q=締切");
        assert_eq!(percent_decoded("%C2%85"), "\u{85}");
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(percent_decoded("%zz%4"), "%zz%4");
    }

    #[test]
    fn streams_are_capped_per_client_and_in_all() {
        let slots = std::sync::Arc::new(StreamSlots::new(3, 2));
        let (a, b, c): (IpAddr, IpAddr, IpAddr) = (
            "192.0.2.1".parse().unwrap(),
            "192.0.2.2".parse().unwrap(),
            "192.0.2.3".parse().unwrap(),
        );
        let a1 = slots.open(a).unwrap();
        let _a2 = slots.open(a).unwrap();
        assert!(slots.open(a).is_none(), "two per client");
        let _b1 = slots.open(b).unwrap();
        assert!(slots.open(c).is_none(), "three in all");
        drop(a1);
        assert!(
            slots.open(c).is_some(),
            "a closed stream gives its slot back"
        );
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = RateLimiter::new(0);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..1000 {
            assert!(limiter.check(ip).is_ok());
        }
    }

    #[test]
    fn idle_clients_are_forgotten_once_there_are_many() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(3, clock.clone());
        let busy: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(busy).is_ok());
        }
        for n in 0..CLIENTS_KEPT as u32 {
            assert!(limiter.check(IpAddr::from(n.to_be_bytes())).is_ok());
        }
        let clients = limiter.clients.as_ref().unwrap();
        assert_eq!(clients.len(), CLIENTS_KEPT + 1);
        // 40 s later the allowances of the clients that made one request are full again,
        // the busy one's is not: the next check forgets the former.
        clock.advance(Duration::from_secs(40));
        assert!(limiter.check("192.0.2.2".parse().unwrap()).is_ok());
        assert_eq!(clients.len(), 2);
    }
}
