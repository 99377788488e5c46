//! Running the server: the axum router on a socket, retention pruning, graceful shutdown on
//! Ctrl-C or SIGTERM (the store is checkpointed on the way out).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use store::Store;

use crate::config::Config;

pub fn run_from_config(path: &Path, listen: Option<SocketAddr>) -> anyhow::Result<()> {
    crate::cli::init_logging();
    let config = Config::load(path)?;
    let (store, community_id) = config.open_store()?;
    let web_config = config.web_config(community_id);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(serve(
        Arc::new(store),
        web_config,
        listen.unwrap_or(config.listen),
        None,
    ))
}

/// Serves until Ctrl-C or SIGTERM. `ready` is told the bound address.
pub async fn serve(
    store: Arc<Store>,
    web_config: web::WebConfig,
    listen: SocketAddr,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let state = web::AppState::new(store.clone(), web_config, web::system_clock())
        .map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend_name(), "Voisins is serving on http://{addr}");
    if let Some(tx) = ready {
        let _ = tx.send(addr);
    }
    let prune_store = store.clone();
    let pruner = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let s = prune_store.clone();
            let now = jiff::Timestamp::now().as_millisecond();
            match tokio::task::spawn_blocking(move || s.prune_raw(now)).await {
                Ok(Ok(n)) if n > 0 => {
                    tracing::info!(chunks = n, "raw points past retention deleted")
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "retention pruning failed"),
                _ => {}
            }
        }
    });
    axum::serve(listener, web::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    pruner.abort();
    tokio::task::spawn_blocking(move || store.checkpoint()).await??;
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
