//! Running the server: the use cases over the store, the web router on a socket under the
//! connection limits, housekeeping on a schedule, all under one supervisor; graceful shutdown
//! on Ctrl-C or SIGTERM within the configured deadline (the store is checkpointed last).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::{App, SystemClock};
use runtime::{Blocking, Supervisor};
use store::Store;

use crate::config::Config;

/// The tokio runtime of the binary, with a blocking pool sized for the store's connections.
pub fn tokio_runtime(config: &Config) -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(config.store.readers + 8)
        .build()?)
}

pub fn run_from_config(path: &Path, listen: Option<SocketAddr>) -> anyhow::Result<()> {
    crate::cli::init_logging();
    let config = Config::load(path)?;
    let config = match listen {
        Some(addr) => config.listening_on(addr),
        None => config,
    };
    for w in config.warnings() {
        tracing::warn!("{w}");
    }
    let (store, community) = config.open_store()?;
    tokio_runtime(&config)?.block_on(serve(Arc::new(store), &config, community, |_, _| {}))
}

/// Serves on `config.listen` until Ctrl-C or SIGTERM. `extra` may add tasks once the address
/// is known (the demo's live meters).
pub async fn serve(
    store: Arc<Store>,
    config: &Config,
    community: domain::CommunityId,
    extra: impl FnOnce(&mut Supervisor, SocketAddr),
) -> anyhow::Result<()> {
    let listen = config.listen;
    let app = Arc::new(App::new(
        store.clone(),
        Arc::new(SystemClock),
        config.app_settings(community),
    ));
    // One more than the read connections keeps the writer busy while readers are.
    let blocking = Blocking::new(config.store.readers + 1, 512);
    let state = web::AppState::new(app.clone(), blocking.clone(), config.web.clone())
        .map_err(anyhow::Error::msg)?;
    let router = web::router(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    let mut supervisor = Supervisor::new();
    let token = supervisor.token();
    let http = config.http;
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    supervisor.spawn_once("http", {
        let token = token.clone();
        let limits = config.connections;
        async move {
            runtime::serve_tcp(listener, limits, token, move |stream, peer, shutdown| {
                web::serve_connection(stream, peer, router.clone(), http, shutdown)
            })
            .await;
            let _ = stopped_tx.send(());
        }
    });
    let (hk_app, hk_blocking) = (app.clone(), blocking.clone());
    supervisor.spawn("housekeeping", move |token| {
        let (app, blocking) = (hk_app.clone(), hk_blocking.clone());
        async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tokio::select! {
                    _ = token.cancelled() => return Ok(()),
                    _ = tick.tick() => {}
                }
                let app = app.clone();
                match blocking.run(move || app.housekeeping()).await {
                    Ok(Ok(chores)) if chores != Default::default() => tracing::info!(
                        raw_chunks = chores.raw_chunks_deleted,
                        sessions = chores.sessions_purged,
                        "housekeeping"
                    ),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Err(format!("housekeeping: {e}")),
                    Err(_) => tracing::warn!("housekeeping skipped: the server is busy"),
                }
            }
        }
    });
    extra(&mut supervisor, addr);
    tracing::info!(%addr, backend = store.backend_name(), "Voisins is serving on http://{addr}");
    tokio::select! {
        _ = shutdown_signal() => {}
        _ = stopped_rx => tracing::error!("the HTTP server stopped"),
    }
    supervisor.shutdown(config.connections.drain).await;
    let s = store.clone();
    blocking
        .run(move || s.checkpoint())
        .await
        .map_err(anyhow::Error::msg)?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
