//! One HTTP/1.1 connection: headers must arrive within a time limit (which also bounds how long
//! an idle keep-alive connection is kept), headers are bounded in size and number, and the
//! connection finishes its request and closes when shutdown begins.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use runtime::CancellationToken;
use tokio::net::TcpStream;
use tower::ServiceExt;

use crate::access::ClientAddr;

/// Limits of one connection.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Time for a client to send a request's headers, and the longest idle keep-alive.
    pub header_read_timeout: Duration,
    /// Largest header block, in bytes.
    pub max_header_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 32 * 1024,
        }
    }
}

/// Serves one connection until it closes or `shutdown` (then finishes the request in flight).
pub async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
) {
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ClientAddr(peer));
            router.clone().oneshot(req)
        });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_headers(100)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        }
        _ = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
