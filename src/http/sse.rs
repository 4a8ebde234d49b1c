//! Server-Sent Events: named events with JSON data, keep-alive comments so that proxies
//! keep the connection open, and no caching or buffering on the way.

use std::convert::Infallible;
use std::time::Duration;

use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;

/// Streams send a comment this often.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn event(name: &str, data: serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// The events `rx` receives, until its senders are gone.
pub fn response(rx: UnboundedReceiver<Event>) -> Response {
    let stream = UnboundedReceiverStream::new(rx).map(Ok::<_, Infallible>);
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")),
    )
        .into_response()
}
