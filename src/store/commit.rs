//! Group commit: one thread flushes sled, and every writer that waits for durability
//! shares the next flush with everyone who asked at the same time.
//!
//! sled 0.34 loses acknowledged writes on a crash unless they were flushed, and concurrent
//! `flush_async` calls have been reported to deadlock (sled #1412). So all flushes go
//! through this one thread: a waiter sends where to answer, the thread drains every
//! pending waiter, flushes once, and answers them all. A write that finished before its
//! waiter was queued is covered by that flush.

use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use tokio::sync::oneshot;

type FlushResult = Result<(), String>;

/// Where to send the result of the flush that covers a waiter.
enum Waiter {
    Async(oneshot::Sender<FlushResult>),
    Blocking(mpsc::SyncSender<FlushResult>),
}

impl Waiter {
    fn answer(self, result: FlushResult) {
        // A waiter that gave up (dropped its receiver) needs no answer.
        let _ = match self {
            Waiter::Async(tx) => tx.send(result).map_err(|_| ()),
            Waiter::Blocking(tx) => tx.send(result).map_err(|_| ()),
        };
    }
}

/// Owner of the flusher thread; dropping it stops and joins the thread.
#[derive(Debug)]
pub struct GroupCommit {
    requests: Option<mpsc::Sender<Waiter>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommit {
    pub fn start(db: sled::Db) -> GroupCommit {
        let (requests, incoming) = mpsc::channel::<Waiter>();
        let thread = thread::Builder::new()
            .name("crmbot-flush".into())
            .spawn(move || {
                while let Ok(first) = incoming.recv() {
                    let mut waiters = vec![first];
                    waiters.extend(incoming.try_iter());
                    let result = db.flush().map(|_| ()).map_err(|e| e.to_string());
                    for waiter in waiters {
                        waiter.answer(result.clone());
                    }
                }
            })
            .expect("spawning the flush thread");
        GroupCommit {
            requests: Some(requests),
            thread: Some(thread),
        }
    }

    fn enqueue(&self, waiter: Waiter) -> FlushResult {
        self.requests
            .as_ref()
            .ok_or("the store is closing")?
            .send(waiter)
            .map_err(|_| "flush thread stopped".to_owned())
    }

    /// Waits until everything written before this call is on disk.
    pub async fn durable(&self) -> FlushResult {
        let (tx, rx) = oneshot::channel();
        self.enqueue(Waiter::Async(tx))?;
        rx.await
            .unwrap_or_else(|_| Err("flush thread stopped".into()))
    }

    /// Blocking form of [`durable`](Self::durable); fine inside or outside a runtime, but
    /// it blocks the calling thread.
    pub fn durable_blocking(&self) -> FlushResult {
        let (tx, rx) = mpsc::sync_channel(1);
        self.enqueue(Waiter::Blocking(tx))?;
        rx.recv()
            .unwrap_or_else(|_| Err("flush thread stopped".into()))
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        drop(self.requests.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
