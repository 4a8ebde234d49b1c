//! Accepting connections: HTTP/1.1 on hyper, as `axum::serve` does, plus what it leaves
//! out — a time limit on reading a request's headers, so that clients that trickle them
//! (a byte every few seconds, "slowloris") cannot hold connections open, and a graceful
//! shutdown that waits for the connections being served.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower_service::Service;

/// How long a client may take to send a request's headers (from its connection, or the end
/// of its previous request); then the connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections waiting to be accepted at most (the kernel caps it at `somaxconn`). tokio's
/// `TcpListener::bind` asks for 1,024: a thousand widgets connecting at once overflowed it,
/// and the kernel's retries (after 1, 3, 7 s) made some wait seconds (`scripts/streams.sh`).
const BACKLOG: u32 = 4096;

/// Listens on `addr`.
pub fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As tokio's own bind: a restarted service takes its port back at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Serves `router` on `listener` until `stop` completes; then takes no new connection,
/// lets each open one finish its request in flight, and returns when all are closed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = stop_tx.send(true);
    });
    // Each connection holds a receiver; they are all gone when the last one closed.
    let (open_tx, open_rx) = tokio::sync::watch::channel(());
    let mut stopping = stop_rx.clone();
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopping.wait_for(|stop| *stop) => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            addr,
            router.clone(),
            stop_rx.clone(),
            open_rx.clone(),
        ));
    }
    drop(open_rx);
    drop(listener);
    open_tx.closed().await;
}

/// One connection, until the client closes it, its headers are too slow, or the service
/// stops (after the request in flight).
async fn connection(
    stream: tokio::net::TcpStream,
    addr: SocketAddr,
    router: Router,
    mut stop: tokio::sync::watch::Receiver<bool>,
    _open: tokio::sync::watch::Receiver<()>,
) {
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(ConnectInfo(addr));
        // A Router is always ready: no poll_ready needed.
        let mut router = router.clone();
        async move { Ok::<_, Infallible>(router.call(request).await.unwrap_or_else(|e| match e {})) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!("connection from {addr}: {e}");
            }
            return;
        }
        _ = stop.wait_for(|stop| *stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    if let Err(e) = conn.await {
        tracing::debug!("connection from {addr} while stopping: {e}");
    }
}
