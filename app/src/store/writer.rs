//! The batching writer: every ingestion request becomes a job on one queue;
//! a writer task drains whatever jobs are waiting, applies them in one
//! transaction (each inside its own savepoint, so a failing job writes
//! nothing and does not sink the others), commits once, and only then answers
//! each job. While one commit is being synced, new jobs queue up and share the
//! next one: that is group commit. On SQLite one task writes; on PostgreSQL
//! two take turns at the queue ([`POSTGRES_WRITERS`]).

use super::db::{DbConnection, Dialect, Sql};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Connection;
use tokio::sync::{Mutex, MutexGuard, OwnedMutexGuard, Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::annotation_writes;
use super::annotations::{NewAnnotation, WriteMode};
use super::outbox::{self, Outbox};
use super::queues::{self, Completion, NextItem};
use super::search::{self, SearchProgress};
use super::{Error, Result};
use crate::model::TargetKind;

/// How many spans one transaction takes at most before it commits: enough to
/// amortise the fsync, small enough to bound the memory a batch holds.
const MAX_SPANS_PER_COMMIT: usize = 5_000;
/// Rows per multi-row INSERT (SQLite allows 32,766 bound parameters).
const ROWS_PER_STATEMENT: usize = 500;
/// Jobs waiting beyond this make senders wait: back-pressure, not unbounded memory.
const QUEUE_DEPTH: usize = 1024;
/// Bytes of queued and committing work beyond which senders wait too: one
/// job may carry the rows of a 32 MiB body, so a job count alone bounds
/// nothing. Enough for several full commits, so the writer never starves.
const QUEUE_BYTES: u32 = 64 << 20;
/// A row's size beyond its strings: ids, times, allocation headers.
const ROW_OVERHEAD: usize = 128;
/// How long the writer waits for work before it indexes spans for search.
const QUIET: Duration = Duration::from_millis(20);
/// How often expired pending annotations are purged.
const PURGE_EVERY: Duration = Duration::from_secs(60);
/// Writers on a PostgreSQL database, each on its own connection: while one
/// waits for its commit to be flushed, the other sends its batch, and their
/// two backends use two cores (one writer's backend was the bound on
/// ingestion, docs/benchmarks.md). SQLite takes one writer at a time: one.
pub(super) const POSTGRES_WRITERS: usize = 2;
/// How often, on a database other replicas write too, the writer attaches
/// pending annotations whose targets some replica stored
/// ([`annotation_writes::attach_stored`]), besides after its own commits.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// A span ready to be stored: ids in lowercase hex, JSON already serialised
/// (by the request task, so the writer only writes).
#[derive(Clone, Debug)]
pub struct NewSpan {
    /// Project name; created on first use.
    pub project: Arc<str>,
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
    /// Parent's span id, `None` for roots.
    pub parent_id: Option<String>,
    /// Operation name.
    pub name: String,
    /// OpenInference span kind.
    pub span_kind: String,
    /// Nanoseconds since the epoch.
    pub start_time: i64,
    /// Nanoseconds since the epoch.
    pub end_time: i64,
    /// `UNSET`, `OK` or `ERROR`.
    pub status_code: &'static str,
    /// Status description.
    pub status_message: String,
    /// JSON object text.
    pub attributes: String,
    /// JSON array text.
    pub events: String,
    /// JSON object text, shared by the spans of one resource.
    pub resource_attributes: Arc<str>,
    /// The `session.id` attribute.
    pub session_id: Option<String>,
    /// `llm.token_count.prompt`.
    pub prompt_tokens: Option<i64>,
    /// `llm.token_count.completion`.
    pub completion_tokens: Option<i64>,
}

/// What a job asks the writer to do.
#[derive(Debug)]
enum Work {
    Spans(Vec<NewSpan>),
    Annotations {
        kind: TargetKind,
        items: Vec<NewAnnotation>,
        mode: WriteMode,
    },
    /// A review queue item's completion: the reviewer's annotations
    /// (`sync=true`) and the review marked done, together or not at all.
    Review {
        kind: TargetKind,
        items: Vec<NewAnnotation>,
        completion: Completion,
    },
    /// A review queue's next item for a reviewer, picked and reserved;
    /// answers `[item rowid, reserved until]`, or nothing.
    Next(NextItem),
}

impl Work {
    /// Rough size, to bound a transaction.
    fn weight(&self) -> usize {
        match self {
            Work::Spans(spans) => spans.len().max(1),
            Work::Annotations { items, .. } | Work::Review { items, .. } => items.len().max(1),
            Work::Next(_) => 1,
        }
    }

    /// Rough bytes held, to bound the queue (the strings dominate; counting
    /// them costs a few additions a row).
    fn bytes(&self) -> usize {
        match self {
            Work::Spans(spans) => spans
                .iter()
                .map(|s| {
                    ROW_OVERHEAD
                        + s.trace_id.len()
                        + s.span_id.len()
                        + s.name.len()
                        + s.span_kind.len()
                        + s.status_message.len()
                        + s.attributes.len()
                        + s.events.len()
                        + s.session_id.as_ref().map_or(0, String::len)
                })
                .sum(),
            Work::Annotations { items, .. } | Work::Review { items, .. } => items
                .iter()
                .map(|a| {
                    ROW_OVERHEAD
                        + a.target_id.len()
                        + a.name.len()
                        + a.metadata.len()
                        + a.identifier.len()
                        + a.result.label.as_ref().map_or(0, String::len)
                        + a.result.explanation.as_ref().map_or(0, String::len)
                })
                .sum(),
            Work::Next(ask) => ROW_OVERHEAD + ask.reviewer.len(),
        }
    }
}

#[derive(Debug)]
struct Job {
    work: Work,
    /// The rowids a job answers with (annotation ids for `sync=true`).
    done: oneshot::Sender<Result<Vec<i64>>>,
}

/// Sends work to the writer task. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    /// Whose turn it is to write: the writer, for each batch, or a
    /// transaction outside it ([`Writer::turn`]). Tokio's mutex is fair
    /// (first come, first served), so neither can starve the other.
    turn: Arc<Mutex<()>>,
    /// Permits are bytes of work sent and not yet answered ([`QUEUE_BYTES`]).
    bytes: Arc<Semaphore>,
}

/// Settings of the writer task.
#[derive(Clone, Debug)]
pub(super) struct WriterConfig {
    /// How long a `sync=false` annotation waits for its target before it is dropped.
    pub pending_ttl: Duration,
    /// The search index's position, which the writer advances.
    pub search: SearchProgress,
    /// Where the events of annotation changes are recorded (webhooks).
    pub outbox: Arc<Outbox>,
    /// How to open the writer's connection again when it breaks (PostgreSQL
    /// restarted, say), with its page cache's size.
    pub reconnect: (sqlx::any::AnyConnectOptions, u32),
}

impl WriterConfig {
    /// Pending annotations received before this (ns) have expired.
    fn pending_cutoff(&self, now: i64) -> i64 {
        now.saturating_sub(i64::try_from(self.pending_ttl.as_nanos()).unwrap_or(i64::MAX))
    }
}

/// The running writer; await it after dropping every [`Writer`] to finish
/// the writes already accepted.
pub type WriterTask = JoinHandle<()>;

/// Starts a writer task on each connection (one on SQLite, see
/// [`POSTGRES_WRITERS`]); they take batches from one queue.
pub(super) fn start(conns: Vec<DbConnection>, config: WriterConfig) -> (Writer, WriterTask) {
    let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
    let queue = Arc::new(Mutex::new(queue));
    let bytes = Arc::new(Semaphore::new(QUEUE_BYTES as usize));
    let turn = Arc::new(Mutex::new(()));
    let tasks: Vec<_> =
        conns.into_iter().map(|conn| tokio::spawn(run(conn, queue.clone(), turn.clone(), config.clone()))).collect();
    let all = tokio::spawn(async move {
        for task in tasks {
            let _ = task.await;
        }
    });
    (Writer { jobs, bytes, turn }, all)
}

/// The turn to write (see [`Writer::turn`]), held until dropped.
pub(super) type Turn = OwnedMutexGuard<()>;

impl Writer {
    /// Waits for the turn to write: for a transaction outside the writer,
    /// which then waits for at most the writer's batch in progress instead of
    /// polling SQLite's lock against a writer that keeps taking it.
    pub(super) async fn turn(&self) -> Turn {
        self.turn.clone().lock_owned().await
    }

    /// Jobs sent and not yet taken into a batch (for `/metrics`).
    pub fn queued_jobs(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }

    /// Stores spans; returns once they are committed. Span ids already stored
    /// are skipped (the first write wins).
    pub async fn write_spans(&self, spans: Vec<NewSpan>) -> Result<()> {
        if spans.is_empty() {
            return Ok(());
        }
        self.submit(Work::Spans(spans)).await.map(drop)
    }

    /// Stores annotations of `kind` in order (equal keys: the last wins);
    /// returns once they are committed. With [`WriteMode::Sync`] every target
    /// must exist, else nothing is written and the error names the missing
    /// ones; the answer is then one annotation rowid per item. With
    /// [`WriteMode::Deferred`] annotations of unknown targets are stored as
    /// pending and attached when the target arrives; the answer is empty.
    pub async fn write_annotations(
        &self,
        kind: TargetKind,
        items: Vec<NewAnnotation>,
        mode: WriteMode,
    ) -> Result<Vec<i64>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        self.submit(Work::Annotations { kind, items, mode }).await
    }

    /// Writes a review's annotations and marks it done in one transaction
    /// (shared with other jobs: group commit); answers once committed. 409
    /// if the reviewer no longer holds the item or completed it already.
    pub(super) async fn complete_review(
        &self,
        kind: TargetKind,
        items: Vec<NewAnnotation>,
        completion: Completion,
    ) -> Result<()> {
        self.submit(Work::Review { kind, items, completion }).await.map(|_| ())
    }

    /// Picks and reserves a review queue's next item for a reviewer (see
    /// [`queues::reserve_next`]); answers once committed.
    pub(super) async fn reserve_next(&self, ask: NextItem) -> Result<Option<(i64, i64)>> {
        match self.submit(Work::Next(ask)).await?.as_slice() {
            [item, until] => Ok(Some((*item, *until))),
            _ => Ok(None),
        }
    }

    async fn submit(&self, work: Work) -> Result<Vec<i64>> {
        // Held until the answer; a job larger than the bound waits for an empty queue.
        let cost = u32::try_from(work.bytes()).unwrap_or(u32::MAX).min(QUEUE_BYTES);
        let _queued = self.bytes.acquire_many(cost).await.map_err(|_| Error::Closed)?;
        let (done, answer) = oneshot::channel();
        self.jobs.send(Job { work, done }).await.map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)?
    }
}

async fn run(
    mut conn: DbConnection,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    turn: Arc<Mutex<()>>,
    config: WriterConfig,
) {
    // PostgreSQL may have other replicas writing: see `attach_stored`.
    let shared = Dialect::of(&conn) == Dialect::Postgres;
    {
        let _turn = take_turn(&turn, shared).await;
        purge(&mut conn, &config).await;
    }
    let mut last_purge = Instant::now();
    let mut last_sweep = Instant::now() - SWEEP_EVERY;
    // Spans written and perhaps not indexed yet: a guess that only decides
    // when to try (the index's position is what counts); it starts positive
    // so that spans stored before the index existed get indexed.
    let mut unindexed = 1;
    // Whether the writer is indexing because nothing came to write.
    let mut idle = false;
    loop {
        if shared && last_sweep.elapsed() >= SWEEP_EVERY {
            sweep(&mut conn, &config).await;
            last_sweep = Instant::now();
            // Other replicas' spans wait in the search queue too (one
            // killed before it indexed its own, say): look now and then.
            unindexed = unindexed.max(1);
        }
        // The queue is this writer's while it waits for work and gathers a
        // batch; the other writer (PostgreSQL) gathers the next meanwhile.
        let mut receiver = queue.lock().await;
        // Index for search once nothing has come to write for a moment, so
        // that ingestion keeps its speed (even with gaps between requests),
        // then batch after batch until work arrives.
        let first = if unindexed > 0 {
            // `Err`: nothing to write for now; `Ok(None)`: the writer is closing.
            let next = if idle {
                match receiver.try_recv() {
                    Ok(job) => Ok(Some(job)),
                    Err(mpsc::error::TryRecvError::Empty) => Err(()),
                    Err(mpsc::error::TryRecvError::Disconnected) => Ok(None),
                }
            } else {
                tokio::time::timeout(QUIET, receiver.recv()).await.map_err(drop)
            };
            match next {
                Ok(Some(job)) => job,
                Ok(None) => break,
                Err(()) => {
                    drop(receiver);
                    let _turn = take_turn(&turn, shared).await;
                    unindexed = index(&mut conn, &config.search, unindexed).await;
                    idle = true;
                    continue;
                }
            }
        } else if shared {
            match tokio::time::timeout(SWEEP_EVERY, receiver.recv()).await {
                Ok(Some(job)) => job,
                Ok(None) => break,
                Err(_) => continue,
            }
        } else {
            match receiver.recv().await {
                Some(job) => job,
                None => break,
            }
        };
        idle = false;
        // Jobs that arrive while a transaction outside the writer has the
        // turn join this batch.
        let _turn = take_turn(&turn, shared).await;
        let mut weight = first.work.weight();
        let mut jobs = vec![first];
        while weight < MAX_SPANS_PER_COMMIT {
            match receiver.try_recv() {
                Ok(job) => {
                    weight += job.work.weight();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        drop(receiver);
        let spans: usize = jobs.iter().map(|job| if let Work::Spans(s) = &job.work { s.len() } else { 0 }).sum();
        unindexed = unindexed.saturating_add(i64::try_from(spans).unwrap_or(i64::MAX));
        // Only spans and pending annotations can race (see `attach_stored`):
        // `sync=true` annotations of unknown targets are refused, never pending.
        let may_race = shared
            && jobs
                .iter()
                .any(|job| matches!(job.work, Work::Spans(_) | Work::Annotations { mode: WriteMode::Deferred, .. }));
        commit_batch(&mut conn, jobs, &config).await;
        if may_race {
            sweep(&mut conn, &config).await;
            last_sweep = Instant::now();
        }
        // Under ingestion sustained beyond the index's pace, the index
        // takes a turn after every batch: its lag stays below MAX_LAG.
        if unindexed > search::MAX_LAG {
            for _ in 0..spans.div_ceil(search::INDEX_BATCH as usize) {
                unindexed = index(&mut conn, &config.search, unindexed).await;
            }
        }
        if last_purge.elapsed() >= PURGE_EVERY {
            purge(&mut conn, &config).await;
            last_purge = Instant::now();
        }
    }
    tracing::debug!("writer drained and stopped");
}

/// The turn to write, for a writer on SQLite (one writer at a time, and
/// transactions outside it wait their turn rather than SQLite's lock). On
/// PostgreSQL, writers and replicas write side by side (row locks order
/// them), so writers take no turn: they would only wait for one another.
async fn take_turn(turn: &Mutex<()>, shared: bool) -> Option<MutexGuard<'_, ()>> {
    match shared {
        true => None,
        false => Some(turn.lock().await),
    }
}

/// Opens the writer's connection again if the database no longer answers on
/// it (a PostgreSQL restart, a proxy that cut it): without this, every
/// write would fail until the process restarts. One attempt per call; the
/// next failure tries again.
async fn heal(conn: &mut DbConnection, config: &WriterConfig) {
    if conn.ping().await.is_ok() {
        return;
    }
    let (options, cache_kib) = &config.reconnect;
    match reopen(options, *cache_kib).await {
        Ok(fresh) => {
            tracing::warn!("the writer's database connection broke and was opened again");
            *conn = fresh;
        }
        Err(error) => tracing::error!(%error, "the writer's database connection is broken and could not be reopened"),
    }
}

/// A new writer connection, prepared as the first one was.
async fn reopen(options: &sqlx::any::AnyConnectOptions, cache_kib: u32) -> sqlx::Result<DbConnection> {
    let mut fresh = sqlx::AnyConnection::connect_with(options).await?;
    let dialect = Dialect::of(&fresh);
    super::prepare(&mut fresh, dialect, cache_kib).await?;
    Ok(fresh)
}

/// Indexes one batch of spans for search; returns the new guess of spans
/// left to index (0 when caught up). A failure is logged and retried later.
async fn index(conn: &mut DbConnection, progress: &SearchProgress, unindexed: i64) -> i64 {
    match search::index_batch(conn, progress).await {
        Ok(0) => 0,
        Ok(indexed) => (unindexed - indexed).max(1),
        Err(error) => {
            tracing::warn!(%error, "indexing spans for search failed");
            0
        }
    }
}

/// Attaches the pending annotations whose targets are stored, in a
/// transaction of its own, with their webhook events; a failure is logged and
/// retried at the next sweep.
async fn sweep(conn: &mut DbConnection, config: &WriterConfig) {
    match attach_stored(conn, config).await {
        Ok(0) => {}
        Ok(targets) => tracing::debug!(targets, "pending annotations of stored targets attached"),
        Err(error) => {
            tracing::warn!(%error, "attaching pending annotations failed");
            heal(conn, config).await;
        }
    }
}

/// [`sweep`]'s work; returns how many targets it attached annotations to.
async fn attach_stored(conn: &mut DbConnection, config: &WriterConfig) -> Result<usize> {
    if !annotation_writes::any_pending(conn).await? {
        return Ok(0);
    }
    let now = crate::time::to_nanos(chrono::Utc::now());
    let mut tx = conn.begin_with(Dialect::of(conn).begin_write()).await?;
    let mut written = outbox::Written::new();
    let found = annotation_writes::attach_stored(&mut tx, config.pending_cutoff(now), &mut written).await?;
    record_events(&mut tx, config, &written, None, now).await?;
    tx.commit().await?;
    config.outbox.committed();
    Ok(found)
}

/// Drops expired pending annotations (attaching ignores them anyway).
async fn purge(conn: &mut DbConnection, config: &WriterConfig) {
    let cutoff = config.pending_cutoff(crate::time::to_nanos(chrono::Utc::now()));
    match annotation_writes::purge_expired(conn, cutoff).await {
        Ok(0) => {}
        Ok(dropped) => tracing::info!(dropped, "expired pending annotations dropped"),
        Err(error) => tracing::warn!(%error, "purging expired pending annotations failed"),
    }
}

/// Applies the jobs in one transaction, commits once, then answers each.
///
/// Fast path: no savepoints, and a run of annotation jobs of one kind shares
/// its lookups and statements. A job fails on its own only before it writes
/// anything (a `sync=true` annotation of an unknown span, say). If the
/// database fails midway, the batch is rolled back and replayed job by job,
/// each in a savepoint, so that one bad job can't sink the others.
async fn commit_batch(conn: &mut DbConnection, jobs: Vec<Job>, config: &WriterConfig) {
    let started = std::time::Instant::now();
    let works: Vec<&Work> = jobs.iter().map(|job| &job.work).collect();
    let now = crate::time::to_nanos(chrono::Utc::now());
    metrics::histogram!("plume_writer_batch_jobs").record(jobs.len() as f64);
    // Whether webhooks want annotation changes: one indexed lookup per
    // batch that writes annotations (`None`: not asked yet). The
    // one-statement path leaves no room for the outbox: taken only without,
    // and only on SQLite (PostgreSQL's upserts lock their keys first).
    let hooks = match works.iter().any(|work| matches!(work, Work::Annotations { .. })) {
        true => Some(outbox::active(conn).await.unwrap_or(true)),
        false => None,
    };
    if hooks == Some(false)
        && Dialect::of(conn) == Dialect::Sqlite
        && clicks_only_batch(&works)
        && clicks_only(conn, &works, now).await
    {
        tracing::trace!(jobs = jobs.len(), micros = started.elapsed().as_micros(), "batch committed in one statement");
        count_written(&works, |_| true);
        for job in jobs {
            let _ = job.done.send(Ok(Vec::new()));
        }
        return;
    }
    let outcomes = match apply_together(conn, &works, now, config, hooks).await {
        Ok(outcomes) => outcomes,
        Err(error) => {
            tracing::warn!(%error, jobs = works.len(), "write batch failed; retrying job by job");
            // A connection the database dropped fails every job alike.
            heal(conn, config).await;
            match apply_one_by_one(conn, &works, now, config, hooks).await {
                Ok(outcomes) => outcomes,
                Err(error) => {
                    tracing::error!(%error, jobs = works.len(), "write batch failed");
                    works.iter().map(|_| Err(Error::BatchFailed(error.to_string()))).collect()
                }
            }
        }
    };
    tracing::trace!(jobs = jobs.len(), micros = started.elapsed().as_micros(), "batch committed");
    config.outbox.committed();
    count_written(&works, |i| outcomes[i].is_ok());
    for (job, outcome) in jobs.into_iter().zip(outcomes) {
        // A caller that went away no longer needs the answer.
        let _ = job.done.send(outcome);
    }
}

/// Adds the spans and annotations of the committed jobs (those `committed`
/// says, by position) to `/metrics`' counters; spans already stored count too.
fn count_written(works: &[&Work], committed: impl Fn(usize) -> bool) {
    let (mut spans, mut annotations) = (0, 0);
    for (_, work) in works.iter().enumerate().filter(|(i, _)| committed(*i)) {
        match work {
            Work::Spans(new) => spans += new.len() as u64,
            Work::Annotations { items, .. } | Work::Review { items, .. } => annotations += items.len() as u64,
            Work::Next(_) => {}
        }
    }
    metrics::counter!("plume_spans_written_total").increment(spans);
    metrics::counter!("plume_annotations_written_total").increment(annotations);
}

/// One answer per job, in job order.
type Outcomes = Vec<Result<Vec<i64>>>;

/// Whether the batch is only `sync=false` annotations of one kind (what
/// [`clicks_only`] may write in one statement).
fn clicks_only_batch(works: &[&Work]) -> bool {
    let Some(Work::Annotations { kind, .. }) = works.first() else { return false };
    works.iter().all(|work| matches!(work, Work::Annotations { kind: k, mode: WriteMode::Deferred, .. } if k == kind))
}

/// Whether the batch ([`clicks_only_batch`]) was only `sync=false`
/// annotations of one kind on stored targets, and is now written by
/// [`annotation_writes::write_known_targets`] (one statement). Anything
/// else, or any failure, is left to the full path.
async fn clicks_only(conn: &mut DbConnection, works: &[&Work], now: i64) -> bool {
    let Some(Work::Annotations { kind, .. }) = works.first() else { return false };
    let jobs: Vec<annotation_writes::Job> = works
        .iter()
        .filter_map(|work| match work {
            Work::Annotations { items, .. } => Some((items.as_slice(), WriteMode::Deferred)),
            Work::Spans(_) | Work::Review { .. } | Work::Next(_) => None,
        })
        .collect();
    annotation_writes::write_known_targets(conn, *kind, &jobs, now).await.unwrap_or(false)
}

/// The fast path: every job in one transaction, no savepoints.
async fn apply_together(
    conn: &mut DbConnection,
    works: &[&Work],
    now: i64,
    config: &WriterConfig,
    hooks: Option<bool>,
) -> Result<Outcomes> {
    let mut tx = conn.begin_with(Dialect::of(conn).begin_write()).await?;
    let outcomes = apply(&mut tx, works, now, config, hooks).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// The replay after a failed batch: each job in its own savepoint, so a job
/// that fails is rolled back alone and the others still commit.
async fn apply_one_by_one(
    conn: &mut DbConnection,
    works: &[&Work],
    now: i64,
    config: &WriterConfig,
    hooks: Option<bool>,
) -> Result<Outcomes> {
    let mut tx = conn.begin_with(Dialect::of(conn).begin_write()).await?;
    let mut outcomes = Vec::with_capacity(works.len());
    for work in works {
        let mut savepoint = tx.begin().await?;
        match apply(&mut savepoint, std::slice::from_ref(work), now, config, hooks).await {
            Ok(mut outcome) => {
                savepoint.commit().await?;
                outcomes.push(outcome.pop().unwrap_or(Err(Error::Closed)));
            }
            Err(error) => {
                savepoint.rollback().await?;
                outcomes.push(Err(error));
            }
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Applies `works` in order, one outcome each, and records the events of
/// the annotations written if webhooks want them (`hooks`, looked up here
/// when `None`: spans can attach pending annotations); the error is a
/// database failure.
async fn apply(
    conn: &mut DbConnection,
    works: &[&Work],
    now: i64,
    config: &WriterConfig,
    hooks: Option<bool>,
) -> Result<Outcomes> {
    let mut outcomes = Vec::with_capacity(works.len());
    let mut written = outbox::Written::new();
    let mut rest = works;
    while let Some((first, _)) = rest.split_first() {
        match first {
            Work::Spans(spans) => {
                insert_spans(conn, spans, now, config.pending_cutoff(now), &mut written).await?;
                outcomes.push(Ok(Vec::new()));
                rest = &rest[1..];
            }
            Work::Review { kind, items, completion } => {
                outcomes.push(review(conn, *kind, items, completion, now, &mut written).await?);
                rest = &rest[1..];
            }
            Work::Next(ask) => {
                let reserved = queues::reserve_next(conn, ask, now).await?;
                outcomes.push(reserved.map(|held| held.map_or_else(Vec::new, |(item, until)| vec![item, until])));
                rest = &rest[1..];
            }
            Work::Annotations { kind, .. } => {
                let run = rest
                    .iter()
                    .take_while(|work| matches!(work, Work::Annotations { kind: k, .. } if k == kind))
                    .count();
                let jobs: Vec<annotation_writes::Job> = rest[..run]
                    .iter()
                    .filter_map(|work| match work {
                        Work::Annotations { items, mode, .. } => Some((items.as_slice(), *mode)),
                        Work::Spans(_) | Work::Review { .. } | Work::Next(_) => None,
                    })
                    .collect();
                outcomes.extend(annotation_writes::write(conn, *kind, &jobs, now, &mut written).await?);
                rest = &rest[run..];
            }
        }
    }
    record_events(conn, config, &written, hooks, now).await?;
    Ok(outcomes)
}

/// Records the events of the annotations `written` if webhooks want them
/// (`hooks`, looked up here when `None`).
async fn record_events(
    conn: &mut DbConnection,
    config: &WriterConfig,
    written: &outbox::Written,
    hooks: Option<bool>,
    now: i64,
) -> Result<()> {
    if written.is_empty() {
        return Ok(());
    }
    let wanted = match hooks {
        Some(known) => known,
        None => outbox::active(conn).await?,
    };
    if wanted {
        outbox::record_written(conn, &config.outbox, written, now).await?;
    }
    Ok(())
}

/// A review's completion: refused (409) before anything is written unless
/// the reviewer may complete it now; then their annotations (refused alone,
/// before writing, like any `sync=true` job) and the review marked done.
async fn review(
    conn: &mut DbConnection,
    kind: TargetKind,
    items: &[NewAnnotation],
    completion: &Completion,
    now: i64,
    written: &mut outbox::Written,
) -> Result<Result<Vec<i64>>> {
    if let Err(refusal) = queues::completable(conn, completion).await? {
        return Ok(Err(refusal));
    }
    if !items.is_empty() {
        let outcome = annotation_writes::write(conn, kind, &[(items, WriteMode::Sync)], now, written).await?;
        if let Some(Err(refusal)) = outcome.into_iter().next() {
            return Ok(Err(refusal));
        }
    }
    queues::finish(conn, completion, now).await?;
    Ok(Ok(Vec::new()))
}

/// Projects and sessions are created on first use, traces widened, spans
/// inserted unless their id is stored already; annotations that were waiting
/// for these spans, traces or sessions are attached (received after `cutoff`).
async fn insert_spans(
    conn: &mut DbConnection,
    spans: &[NewSpan],
    now: i64,
    cutoff: i64,
    written: &mut outbox::Written,
) -> Result<()> {
    let mut project_ids: HashMap<&str, i64> = HashMap::new();
    for span in spans {
        if !project_ids.contains_key(&*span.project) {
            let id = project_id(conn, &span.project, now).await?;
            project_ids.insert(&span.project, id);
        }
    }

    // One row per session and per trace, spanning all of its spans in this
    // batch. Sessions in order of first appearance (their rowids follow
    // arrival: the sessions list's order); traces in order of their ids, so
    // writers that upsert the same traces at once (PostgreSQL's two,
    // replicas) lock them in one order: one waits for the other instead of
    // both waiting for each other.
    let mut sessions: Aggregate<(i64, i64, i64)> = Aggregate::default();
    let mut traces: BTreeMap<&str, (i64, i64, i64, Option<&str>)> = BTreeMap::new();
    for span in spans {
        let project = project_ids[&*span.project];
        if let Some(session) = span.session_id.as_deref() {
            let entry = sessions.entry(session, (project, span.start_time, span.end_time));
            entry.1 = entry.1.min(span.start_time);
            entry.2 = entry.2.max(span.end_time);
        }
        let entry = traces.entry(&span.trace_id).or_insert((project, span.start_time, span.end_time, None));
        entry.1 = entry.1.min(span.start_time);
        entry.2 = entry.2.max(span.end_time);
        entry.3 = entry.3.or(span.session_id.as_deref());
    }

    let dialect = Dialect::of(conn);
    let (least, greatest) = (dialect.least(), dialect.greatest());
    let mut session_rowids: HashMap<String, i64> = HashMap::new();
    for chunk in sessions.rows.chunks(ROWS_PER_STATEMENT) {
        let mut query = Sql::new("INSERT INTO sessions (project_id, session_id, start_time, end_time) ");
        query.push_values(chunk, |mut row, (session, (project, start, end))| {
            row.push_bind(*project).push_bind(*session).push_bind(*start).push_bind(*end);
        });
        query.push(format!(
            " ON CONFLICT (session_id) DO UPDATE \
             SET start_time = {least}(sessions.start_time, excluded.start_time), \
             end_time = {greatest}(sessions.end_time, excluded.end_time) RETURNING id, session_id",
        ));
        for (id, session) in query.build_query_as::<(i64, String)>(Dialect::of(conn)).fetch_all(&mut *conn).await? {
            session_rowids.insert(session, id);
        }
    }

    let mut trace_rowids: HashMap<String, i64> = HashMap::new();
    for chunk in Vec::from_iter(traces).chunks(ROWS_PER_STATEMENT) {
        let mut query = Sql::new("INSERT INTO traces (project_id, trace_id, session_rowid, start_time, end_time) ");
        query.push_values(chunk, |mut row, (trace, (project, start, end, session))| {
            let session = session.and_then(|s| session_rowids.get(s).copied());
            row.push_bind(*project).push_bind(*trace).push_bind(session).push_bind(*start).push_bind(*end);
        });
        query.push(format!(
            " ON CONFLICT (trace_id) DO UPDATE SET start_time = {least}(traces.start_time, excluded.start_time), \
             end_time = {greatest}(traces.end_time, excluded.end_time), \
             session_rowid = coalesce(traces.session_rowid, excluded.session_rowid) RETURNING id, trace_id",
        ));
        for (id, trace) in query.build_query_as::<(i64, String)>(Dialect::of(conn)).fetch_all(&mut *conn).await? {
            trace_rowids.insert(trace, id);
        }
    }

    for chunk in spans.chunks(ROWS_PER_STATEMENT) {
        let mut query = Sql::new(
            "INSERT INTO spans (project_id, trace_rowid, span_id, parent_id, name, span_kind, \
             start_time, end_time, status_code, status_message, attributes, events, \
             resource_attributes, prompt_tokens, completion_tokens) ",
        );
        query.push_values(chunk, |mut row, span| {
            row.push_bind(project_ids[&*span.project])
                .push_bind(trace_rowids[&span.trace_id])
                .push_bind(&span.span_id)
                .push_bind(&span.parent_id)
                .push_bind(&span.name)
                .push_bind(&span.span_kind)
                .push_bind(span.start_time)
                .push_bind(span.end_time)
                .push_bind(span.status_code)
                .push_bind(&span.status_message)
                .push_bind(&span.attributes)
                .push_bind(&span.events)
                .push_bind(&*span.resource_attributes)
                .push_bind(span.prompt_tokens)
                .push_bind(span.completion_tokens);
        });
        query.push(" ON CONFLICT (span_id) DO NOTHING");
        query.build(Dialect::of(conn)).execute(&mut *conn).await?;
    }

    if annotation_writes::any_pending(conn).await? {
        let span_ids: Vec<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
        let trace_ids: Vec<&str> = trace_rowids.keys().map(String::as_str).collect();
        let session_ids: Vec<&str> = session_rowids.keys().map(String::as_str).collect();
        annotation_writes::attach_pending(conn, TargetKind::Span, &span_ids, cutoff, written).await?;
        annotation_writes::attach_pending(conn, TargetKind::Trace, &trace_ids, cutoff, written).await?;
        annotation_writes::attach_pending(conn, TargetKind::Session, &session_ids, cutoff, written).await?;
        let document_keys = annotation_writes::pending_document_keys(conn, &span_ids).await?;
        let document_keys: Vec<&str> = document_keys.iter().map(String::as_str).collect();
        annotation_writes::attach_pending(conn, TargetKind::Document, &document_keys, cutoff, written).await?;
    }
    Ok(())
}

/// Values keyed by a string, kept in order of first insertion.
struct Aggregate<'a, V> {
    rows: Vec<(&'a str, V)>,
    index: HashMap<&'a str, usize>,
}

impl<V> Default for Aggregate<'_, V> {
    fn default() -> Self {
        Aggregate { rows: Vec::new(), index: HashMap::new() }
    }
}

impl<'a, V> Aggregate<'a, V> {
    /// The value for `key`, inserting `initial` the first time.
    fn entry(&mut self, key: &'a str, initial: V) -> &mut V {
        let next = self.rows.len();
        let position = *self.index.entry(key).or_insert(next);
        if position == next {
            self.rows.push((key, initial));
        }
        &mut self.rows[position].1
    }
}

/// The id of the named project, creating it if needed. Another writer may
/// create it at the same moment (PostgreSQL's two writers, replicas): its row
/// then wins, and this one reads it once that commits.
async fn project_id(conn: &mut DbConnection, name: &str, now: i64) -> Result<i64> {
    let select = "SELECT id FROM projects WHERE name = $1";
    if let Some(id) = sqlx::query_scalar(select).bind(name).fetch_optional(&mut *conn).await? {
        return Ok(id);
    }
    let created = sqlx::query_scalar(
        "INSERT INTO projects (name, created_at, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(now)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    match created {
        Some(id) => Ok(id),
        None => Ok(sqlx::query_scalar(select).bind(name).fetch_one(&mut *conn).await?),
    }
}
