//! The TCP accept loop: each connection runs as its own task, within a bound on connections in
//! total and per client address, so that a flood of half-open connections from one client
//! cannot starve the others. On shutdown, accepting stops and open connections get a drain
//! deadline.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How many connections may be open.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub max_per_client: usize,
    /// How long open connections may finish after shutdown begins.
    pub drain: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 4096,
            max_per_client: 256,
            drain: Duration::from_secs(20),
        }
    }
}

struct PerClient {
    counts: Mutex<HashMap<IpAddr, usize>>,
}

struct Slot {
    clients: Arc<PerClient>,
    ip: IpAddr,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .clients
            .counts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Accepts connections until `shutdown`, running `handle(stream, peer, shutdown)` for each.
pub async fn serve_tcp<H, Fut>(
    listener: TcpListener,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
    handle: H,
) where
    H: Fn(TcpStream, SocketAddr, CancellationToken) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let total = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let clients = Arc::new(PerClient {
        counts: Mutex::new(HashMap::new()),
    });
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors or a transient error: do not spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = total.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "connection refused: the server is at its connection limit");
            continue;
        };
        {
            let mut counts = clients.counts.lock().unwrap_or_else(|e| e.into_inner());
            let n = counts.entry(peer.ip()).or_default();
            if *n >= limits.max_per_client {
                tracing::debug!(%peer, "connection refused: too many from this client");
                continue;
            }
            *n += 1;
        }
        let slot = Slot {
            clients: clients.clone(),
            ip: peer.ip(),
            _permit: permit,
        };
        let _ = stream.set_nodelay(true);
        let work = handle(stream, peer, shutdown.clone());
        tracker.spawn(async move {
            work.await;
            drop(slot);
        });
    }
    tracker.close();
    if tokio::time::timeout(limits.drain, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("connections still open at the drain deadline");
    }
}
