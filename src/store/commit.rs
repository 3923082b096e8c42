//! Group commit: one thread flushes sled, and every writer that waits for durability
//! shares the next flush with everyone who asked at the same time.
//!
//! sled 0.34 loses acknowledged writes on a crash unless they were flushed, and concurrent
//! `flush_async` calls have been reported to deadlock (sled #1412). So all flushes go
//! through this one thread: a waiter sends a oneshot sender, the thread drains every
//! pending waiter, flushes once, and answers them all. A write that finished before its
//! waiter was queued is covered by that flush.

use std::sync::mpsc;
use std::thread;

use tokio::sync::oneshot;

type Waiter = oneshot::Sender<Result<(), String>>;

/// Handle to the flusher thread. Dropping every handle stops the thread.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    requests: mpsc::Sender<Waiter>,
}

impl GroupCommit {
    pub fn start(db: sled::Db) -> GroupCommit {
        let (requests, incoming) = mpsc::channel::<Waiter>();
        thread::Builder::new()
            .name("crmbot-flush".into())
            .spawn(move || {
                while let Ok(first) = incoming.recv() {
                    let mut waiters = vec![first];
                    waiters.extend(incoming.try_iter());
                    let result = db.flush().map(|_| ()).map_err(|e| e.to_string());
                    for waiter in waiters {
                        let _ = waiter.send(result.clone());
                    }
                }
            })
            .expect("spawning the flush thread");
        GroupCommit { requests }
    }

    fn enqueue(&self) -> oneshot::Receiver<Result<(), String>> {
        let (tx, rx) = oneshot::channel();
        // The thread only stops when every handle is gone, so this cannot fail while
        // `self` exists; if it did, the receiver reports it below.
        let _ = self.requests.send(tx);
        rx
    }

    /// Waits until everything written before this call is on disk.
    pub async fn durable(&self) -> Result<(), String> {
        self.enqueue()
            .await
            .unwrap_or_else(|_| Err("flush thread stopped".into()))
    }

    /// Blocking form of [`durable`](Self::durable), for code outside an async runtime.
    pub fn durable_blocking(&self) -> Result<(), String> {
        self.enqueue()
            .blocking_recv()
            .unwrap_or_else(|_| Err("flush thread stopped".into()))
    }
}
