//! Named background tasks under one cancellation token: a task that fails or ends is logged
//! and started again after a backoff (1 s, doubling to a minute, reset after a minute of
//! health); shutdown cancels them all and waits at most a deadline.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct Supervisor {
    token: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Default for Supervisor {
    fn default() -> Self {
        Supervisor::new()
    }
}

impl Supervisor {
    pub fn new() -> Supervisor {
        Supervisor {
            token: CancellationToken::new(),
            tasks: Vec::new(),
        }
    }

    /// The token every task watches; cancelling it starts the shutdown.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Runs `task` until shutdown, restarting it with backoff whenever it returns.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, task: F)
    where
        F: Fn(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let token = self.token.clone();
        let handle = tokio::spawn(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                let started = std::time::Instant::now();
                let outcome = task(token.clone()).await;
                if token.is_cancelled() {
                    return;
                }
                match outcome {
                    Ok(()) => tracing::warn!(task = name, "task ended; starting it again"),
                    Err(e) => {
                        tracing::error!(task = name, error = %e, "task failed; starting it again")
                    }
                }
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_secs(1);
                }
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        });
        self.tasks.push((name, handle));
    }

    /// Runs `work` once, as a named task that is not restarted (a server whose end means the
    /// end of the process).
    pub fn spawn_once<Fut>(&mut self, name: &'static str, work: Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tasks.push((name, tokio::spawn(work)));
    }

    /// Cancels every task and waits for them, at most `deadline`; tasks still running then are
    /// aborted and named in the log.
    pub async fn shutdown(self, deadline: Duration) {
        self.token.cancel();
        let until = tokio::time::Instant::now() + deadline;
        for (name, mut handle) in self.tasks {
            tokio::select! {
                _ = &mut handle => {}
                _ = tokio::time::sleep_until(until) => {
                    tracing::warn!(task = name, "still running at the shutdown deadline: aborted");
                    handle.abort();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn a_failing_task_restarts_and_shutdown_respects_its_deadline() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut s = Supervisor::new();
        let r = runs.clone();
        s.spawn("flaky", move |_token| {
            let r = r.clone();
            async move {
                r.fetch_add(1, Ordering::SeqCst);
                Err("boom".to_string())
            }
        });
        s.spawn("stubborn", |_token| async {
            // Ignores cancellation.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(
            runs.load(Ordering::SeqCst) >= 3,
            "restarted with backoff: 1 s, 2 s, 4 s"
        );
        let before = tokio::time::Instant::now();
        s.shutdown(Duration::from_secs(5)).await;
        assert!(
            before.elapsed() <= Duration::from_secs(6),
            "the deadline bounds the shutdown"
        );
    }
}
