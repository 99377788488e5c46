//! Bounded blocking work: at most `concurrency` closures run at once on blocking threads, at
//! most `queue` wait for their turn, and beyond that callers are told at once that the server
//! is busy instead of piling up threads and memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

/// The server is saturated; try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the server is busy")
    }
}

impl std::error::Error for Busy {}

/// A bounded handle for blocking work.
#[derive(Clone)]
pub struct Blocking {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
}

impl Blocking {
    pub fn new(concurrency: usize, queue: usize) -> Blocking {
        Blocking {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            queue,
        }
    }

    /// Runs `f` on a blocking thread when a slot is free; `Busy` when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(Busy);
                }
                let p = self.permits.clone().acquire_owned().await;
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                p.map_err(|_| Busy)?
            }
        };
        tokio::task::spawn_blocking(move || {
            let out = f();
            drop(permit);
            out
        })
        .await
        .map_err(|e| {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic())
            }
            Busy
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_queue_callers_are_told_at_once() {
        let b = Blocking::new(1, 2);
        let gate = Arc::new(std::sync::Barrier::new(2));
        let g = gate.clone();
        let first = tokio::spawn({
            let b = b.clone();
            async move { b.run(move || g.wait()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let queued: Vec<_> = (0..2)
            .map(|_| {
                let b = b.clone();
                tokio::spawn(async move { b.run(|| 1).await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(
            b.run(|| 1).await,
            Err(Busy),
            "the fourth caller does not wait"
        );
        gate.wait();
        first.await.unwrap().unwrap();
        for q in queued {
            assert_eq!(q.await.unwrap(), Ok(1));
        }
    }
}
