//! The writer's side of annotations: upserts, the all-or-nothing check of
//! `sync=true`, pending annotations for targets not stored yet, and their
//! attachment in the transaction that stores the target.

use super::db::{DbConnection, Dialect, Flag, Float, Separated, Sql};
use std::collections::HashMap;

use sqlx::FromRow;

use super::annotations::{NewAnnotation, Tables, WriteMode, tables};
use super::outbox::Written;
use super::{Error, Result, push_values};
use crate::model::accounts::Author;
use crate::model::{AnnotationResult, AnnotationSource, AnnotatorKind, TargetKind};

/// Bound parameters per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;

/// One job's annotations and how to write them.
pub(super) type Job<'a> = (&'a [NewAnnotation], WriteMode);

/// Writes the annotations of several jobs (in order, so the last of equal
/// keys wins) with one lookup and one multi-row statement per 500 rows,
/// however many jobs there are: many clicks share the cost. A
/// [`WriteMode::Sync`] job with an unknown target fails alone, before anything
/// of it is written; the outer error is a database failure.
///
/// Each job's outcome: the rowid of each item for [`WriteMode::Sync`], nothing
/// for [`WriteMode::Deferred`].
pub(super) async fn write(
    conn: &mut DbConnection,
    kind: TargetKind,
    jobs: &[Job<'_>],
    now: i64,
    written: &mut Written,
) -> Result<Vec<Result<Vec<i64>>>> {
    let mut wanted: Vec<&str> = jobs.iter().flat_map(|(items, _)| items.iter().map(|i| i.target_id.as_str())).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let keys = jobs.iter().flat_map(|(items, _)| items.iter());
    let rowids = target_rowids(conn, kind, &wanted, keys).await?;
    let foreign = foreign_annotations(conn, kind, jobs, &rowids).await?;

    let mut refused: Vec<Option<Error>> = Vec::with_capacity(jobs.len());
    let mut stored = Vec::new();
    let mut pending = Vec::new();
    for (items, mode) in jobs {
        if *mode == WriteMode::Sync {
            let mut missing: Vec<&str> = Vec::new();
            for item in *items {
                let id = item.target_id.as_str();
                if !rowids.contains_key(id) && !missing.contains(&id) {
                    missing.push(id);
                }
            }
            if !missing.is_empty() {
                let message = format!("{} with IDs {} do not exist.", kind.plural(), missing.join(", "));
                refused.push(Some(Error::NotFound(message)));
                continue;
            }
        }
        if let Some(error) = foreign.iter().find_map(|row| row.refuses(items, &rowids)) {
            refused.push(Some(error));
            continue;
        }
        refused.push(None);
        for item in *items {
            match rowids.get(item.target_id.as_str()) {
                Some(&rowid) => stored.push(Upsert { target_rowid: rowid, item, at: now }),
                None => pending.push(item),
            }
        }
    }
    let ids = upsert_many(conn, kind, stored, written).await?;
    insert_pending(conn, kind, &pending, now).await?;

    Ok(jobs
        .iter()
        .zip(refused)
        .map(|((items, mode), refusal)| match (refusal, mode) {
            (Some(error), _) => Err(error),
            (None, WriteMode::Deferred) => Ok(Vec::new()),
            (None, WriteMode::Sync) => {
                Ok(items.iter().map(|item| ids[&key(rowids[item.target_id.as_str()], item)]).collect())
            }
        })
        .collect())
}

/// The common case of `sync=false` clicks in one statement, so one round
/// trip to SQLite instead of four (SQLite only: on PostgreSQL the writer's
/// upserts take their keys' locks first, see [`key_locks`]): upserts every item of `jobs` (all
/// [`WriteMode::Deferred`]) as a single autocommit statement, which is
/// atomic and, with `synchronous=FULL`, durable when it returns. An unknown
/// target leaves `target_rowid` NULL, and so does an item that would replace
/// someone else's annotation (`only_own`): the statement fails as a whole and
/// writes nothing; the answer is then `false` and the caller takes the full
/// path, which keeps such annotations as pending.
pub(super) async fn write_known_targets(
    conn: &mut DbConnection,
    kind: TargetKind,
    jobs: &[Job<'_>],
    now: i64,
) -> Result<bool> {
    let items: Vec<&NewAnnotation> = jobs.iter().flat_map(|(items, _)| items.iter()).collect();
    let items = merge_equal_keys(items, |item| (&item.name, &item.target_id, &item.identifier));
    if items.len() > ROWS_PER_UPSERT {
        return Ok(false);
    }
    let Tables { annotations, targets, id_column, .. } = tables(kind);
    let mut query = Sql::new(format!(
        "INSERT INTO {annotations} (project_id, target_rowid, name, label, score, explanation, metadata, \
         annotator_kind, identifier, source, user_id, api_key_id, created_at, updated_at) \
         SELECT (SELECT project_id FROM {targets} WHERE {id_column} = v.column1), CASE WHEN v.column13 AND EXISTS (SELECT 1 FROM {annotations} a \
             WHERE a.target_rowid = (SELECT id FROM {targets} WHERE {id_column} = v.column1) \
             AND a.name = v.column2 AND a.identifier = v.column8 AND {FOREIGN}) \
         THEN NULL ELSE (SELECT id FROM {targets} WHERE {id_column} = v.column1) END, \
         v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, v.column10, \
         v.column11, v.column12, v.column12 FROM ("
    ));
    query.push_values(&items, |mut values, item| {
        values.push_bind(&item.target_id);
        push_fields(&mut values, item);
        values.push_bind(now).push_bind(item.only_own);
    });
    // `WHERE true` lets SQLite tell the upsert clause from a join constraint.
    query.push(format!(") AS v WHERE true {UPSERT_CLAUSE}"));
    match query.build(Dialect::of(conn)).execute(&mut *conn).await {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(error)) if error.kind() == sqlx::error::ErrorKind::NotNullViolation => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Moves the pending annotations of the given targets (just stored) into
/// their table, oldest first so that the last received wins; expired ones
/// (received before `cutoff`) are dropped.
pub(super) async fn attach_pending(
    conn: &mut DbConnection,
    kind: TargetKind,
    target_ids: &[&str],
    cutoff: i64,
    written: &mut Written,
) -> Result<()> {
    let mut pending: Vec<PendingRow> = Vec::new();
    for chunk in target_ids.chunks(IDS_PER_STATEMENT) {
        let mut query = Sql::new("DELETE FROM pending_annotations WHERE target_kind = ");
        query.push_bind(kind.as_str()).push(" AND target_id IN ");
        push_values(&mut query, chunk.iter().copied());
        query.push(
            " RETURNING id, target_id, name, label, score, explanation, metadata, annotator_kind, identifier, \
             source, user_id, api_key_id, received_at",
        );
        pending.extend(query.build_query_as::<PendingRow>(Dialect::of(conn)).fetch_all(&mut *conn).await?);
    }
    pending.retain(|row| row.received_at >= cutoff);
    if pending.is_empty() {
        return Ok(());
    }
    pending.sort_by_key(|row| (row.received_at, row.id));
    let mut wanted: Vec<&str> = pending.iter().map(|row| row.target_id.as_str()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let items: Vec<NewAnnotation> = pending.iter().map(PendingRow::to_new_annotation).collect();
    let rowids = target_rowids(conn, kind, &wanted, items.iter()).await?;
    let items: Vec<(i64, &NewAnnotation, i64)> = pending
        .iter()
        .zip(&items)
        .filter_map(|(row, item)| Some((*rowids.get(row.target_id.as_str())?, item, row.received_at)))
        .collect();
    let rows = items.iter().map(|(rowid, item, at)| Upsert { target_rowid: *rowid, item, at: *at }).collect();
    upsert_many(conn, kind, rows, written).await?;
    Ok(())
}

/// Pending annotations looked at per [`attach_stored`] statement.
const SWEPT_PER_STATEMENT: i64 = 5_000;

/// Attaches the pending annotations whose targets are stored, whoever stored
/// them; returns how many targets it found.
///
/// Several replicas on one PostgreSQL need this: under READ COMMITTED, a
/// replica storing a span does not see an annotation pending in another
/// replica's transaction that has not committed yet, and that transaction
/// did not see the span either, so both commit and the annotation stays
/// pending while its span exists. Each replica runs this after committing
/// spans or pending annotations: of two racing transactions, the one that
/// commits last sees the other's rows here. Run at start and now and then as
/// well, it also attaches what a replica killed between its commit and this
/// left behind. (One SQLite writer serialises everything: there the
/// transaction that stores a span always sees the annotations pending.)
pub(super) async fn attach_stored(conn: &mut DbConnection, cutoff: i64, written: &mut Written) -> Result<usize> {
    let mut found = 0;
    for kind in [TargetKind::Span, TargetKind::Trace, TargetKind::Session, TargetKind::Document] {
        // A document's key is its span's 16-digit id, `:` and its position.
        let stored = match kind {
            TargetKind::Document => "EXISTS (SELECT 1 FROM spans s WHERE s.span_id = substr(p.target_id, 1, 16)) \
                 AND substr(p.target_id, 17, 1) = ':'"
                .to_owned(),
            _ => {
                let Tables { targets, id_column, .. } = tables(kind);
                format!("EXISTS (SELECT 1 FROM {targets} t WHERE t.{id_column} = p.target_id)")
            }
        };
        loop {
            let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT DISTINCT p.target_id FROM pending_annotations p WHERE p.target_kind = $1 AND {stored} LIMIT $2"
            )))
            .bind(kind.as_str())
            .bind(SWEPT_PER_STATEMENT)
            .fetch_all(&mut *conn)
            .await?;
            found += ids.len();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            attach_pending(conn, kind, &ids, cutoff, written).await?;
            if ids.len() < SWEPT_PER_STATEMENT as usize {
                break;
            }
        }
    }
    Ok(found)
}

/// Whether any annotation is pending (lets span inserts skip the lookups).
pub(super) async fn any_pending(conn: &mut DbConnection) -> Result<bool> {
    let pending: Flag =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pending_annotations)").fetch_one(&mut *conn).await?;
    Ok(pending.0)
}

/// Drops pending annotations received before `cutoff`; returns how many.
pub(super) async fn purge_expired(conn: &mut DbConnection, cutoff: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM pending_annotations WHERE received_at < $1").bind(cutoff).execute(conn).await?;
    Ok(done.rows_affected())
}

/// `a` (an annotation row) was not made by `v` (the new row, with its
/// `user_id` in `column10` and `api_key_id` in `column11`): the negation of
/// [`Author::made`], in SQL.
const FOREIGN: &str = "CASE WHEN v.column10 IS NOT NULL THEN a.user_id IS DISTINCT FROM v.column10 \
     ELSE NOT (a.user_id IS NULL AND a.api_key_id IS NOT DISTINCT FROM v.column11) END";

/// A stored annotation that an `only_own` item would replace, and its author.
struct Foreign {
    target_rowid: i64,
    name: String,
    identifier: String,
    author: Author,
}

impl Foreign {
    /// The refusal of a job one of whose `only_own` items would replace this row.
    fn refuses(&self, items: &[NewAnnotation], rowids: &HashMap<String, i64>) -> Option<Error> {
        items
            .iter()
            .any(|item| {
                item.only_own
                    && rowids.get(item.target_id.as_str()) == Some(&self.target_rowid)
                    && item.name == self.name
                    && item.identifier == self.identifier
                    && !item.author.made(self.author)
            })
            .then(|| {
                Error::Forbidden(format!(
                    "An annotation named {:?} with identifier {:?} by someone else exists on this target; only \
                     admins may replace it (use another identifier)",
                    self.name, self.identifier
                ))
            })
    }
}

/// The stored annotations that the `only_own` items of `jobs` (on stored
/// targets) would replace; usually no item asks, and nothing is queried.
async fn foreign_annotations(
    conn: &mut DbConnection,
    kind: TargetKind,
    jobs: &[Job<'_>],
    rowids: &HashMap<String, i64>,
) -> Result<Vec<Foreign>> {
    let checked: Vec<(i64, &NewAnnotation)> = jobs
        .iter()
        .flat_map(|(items, _)| items.iter())
        .filter(|item| item.only_own)
        .filter_map(|item| Some((*rowids.get(item.target_id.as_str())?, item)))
        .collect();
    let table = tables(kind).annotations;
    let mut found = Vec::new();
    for chunk in checked.chunks(IDS_PER_STATEMENT / 3) {
        let mut query = Sql::new(format!(
            "SELECT target_rowid, name, identifier, user_id, api_key_id FROM {table} \
             WHERE (target_rowid, name, identifier) IN (VALUES "
        ));
        let mut rows = query.separated(", ");
        for (rowid, item) in chunk {
            rows.push("(")
                .push_bind_unseparated(*rowid)
                .push_unseparated(", ")
                .push_bind_unseparated(item.name.clone())
                .push_unseparated(", ")
                .push_bind_unseparated(item.identifier.clone())
                .push_unseparated(")");
        }
        query.push(")");
        let rows = query
            .build_query_as::<(i64, String, String, Option<i64>, Option<i64>)>(Dialect::of(conn))
            .fetch_all(&mut *conn)
            .await?;
        for (target_rowid, name, identifier, user_id, api_key_id) in rows {
            found.push(Foreign { target_rowid, name, identifier, author: Author { user_id, api_key_id } });
        }
    }
    Ok(found)
}

/// Rowids of the stored targets among `ids`. A document is stored once its
/// span is and its position is among the span's `retrieval.documents`; its
/// row is made here, when first annotated.
///
/// On PostgreSQL the same statements first take the locks of the keys that
/// `items` will upsert (see [`key_locks`]): no round trip of their own.
async fn target_rowids<'a>(
    conn: &mut DbConnection,
    kind: TargetKind,
    ids: &[&str],
    items: impl Iterator<Item = &'a NewAnnotation>,
) -> Result<HashMap<String, i64>> {
    if kind == TargetKind::Document {
        add_documents(conn, ids).await?;
    }
    let dialect = Dialect::of(conn);
    let locks = match dialect {
        Dialect::Postgres => key_locks(kind, items),
        Dialect::Sqlite => Vec::new(),
    };
    let Tables { targets, id_column, .. } = tables(kind);
    let mut found = HashMap::new();
    // Statement `n` takes the `n`th chunk of locks: all in one order.
    let mut lock_chunks = locks.chunks(IDS_PER_STATEMENT);
    for ids in ids.chunks(IDS_PER_STATEMENT) {
        let mut query = Sql::new(format!("SELECT {id_column}, id FROM {targets} WHERE {id_column} IN "));
        push_values(&mut query, ids.iter().copied());
        if let Some(locks) = lock_chunks.next() {
            // A condition without columns runs once, before the scan (a
            // "One-Time Filter"), so the locks are taken even when no target
            // is found.
            query.push(" AND (SELECT ");
            push_locks(&mut query, locks);
            query.push(") >= 0");
        }
        found.extend(query.build_query_as::<(String, i64)>(dialect).fetch_all(&mut *conn).await?);
    }
    // More keys than targets: the rest of the locks alone.
    for locks in lock_chunks {
        let mut query = Sql::new("SELECT ");
        push_locks(&mut query, locks);
        query.build(dialect).execute(&mut *conn).await?;
    }
    Ok(found)
}

/// The SQL count of a span `s`'s retrieved documents: the length of a
/// `retrieval.documents` array, or (as OpenInference sends them) one more
/// than the largest `N` of flat `retrieval.documents.N.…` keys.
pub(super) fn document_count(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "max(coalesce(json_array_length(s.attributes, '$.\"retrieval.documents\"'), 0), \
             coalesce((SELECT max(CAST(substr(j.key, 21, instr(substr(j.key, 21), '.') - 1) AS INTEGER)) + 1 \
             FROM json_each(s.attributes) j WHERE j.key LIKE 'retrieval.documents.%.%'), 0))"
        }
        Dialect::Postgres => {
            "GREATEST(coalesce(CASE WHEN jsonb_typeof(s.attributes::jsonb -> 'retrieval.documents') = 'array' \
             THEN jsonb_array_length(s.attributes::jsonb -> 'retrieval.documents') END, 0), \
             coalesce((SELECT max(CAST(split_part(substr(j.key, 21), '.', 1) AS BIGINT)) + 1 \
             FROM jsonb_object_keys(s.attributes::jsonb) j(key) \
             WHERE j.key ~ '^retrieval\\.documents\\.[0-9]+\\.'), 0))"
        }
    }
}

/// Makes the `span_documents` rows of the document keys among `keys` whose
/// span is stored and has a document at that position.
async fn add_documents(conn: &mut DbConnection, keys: &[&str]) -> Result<()> {
    let documents: Vec<(&str, &str, i64)> = keys
        .iter()
        .filter_map(|key| crate::model::split_document_key(key).map(|(span_id, position)| (*key, span_id, position)))
        .collect();
    for chunk in documents.chunks(IDS_PER_STATEMENT / 3) {
        let mut query = Sql::new(
            "INSERT INTO span_documents (span_rowid, project_id, span_id, position, document_key) \
             SELECT s.id, s.project_id, s.span_id, v.column2, v.column3 FROM (",
        );
        query.push_values(chunk, |mut values, (key, span_id, position)| {
            values.push_bind(*span_id).push_bind(*position).push_bind(*key);
        });
        query.push(format!(
            ") AS v JOIN spans s ON s.span_id = v.column1 WHERE v.column2 >= 0 AND v.column2 < {document_count} \
             ON CONFLICT (document_key) DO NOTHING",
            document_count = document_count(Dialect::of(conn)),
        ));
        query.build(Dialect::of(conn)).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The keys of the pending document annotations of the spans `span_ids`
/// (just stored), for [`attach_pending`]: keys between `span_id:` and
/// `span_id;` (`;` follows `:`), a range the pending index answers.
pub(super) async fn pending_document_keys(conn: &mut DbConnection, span_ids: &[&str]) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    for chunk in span_ids.chunks(IDS_PER_STATEMENT) {
        let mut query = Sql::new("SELECT DISTINCT p.target_id FROM pending_annotations p JOIN (");
        query.push_values(chunk, |mut values, id| {
            values.push_bind(*id);
        });
        query.push(
            ") AS v ON p.target_kind = 'document' AND p.target_id > v.column1 || ':' \
             AND p.target_id < v.column1 || ';'",
        );
        keys.extend(query.build_query_scalar::<String>(Dialect::of(conn)).fetch_all(&mut *conn).await?);
    }
    keys.retain(|key| crate::model::split_document_key(key).is_some_and(|(span_id, _)| span_ids.contains(&span_id)));
    Ok(keys)
}

/// An annotation to store on a known target, received at `at` (ns).
struct Upsert<'a> {
    target_rowid: i64,
    item: &'a NewAnnotation,
    at: i64,
}

/// The upsert key: (name, target, identifier).
type Key = (String, i64, String);

fn key(target_rowid: i64, item: &NewAnnotation) -> Key {
    (item.name.clone(), target_rowid, item.identifier.clone())
}

/// Merges rows of equal keys: the merged row takes the place of the first
/// and the values of the last (which wins).
fn merge_equal_keys<T, K: std::hash::Hash + Eq>(rows: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut position: HashMap<K, usize> = HashMap::with_capacity(rows.len());
    let mut merged: Vec<T> = Vec::with_capacity(rows.len());
    for row in rows {
        match position.entry(key(&row)) {
            std::collections::hash_map::Entry::Occupied(at) => merged[*at.get()] = row,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(merged.len());
                merged.push(row);
            }
        }
    }
    merged
}

/// Replaces the row of an existing key but for its id and `created_at`.
pub(super) const UPSERT_CLAUSE: &str = "ON CONFLICT (name, target_rowid, identifier) DO UPDATE SET label = excluded.label, \
     score = excluded.score, explanation = excluded.explanation, metadata = excluded.metadata, \
     annotator_kind = excluded.annotator_kind, source = excluded.source, user_id = excluded.user_id, \
     api_key_id = excluded.api_key_id, \
     updated_at = excluded.updated_at";

/// Rows per multi-row upsert (13 bound parameters each).
const ROWS_PER_UPSERT: usize = 500;

/// Inserts or replaces annotations by key, keeping a replaced row's id and
/// `created_at`. Equal keys are merged first (one statement may not touch a
/// row twice on PostgreSQL): the row takes the place of the first, so new
/// ids follow first appearance as with one upsert per item, and the values
/// of the last, which wins. Returns the id of every key, and adds each row to `written`.
async fn upsert_many(
    conn: &mut DbConnection,
    kind: TargetKind,
    rows: Vec<Upsert<'_>>,
    written: &mut Written,
) -> Result<HashMap<Key, i64>> {
    let rows = merge_equal_keys(rows, |row| key(row.target_rowid, row.item));
    let Tables { annotations: table, targets, .. } = tables(kind);
    let mut ids = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_UPSERT) {
        let mut query = Sql::new(format!(
            "INSERT INTO {table} (project_id, target_rowid, name, label, score, explanation, metadata, \
             annotator_kind, identifier, source, user_id, api_key_id, created_at, updated_at) "
        ));
        query.push_values(chunk, |mut values, row| {
            values
                .push(format!("(SELECT project_id FROM {targets} WHERE id = "))
                .push_bind_unseparated(row.target_rowid)
                .push_unseparated(")")
                .push_bind(row.target_rowid);
            push_fields(&mut values, row.item);
            values.push_bind(row.at).push_bind(row.at);
        });
        // A row just inserted has `created_at = updated_at`; a replaced one
        // kept its `created_at` from an earlier batch.
        query.push(format!(" {UPSERT_CLAUSE} RETURNING id, name, target_rowid, identifier, created_at = updated_at"));
        for (id, name, target_rowid, identifier, created) in
            query.build_query_as::<(i64, String, i64, String, Flag)>(Dialect::of(conn)).fetch_all(&mut *conn).await?
        {
            written.push((kind, id, created.0));
            ids.insert((name, target_rowid, identifier), id);
        }
    }
    Ok(ids)
}

/// The advisory locks that PostgreSQL's writers take on the keys (name,
/// target, identifier) of `items` for the rest of the transaction, before any
/// is written: sorted hashes, so every writer takes its locks in one order.
///
/// Writers side by side (PostgreSQL's two, replicas) may upsert the same keys
/// in different orders: re-run evaluations, say. Each upsert locks its row
/// (or waits on the other's insert of it) until the commit, so two batches
/// that met in opposite orders waited for each other until PostgreSQL broke
/// the deadlock after a second and the writer replayed its batch. Now the
/// second waits for the first at the first key they share, holding none the
/// first needs. Advisory locks live in memory: nothing written, no WAL. A
/// 32-bit hash of the target's id as sent (so the locks can be taken in the
/// statement that finds the targets, [`target_rowids`]): two keys that
/// collide only wait for each other. SQLite has one writer and needs none.
fn key_locks<'a>(kind: TargetKind, items: impl Iterator<Item = &'a NewAnnotation>) -> Vec<i32> {
    use sha2::{Digest, Sha256};
    let mut hashes: Vec<i32> = items
        .map(|item| {
            let mut hash = Sha256::new();
            hash.update(kind.as_str());
            for part in [&item.name, &item.target_id, &item.identifier] {
                hash.update(0u32.to_be_bytes());
                hash.update(part.as_bytes());
            }
            let digest = hash.finalize();
            i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// `count(…) FROM (VALUES …)` taking the advisory locks `hashes` (rows in
/// VALUES order, so locks in that order): the rest of a `SELECT`.
fn push_locks(query: &mut Sql, hashes: &[i32]) {
    query.push("count(pg_advisory_xact_lock(").push_bind(ANNOTATION_KEY_LOCKS).push(", k.column1)) FROM (");
    query.push_values(hashes, |mut values, hash| {
        values.push_bind(*hash);
    });
    query.push(") AS k");
}

/// The first key of [`key_locks`]' advisory locks (the second is the hash):
/// its own space, apart from other users of advisory locks ("PlAn").
const ANNOTATION_KEY_LOCKS: i32 = 0x506c_416e;

/// Binds the columns both annotation tables share, in their order: `name,
/// label, score, explanation, metadata, annotator_kind, identifier, source, user_id, api_key_id`.
fn push_fields(values: &mut Separated<'_>, item: &NewAnnotation) {
    values
        .push_bind(&item.name)
        .push_bind(&item.result.label)
        .push_bind(Float(item.result.score))
        .push_bind(&item.result.explanation)
        .push_bind(&item.metadata)
        .push_bind(item.annotator_kind.as_str())
        .push_bind(&item.identifier)
        .push_bind(item.source.as_str())
        .push_bind(item.author.user_id)
        .push_bind(item.author.api_key_id);
}

/// Keeps annotations of targets not stored yet, received at `now`.
async fn insert_pending(conn: &mut DbConnection, kind: TargetKind, items: &[&NewAnnotation], now: i64) -> Result<()> {
    for chunk in items.chunks(ROWS_PER_UPSERT) {
        let mut query = Sql::new(
            "INSERT INTO pending_annotations (target_kind, target_id, name, label, score, explanation, metadata, \
             annotator_kind, identifier, source, user_id, api_key_id, received_at) ",
        );
        query.push_values(chunk, |mut values, item| {
            values.push_bind(kind.as_str()).push_bind(&item.target_id);
            push_fields(&mut values, item);
            values.push_bind(now);
        });
        query.build(Dialect::of(conn)).execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(FromRow)]
struct PendingRow {
    id: i64,
    target_id: String,
    name: String,
    label: Option<String>,
    score: Option<f64>,
    explanation: Option<String>,
    metadata: String,
    annotator_kind: String,
    identifier: String,
    source: String,
    user_id: Option<i64>,
    api_key_id: Option<i64>,
    received_at: i64,
}

impl PendingRow {
    fn to_new_annotation(&self) -> NewAnnotation {
        NewAnnotation {
            target_id: self.target_id.clone(),
            name: self.name.clone(),
            annotator_kind: AnnotatorKind::parse(&self.annotator_kind).unwrap_or(AnnotatorKind::Human),
            result: AnnotationResult {
                label: self.label.clone(),
                score: self.score,
                explanation: self.explanation.clone(),
            },
            metadata: self.metadata.clone(),
            identifier: self.identifier.clone(),
            source: AnnotationSource::parse(&self.source),
            author: Author { user_id: self.user_id, api_key_id: self.api_key_id },
            only_own: false,
        }
    }
}
