//! Group commit: one thread flushes sled, and every writer that waits for durability
//! shares the next flush with everyone who asked at the same time.
//!
//! sled 0.34 loses acknowledged writes on a crash unless they were flushed, and concurrent
//! `flush_async` calls have been reported to deadlock (sled #1412). So all flushes go
//! through this one thread: a waiter sends where to answer, the thread drains every
//! pending waiter, flushes once, and answers them all. A write that finished before its
//! waiter was queued is covered by that flush.
//!
//! When the last flush served several waiters, writers are running concurrently, and the
//! thread lingers briefly (until no one new arrived for [`QUIET`], at most [`LINGER`])
//! before flushing, so one flush covers the whole wave instead of its first few. A lone
//! writer (the console, a quiet bot) never lingers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

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

/// The longest a flush waits for more writers of the same wave.
pub const LINGER: Duration = Duration::from_micros(1500);
/// A wave is over when no writer arrived for this long.
pub const QUIET: Duration = Duration::from_micros(300);

/// How many flushes and waiters the thread has served (for benchmarks and metrics).
#[derive(Debug, Default)]
pub struct CommitCounts {
    pub flushes: AtomicU64,
    pub waiters: AtomicU64,
}

/// Owner of the flusher thread; dropping it stops and joins the thread.
#[derive(Debug)]
pub struct GroupCommit {
    requests: Option<mpsc::Sender<Waiter>>,
    thread: Option<JoinHandle<()>>,
    counts: Arc<CommitCounts>,
}

impl GroupCommit {
    pub fn start(db: sled::Db) -> GroupCommit {
        let (requests, incoming) = mpsc::channel::<Waiter>();
        let counts = Arc::new(CommitCounts::default());
        let thread_counts = counts.clone();
        let thread = thread::Builder::new()
            .name("crmbot-flush".into())
            .spawn(move || {
                let mut last_wave = 0;
                while let Ok(first) = incoming.recv() {
                    let waiters = gather(&incoming, first, last_wave > 1);
                    last_wave = waiters.len();
                    let result = db.flush().map(|_| ()).map_err(|e| e.to_string());
                    thread_counts.flushes.fetch_add(1, Ordering::Relaxed);
                    thread_counts
                        .waiters
                        .fetch_add(waiters.len() as u64, Ordering::Relaxed);
                    for waiter in waiters {
                        waiter.answer(result.clone());
                    }
                }
            })
            .expect("spawning the flush thread");
        GroupCommit {
            requests: Some(requests),
            thread: Some(thread),
            counts,
        }
    }

    /// Flushes done and waiters answered since the store opened.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.flushes.load(Ordering::Relaxed),
            self.counts.waiters.load(Ordering::Relaxed),
        )
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

/// The waiters one flush will cover: `first`, everyone already queued, and, when writers
/// are running concurrently (`linger`), those who arrive until the wave is over.
fn gather(incoming: &mpsc::Receiver<Waiter>, first: Waiter, linger: bool) -> Vec<Waiter> {
    let mut waiters = vec![first];
    waiters.extend(incoming.try_iter());
    if !linger {
        return waiters;
    }
    let deadline = Instant::now() + LINGER;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match incoming.recv_timeout(left.min(QUIET)) {
            Ok(waiter) => {
                waiters.push(waiter);
                waiters.extend(incoming.try_iter());
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
        if left.is_zero() {
            break;
        }
    }
    waiters
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        drop(self.requests.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
