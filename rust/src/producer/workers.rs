//! Compression off the caller's thread: a small fixed pool of worker threads, shared by every
//! producer of the process, and the mailbox through which one accumulator gets its batches
//! back.
//!
//! A closed batch's records are moved (not copied) to a worker with a ticket (those handed
//! over between two rounds of the sender go as one job per worker); the worker
//! compresses them and posts the records and the result to the batch's mailbox, then wakes the
//! owner through a socket it can wait on (the event loop watches its other end). The
//! accumulator takes finished batches from the mailbox when it next looks at its queues
//! ([`super::Accumulator::ready`]); a ticket that no longer matches a live batch is dropped.
//! Workers never touch the accumulator, so it needs no lock: the mailbox is the only shared
//! state.

use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;

use super::batch::{Batch, BatchId, Compressing};
use crate::record::{compress_buffer, Codec, Compression, RecordError};

/// Most worker threads the pool starts, however many cores there are: a producer's event loop
/// appends on one core, and more workers than it can feed only take cores from the rest of the
/// process.
const MAX_WORKERS: usize = 4;

type Job = Box<dyn FnOnce() + Send>;

/// The smallest batch (uncompressed bytes, header included) worth a worker for `codec`. A
/// hand-over of one batch as its own job cost the caller about 10 µs (waking a worker, taking
/// the result back; less per batch now that a round's batches go as one job, but a batch then
/// also waits for the next round and a wake-up), while compressing on the caller costs,
/// measured on 1 KiB JSON records: lz4 2 µs at 2 KiB, 6.5 µs at 8 KiB, 27 µs at 16 KiB; zstd
/// 14-17 µs from 2 KiB up; gzip 30 µs at 2 KiB. So the fast codecs keep batches below 8 KiB
/// (mostly batches that linger closed, where latency counts), the others hand over anything
/// from 2 KiB.
pub fn hand_over_from(codec: Codec) -> usize {
    match codec {
        Codec::Lz4 | Codec::Snappy => 8 * 1024,
        Codec::None | Codec::Gzip | Codec::Zstd => 2 * 1024,
    }
}

/// Fewest batches handed over between two sender rounds that go to the workers; fewer are
/// given back and compressed at the drain. A round that finds a single batch means the loop
/// keeps up with its appends, so a worker has nothing to overlap with: the hop only adds a
/// worker's wake-up and, for the batch's return, a second sender round on the loop (the
/// socket, the reader callback, `ready` again), where lz4 compresses a 16 KiB batch of JSON
/// in ~16 µs.
const MIN_BATCHES_PER_ROUND: usize = 2;

/// Threads that run jobs in the order they were submitted (each job on whichever worker is
/// free). Dropping the pool lets the workers finish what was queued and end.
pub struct WorkerPool {
    jobs: Sender<Job>,
    size: usize,
}

impl WorkerPool {
    pub fn new(size: usize) -> Self {
        let size = size.max(1);
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..size {
            let queue = Arc::clone(&queue);
            thread::Builder::new()
                .name(format!("ferrokafka-compress-{n}"))
                .spawn(move || run_jobs(&queue))
                .expect("starting a compression worker thread");
        }
        Self { jobs, size }
    }

    /// The process-wide pool, started by the first producer that compresses: one worker per
    /// core beyond the event loop's own, at least one, at most `MAX_WORKERS`.
    pub fn shared() -> &'static WorkerPool {
        static POOL: OnceLock<WorkerPool> = OnceLock::new();
        POOL.get_or_init(|| {
            let cores = thread::available_parallelism().map_or(1, usize::from);
            WorkerPool::new(cores.saturating_sub(1).clamp(1, MAX_WORKERS))
        })
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn submit(&self, job: impl FnOnce() + Send + 'static) {
        // Fails only when every worker is gone, which a panic in a codec could cause: then
        // the job's batch simply never comes back and expires like an unsendable one.
        let _ = self.jobs.send(Box::new(job));
    }
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

fn run_jobs(queue: &Mutex<Receiver<Job>>) {
    loop {
        // The guard is dropped before the job runs, so other workers can take the next one.
        let job = lock(queue).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return, // the pool was dropped
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking job cannot leave the queue or a mailbox half-updated: each is one push/pop.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Results that may wait in a mailbox before their owner is woken while more of its batches
/// are still on the workers: the owner takes results whenever it looks at its queues, so a busy
/// owner needs no wake-up, and an idle one gets one when its last batch is back.
const WAKE_AFTER_RESULTS: usize = 16;

/// Which hand-over a result answers: a batch dropped and its id reused meanwhile must not take
/// another batch's bytes.
pub type Ticket = u64;

/// A batch's records back from a worker (its builder's buffer, as `take_records` moved it:
/// header room, then the records), with their compressed form (header room first, see
/// [`compress_buffer`]) or why compression failed.
#[derive(Debug)]
pub struct Compressed {
    pub batch_id: BatchId,
    pub ticket: Ticket,
    pub records: Vec<u8>,
    pub result: Result<Vec<u8>, RecordError>,
}

/// Finished batches of one accumulator, and the socket that tells its owner about them.
struct Mailbox {
    done: Mutex<Vec<Compressed>>,
    /// A wake-up byte is unread (or about to be written): later posts need not write another.
    signalled: AtomicBool,
    wake: UnixStream,
    /// Handed over and not yet posted.
    outstanding: AtomicUsize,
    /// Set when the sealer is dropped (its accumulator closed or collected): its batches still
    /// queued would be compressed for nobody, and on the shared pool every other producer's
    /// batches queued behind them would wait for that. Their records are dropped instead; the
    /// memory they were counted in belonged to the accumulator, which is gone.
    abandoned: AtomicBool,
    /// Batches compressed for this mailbox, for the tests to see that abandoned ones are not.
    #[cfg(test)]
    compressed: AtomicUsize,
}

impl Mailbox {
    fn new(wake: UnixStream) -> Self {
        Self {
            done: Mutex::new(Vec::new()),
            signalled: AtomicBool::new(false),
            wake,
            outstanding: AtomicUsize::new(0),
            abandoned: AtomicBool::new(false),
            #[cfg(test)]
            compressed: AtomicUsize::new(0),
        }
    }

    /// A worker's job: compresses `batches` and posts each result, unless the owner is gone.
    fn compress_and_post(
        &self,
        batches: Vec<(BatchId, Ticket, Vec<u8>)>,
        compression: &Compression,
    ) {
        for (batch_id, ticket, records) in batches {
            // Checked per batch, so a job already running stops at the next one too.
            if self.abandoned.load(Ordering::Acquire) {
                return;
            }
            let result = compress_buffer(&records, compression);
            #[cfg(test)]
            self.compressed.fetch_add(1, Ordering::AcqRel);
            self.post(Compressed {
                batch_id,
                ticket,
                records,
                result,
            });
        }
    }

    /// Files a result; wakes the owner when it was the last one out, or enough are waiting.
    fn post(&self, compressed: Compressed) {
        if self.abandoned.load(Ordering::Acquire) {
            return; // nobody will take it, or read a wake-up
        }
        let waiting = {
            let mut done = lock(&self.done);
            done.push(compressed);
            done.len()
        };
        let still_out = self.outstanding.fetch_sub(1, Ordering::AcqRel) - 1;
        if (still_out == 0 || waiting >= WAKE_AFTER_RESULTS)
            && !self.signalled.swap(true, Ordering::AcqRel)
        {
            // Non-blocking; a full socket already holds an unread wake-up, and a closed one
            // means the accumulator is gone and wants nothing.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// One accumulator's side of the pool: hands batches over and takes them back.
pub struct Sealer {
    compression: Compression,
    /// Smaller batches are compressed at the drain: a hand-over costs more than it saves.
    min_bytes: usize,
    pool: &'static WorkerPool,
    mailbox: Arc<Mailbox>,
    /// The end the owner waits on ([`Self::wake_fd`]); drained by [`Self::take_finished`].
    woken: UnixStream,
    next_ticket: Ticket,
    /// Handed over, not yet sent to the workers: `(batch, ticket, records)`.
    handed: Vec<(BatchId, Ticket, Vec<u8>)>,
    /// Handed over and not yet taken back.
    pub(crate) on_workers: usize,
}

impl Sealer {
    pub fn new(
        compression: Compression,
        min_bytes: usize,
        pool: &'static WorkerPool,
    ) -> std::io::Result<Self> {
        let (woken, wake) = UnixStream::pair()?;
        woken.set_nonblocking(true)?;
        wake.set_nonblocking(true)?;
        Ok(Self {
            compression,
            min_bytes,
            pool,
            mailbox: Arc::new(Mailbox::new(wake)),
            woken,
            next_ticket: 0,
            handed: Vec::new(),
            on_workers: 0,
        })
    }

    /// Readable when batches came back since the last [`Self::take_finished`].
    pub fn wake_fd(&self) -> RawFd {
        self.woken.as_raw_fd()
    }

    /// Whether `batch` should go to a worker: never sealed, never handed over, and big enough.
    pub fn wants(&self, batch: &Batch) -> bool {
        !batch.is_sealed()
            && matches!(batch.compressing, Compressing::NotStarted)
            && batch.builder.size_in_bytes() >= self.min_bytes
    }

    /// Hands a closed batch's records to a worker if [`Self::wants`] it.
    pub fn offer(&mut self, batch: &mut Batch) {
        debug_assert!(batch.closed, "only closed batches are compressed ahead");
        if self.wants(batch) {
            let records = batch.builder.take_records();
            batch.compressing = Compressing::OnWorker(self.hand_over(batch.id, records));
        }
    }

    /// Queues `records` (a builder's buffer) for the workers (sent by [`Self::submit`]); returns the ticket its
    /// result will carry.
    pub fn hand_over(&mut self, batch_id: BatchId, records: Vec<u8>) -> Ticket {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.on_workers += 1;
        self.handed.push((batch_id, ticket, records));
        ticket
    }

    /// Sends what was handed over since the last call to the workers, in as many jobs as
    /// there are workers: one wake-up of a worker per job, not per batch (appends hand over
    /// many batches between two rounds of the sender, which calls this).
    ///
    /// Fewer than `MIN_BATCHES_PER_ROUND` are not sent: their records are returned, for the
    /// owner to put back and compress at the drain.
    #[must_use = "records not sent to the workers must be put back in their batches"]
    pub fn submit(&mut self) -> Vec<(BatchId, Vec<u8>)> {
        if self.handed.len() < MIN_BATCHES_PER_ROUND {
            self.on_workers -= self.handed.len();
            return self
                .handed
                .drain(..)
                .map(|(batch_id, _, records)| (batch_id, records))
                .collect();
        }
        let mut handed = std::mem::take(&mut self.handed);
        self.mailbox
            .outstanding
            .fetch_add(handed.len(), Ordering::AcqRel);
        let per_job = handed.len().div_ceil(self.pool.size());
        while !handed.is_empty() {
            let job: Vec<_> = handed.drain(..per_job.min(handed.len())).collect();
            let compression = self.compression;
            let mailbox = Arc::clone(&self.mailbox);
            self.pool
                .submit(move || mailbox.compress_and_post(job, &compression));
        }
        Vec::new()
    }

    /// Whether [`Self::take_finished`] may find anything, or has a wake-up to consume.
    pub fn expecting(&self) -> bool {
        self.on_workers > 0 || self.mailbox.signalled.load(Ordering::Acquire)
    }

    /// Every batch finished since the last call, and the wake-up bytes consumed.
    pub fn take_finished(&mut self) -> Vec<Compressed> {
        // Cleared before taking, so a post that lands after the take writes a new byte.
        self.mailbox.signalled.store(false, Ordering::Release);
        let mut sink = [0_u8; 64];
        loop {
            match (&self.woken).read(&mut sink) {
                Ok(n) if n > 0 => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                _ => break,
            }
        }
        let finished = std::mem::take(&mut *lock(&self.mailbox.done));
        self.on_workers -= finished.len();
        finished
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        self.mailbox.abandoned.store(true, Ordering::Release);
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("compression", &self.compression)
            .field("on_workers", &self.on_workers)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "workers_tests.rs"]
mod tests;
