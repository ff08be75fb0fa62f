//! Text search over spans: what it reads of a span, the trigram index that
//! finds candidates fast, and the `LIKE` test that decides.
//!
//! # What matches
//!
//! A search text matches a span when it occurs, as one substring (spaces,
//! quotes and punctuation included, ASCII letters in either case), in the
//! span's name, its `input.value` or `output.value`, or the text of the
//! messages inside them (the strings of a JSON input or output, decoded, and
//! the `llm.input_messages.*` / `llm.output_messages.*` attributes). That is
//! the `LIKE '%text%'` test of [`push_like`], applied however a search is
//! answered, so that the answer does not depend on how it was found.
//!
//! # How it is found
//!
//! `span_text` (migration 0007) is an FTS5 trigram index of those four texts
//! that records which spans hold each trigram (not where). A text of three
//! or more characters becomes the FTS5 query "every trigram of it"
//! ([`trigram_query`]), which yields every span containing it and a few
//! that merely hold the same trigrams elsewhere (or differ in the case of a
//! letter beyond ASCII, which the tokenizer folds); `LIKE` rejects those.
//!
//! The writer indexes spans when it has nothing else to do ([`index_batch`]),
//! so ingestion runs at full speed and the index follows; spans above
//! [`SearchProgress::indexed_upto`] are not indexed yet and are tested with
//! `LIKE` directly, so a search never misses a span that was just stored.
//! (On PostgreSQL, where replicas commit spans out of id order, a queue
//! takes the position's place: see [`index_batch`].)
//! The lag is bounded: beyond [`MAX_LAG`] unindexed spans the writer indexes
//! a batch after every batch it writes (ingestion then slows to the index's
//! pace).
//!
//! Few candidates: collect them from the index. Many (a frequent word), a
//! text too short for trigrams, or more than [`DIRECT_LAG`] spans still to
//! index: walk the listing in its order and test each row, which fills a
//! page quickly when matches are frequent.

use super::db::{DbConnection, Dialect, Sql};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::projects::contains_pattern;
use super::{Result, Store};

/// Spans the writer indexes per transaction: small enough that a job
/// arriving meanwhile waits only milliseconds, large enough to amortise the
/// commit.
pub(super) const INDEX_BATCH: i64 = 1_000;

/// Spans stored but not indexed beyond which the writer indexes a batch after
/// every batch it writes, even with work waiting: the bound of the index's
/// lag (about half a minute of ingestion at full speed).
pub(super) const MAX_LAG: i64 = 1_000_000;

/// Spans not indexed beyond which a search stops testing them one by one
/// and walks the listing instead (and the trace list says that search is
/// catching up).
pub(super) const DIRECT_LAG: i64 = 50_000;

/// Trigrams of a text looked up in the index at most: enough to make the
/// candidates few; `LIKE` checks the rest of the text.
const MAX_TRIGRAMS: usize = 24;

/// Candidates from the index up to which they are collected; from this many
/// on the listing is walked instead (see the module's doc).
const FEW_CANDIDATES: i64 = 10_000;

/// Newest indexed spans from which PostgreSQL guesses how many match
/// (testing 500 costs 6 ms at 1 KB of text each).
const SAMPLE: i64 = 500;

/// The searched texts of span `s`, one SQL expression per `span_text` column
/// (name, input, output, messages), in that order.
fn searched(dialect: Dialect, s: &str) -> [String; 4] {
    if dialect == Dialect::Postgres {
        return searched_postgres(s);
    }
    let input = format!("json_extract({s}.attributes, '$.\"input.value\"')");
    let output = format!("json_extract({s}.attributes, '$.\"output.value\"')");
    // The strings of a JSON input or output (chat messages, decoded: a
    // client that escapes every non-ASCII character leaves them searchable)
    // and OpenInference's flattened message attributes.
    let strings = |value: &str| {
        format!("SELECT j.value FROM json_tree(CASE WHEN json_valid({value}) THEN {value} END) j WHERE j.type = 'text'")
    };
    let messages = format!(
        "(SELECT group_concat(value, char(10)) FROM ({} UNION ALL {} UNION ALL \
         SELECT e.value FROM json_each({s}.attributes) e WHERE e.type = 'text' \
         AND (e.key GLOB 'llm.input_messages.*' OR e.key GLOB 'llm.output_messages.*')))",
        strings(&input),
        strings(&output),
    );
    [format!("{s}.name"), input, output, messages]
}

/// [`searched`] on PostgreSQL: the same texts, through its JSON functions
/// (`plume_json`, migration 0007, is NULL for text that is not JSON).
fn searched_postgres(s: &str) -> [String; 4] {
    let input = format!("({s}.attributes::jsonb ->> 'input.value')");
    let output = format!("({s}.attributes::jsonb ->> 'output.value')");
    let strings = |value: &str| {
        format!(
            "SELECT j #>> '{{}}' FROM jsonb_path_query(plume_json({value}), 'strict $.**') j \
             WHERE jsonb_typeof(j) = 'string'"
        )
    };
    let messages = format!(
        "(SELECT string_agg(m.value, chr(10)) FROM ({} UNION ALL {} UNION ALL \
         SELECT e.value #>> '{{}}' FROM jsonb_each({s}.attributes::jsonb) e WHERE jsonb_typeof(e.value) = 'string' \
         AND (e.key LIKE 'llm.input\\_messages.%' OR e.key LIKE 'llm.output\\_messages.%')) m(value))",
        strings(&input),
        strings(&output),
    );
    [format!("{s}.name"), input, output, messages]
}

/// `(… LIKE ? OR …)`: whether span `s` matches `text` (see the module's doc).
/// PostgreSQL's `LIKE` minds case: there it is `ILIKE`.
pub(super) fn push_like(dialect: Dialect, sql: &mut Sql, s: &str, text: &str) {
    let pattern = contains_pattern(text);
    let like = dialect.like();
    sql.push("(");
    for (i, expression) in searched(dialect, s).iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.push(format!("{expression} {like} ")).push_bind(pattern.clone()).push(" ESCAPE '\\'");
    }
    sql.push(")");
}

/// The FTS5 query for the spans holding every trigram of `text` (each
/// quoted, quotes doubled, so that FTS5's operators and syntax are plain
/// text); `None` when it has fewer than three characters, which the trigram
/// index cannot look up.
pub(super) fn trigram_query(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut trigrams: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    if trigrams.is_empty() {
        return None;
    }
    trigrams.sort_unstable();
    trigrams.dedup();
    // A sample of them when there are too many.
    let step = trigrams.len().div_ceil(MAX_TRIGRAMS);
    let terms: Vec<String> = trigrams.iter().step_by(step).map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
    Some(terms.join(" AND "))
}

/// How far the index has come, shared by the writer (which advances it after
/// each commit) and the readers (which test the spans above it directly).
#[derive(Clone, Debug, Default)]
pub struct SearchProgress {
    indexed_upto: Arc<AtomicI64>,
}

impl SearchProgress {
    /// Every span with a rowid up to this is in the index.
    pub(super) fn indexed_upto(&self) -> i64 {
        self.indexed_upto.load(Ordering::Acquire)
    }

    fn advance(&self, rowid: i64) {
        self.indexed_upto.fetch_max(rowid, Ordering::AcqRel);
    }

    /// Reads the committed position (at start).
    pub(super) async fn load(&self, conn: &mut DbConnection) -> Result<()> {
        let upto: i64 =
            sqlx::query_scalar("SELECT indexed_upto FROM search_progress WHERE id = 1").fetch_one(conn).await?;
        self.advance(upto);
        Ok(())
    }
}

/// Indexes the next [`INDEX_BATCH`] spans above the index's position, in
/// one transaction with the new position; returns how many it indexed (0:
/// the index has caught up). Run by the writer on its own connection.
///
/// On PostgreSQL, replicas commit spans out of id order, so there is no
/// position: the writer takes a batch of the queue of spans to index
/// (migration 0015) instead, see [`index_queued`].
pub(super) async fn index_batch(conn: &mut DbConnection, progress: &SearchProgress) -> Result<i64> {
    use sqlx::Connection as _;
    if Dialect::of(conn) == Dialect::Postgres {
        return index_queued(conn).await;
    }
    let from = progress.indexed_upto();
    let mut tx = conn.begin_with(Dialect::of(conn).begin_write()).await?;
    let (upto, count): (Option<i64>, i64) =
        sqlx::query_as("SELECT max(id), count(*) FROM (SELECT id FROM spans WHERE id > $1 ORDER BY id LIMIT $2) b")
            .bind(from)
            .bind(INDEX_BATCH)
            .fetch_one(&mut *tx)
            .await?;
    let Some(upto) = upto else { return Ok(0) };
    let [name, input, output, messages] = searched(Dialect::of(&tx), "s");
    // The expressions are this module's constants, not input.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO span_text (rowid, name, input, output, messages) \
         SELECT s.id, {name}, {input}, {output}, {messages} FROM spans s WHERE s.id > $1 AND s.id <= $2"
    )))
    .bind(from)
    .bind(upto)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE search_progress SET indexed_upto = $1 WHERE id = 1").bind(upto).execute(&mut *tx).await?;
    tx.commit().await?;
    progress.advance(upto);
    Ok(count)
}

/// [`index_batch`] on PostgreSQL: claims up to [`INDEX_BATCH`] queued spans
/// that no other replica's writer holds (`SKIP LOCKED`), indexes them and
/// takes them off the queue, in one statement; returns how many it claimed.
async fn index_queued(conn: &mut DbConnection) -> Result<i64> {
    let [name, input, output, messages] = searched(Dialect::Postgres, "s");
    // The expressions are this module's constants, not input. A span
    // deleted meanwhile leaves the queue without entering the index.
    let claimed: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "WITH claimed AS (DELETE FROM span_index_queue WHERE span_id IN (SELECT span_id FROM span_index_queue \
             ORDER BY span_id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING span_id), \
         indexed AS (INSERT INTO span_text (rowid, name, input, output, messages) \
             SELECT s.id, {name}, {input}, {output}, {messages} FROM spans s JOIN claimed c ON s.id = c.span_id \
             ON CONFLICT (rowid) DO NOTHING RETURNING 1) \
         SELECT count(*) FROM claimed"
    )))
    .bind(INDEX_BATCH)
    .fetch_one(conn)
    .await?;
    Ok(claimed)
}

/// How a search is answered (see the module's doc).
pub(super) enum Plan {
    /// Few candidates: the spans the index finds (FTS5 query, or the `ILIKE`
    /// pattern on PostgreSQL), plus the
    /// spans above this rowid, not indexed yet.
    Collect { fts: String, unindexed_above: i64 },
    /// Walk the listing and test each row.
    Walk,
}

impl Store {
    /// How to answer a search for `text`.
    pub(super) async fn search_plan(&self, text: &str) -> Result<Plan> {
        let Some(fts) = trigram_query(text) else { return Ok(Plan::Walk) };
        let fts = self.dialect.pick(fts, contains_pattern(text));
        let unindexed_above = self.search.indexed_upto();
        if self.unindexed_spans().await? > DIRECT_LAG {
            return Ok(Plan::Walk);
        }
        let few = match self.dialect {
            Dialect::Sqlite => {
                let mut count = Sql::new("SELECT count(*) FROM (SELECT 1 FROM span_text WHERE ");
                push_indexed(self.dialect, &mut count, &fts, "");
                count.push(" LIMIT ").push_bind(FEW_CANDIDATES).push(") c");
                let candidates: i64 = count.build_query_scalar(self.dialect).fetch_one(&self.pool).await?;
                candidates < FEW_CANDIDATES
            }
            Dialect::Postgres => self.few_by_sample(&fts).await?,
        };
        Ok(if few { Plan::Collect { fts, unindexed_above } } else { Plan::Walk })
    }

    /// Whether `pattern` likely matches fewer than [`FEW_CANDIDATES`]
    /// indexed spans, on PostgreSQL, judged from the newest [`SAMPLE`] ones.
    /// Counting the candidates as SQLite does would cost most for the texts
    /// it is meant to send elsewhere: a trigram index scan on PostgreSQL
    /// builds its whole bitmap before the first row (63 ms for a word in
    /// every one of 1,000,000 spans). Span ids stand for the count of spans
    /// indexed (deletions only make that an overestimate, which walks).
    async fn few_by_sample(&self, pattern: &str) -> Result<bool> {
        let newest: Option<i64> = sqlx::query_scalar("SELECT max(rowid) FROM span_text").fetch_one(&self.pool).await?;
        let Some(newest) = newest else { return Ok(true) };
        let mut sample = Sql::new("SELECT count(*) FILTER (WHERE ");
        push_indexed(self.dialect, &mut sample, pattern, "");
        // A bound, not a subquery: the planner then expects SAMPLE rows and
        // reads them in this process instead of starting parallel workers.
        sample.push("), count(*) FROM span_text WHERE rowid > ").push_bind(newest - SAMPLE);
        let (hits, sampled): (i64, i64) = sample.build_query_as(self.dialect).fetch_one(&self.pool).await?;
        // hits / sampled × newest < FEW_CANDIDATES, in integers.
        Ok(hits.saturating_mul(newest) < FEW_CANDIDATES.saturating_mul(sampled))
    }

    /// Spans stored but not yet in the index (0 once it has caught up).
    pub async fn unindexed_spans(&self) -> Result<i64> {
        if self.dialect == Dialect::Postgres {
            return Ok(sqlx::query_scalar("SELECT count(*) FROM span_index_queue").fetch_one(&self.pool).await?);
        }
        let newest: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM spans").fetch_one(&self.pool).await?;
        Ok((newest.unwrap_or(0) - self.search.indexed_upto()).max(0))
    }
}

/// ` s.id IN (…)`-ready list of the spans `plan` collects: the index's
/// candidates and the unindexed spans, for `… IN (` to wrap. The caller adds
/// the `LIKE` test and its own conditions on `s`.
pub(super) fn push_candidates(dialect: Dialect, sql: &mut Sql, fts: &str, unindexed_above: i64) {
    sql.push("SELECT rowid FROM span_text WHERE ");
    push_indexed(dialect, sql, fts, "");
    match dialect {
        Dialect::Sqlite => sql.push(" UNION ALL SELECT id FROM spans WHERE id > ").push_bind(unindexed_above),
        Dialect::Postgres => sql.push(" UNION ALL SELECT span_id FROM span_index_queue"),
    };
}

/// ` AND EXISTS (…)`: whether the span whose id is `id` (an SQL expression)
/// matches `text`, for a walk over the listing. On PostgreSQL an indexed
/// span is tested on its `span_text` row, whose texts are already taken out
/// of its JSON (a third of the walk's time at 1,000,000 spans); a span not
/// indexed yet, on itself.
pub(super) fn push_walk(dialect: Dialect, sql: &mut Sql, id: &str, text: &str) {
    match dialect {
        Dialect::Sqlite => {
            sql.push(format!(" AND EXISTS (SELECT 1 FROM spans r WHERE r.id = {id} AND "));
            push_like(dialect, sql, "r", text);
        }
        Dialect::Postgres => {
            sql.push(format!(
                " AND EXISTS (SELECT 1 FROM spans r LEFT JOIN span_text x ON x.rowid = r.id \
                 WHERE r.id = {id} AND CASE WHEN x.rowid IS NULL THEN "
            ));
            push_like(dialect, sql, "r", text);
            sql.push(" ELSE ");
            push_indexed(dialect, sql, &contains_pattern(text), "x.");
            sql.push(" END");
        }
    }
    sql.push(")");
}

/// The index's test of a `span_text` row (`alias`: its qualifier, with the
/// dot, or empty): SQLite's FTS5 `MATCH` of the trigram query; on
/// PostgreSQL, whose trigram index answers `ILIKE` on its columns exactly,
/// the `ILIKE` pattern.
fn push_indexed(dialect: Dialect, sql: &mut Sql, fts: &str, alias: &str) {
    match dialect {
        Dialect::Sqlite => {
            sql.push("span_text MATCH ").push_bind(fts.to_owned());
        }
        Dialect::Postgres => {
            sql.push("(");
            for (i, column) in ["name", "input", "output", "messages"].into_iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                sql.push(format!("{alias}{column} ILIKE ")).push_bind(fts.to_owned()).push(" ESCAPE '\\'");
            }
            sql.push(")");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_text_becomes_its_trigrams_whatever_it_holds() {
        assert_eq!(trigram_query("order").as_deref(), Some(r#""der" AND "ord" AND "rde""#));
        assert_eq!(trigram_query(r#"a"b OR"#).as_deref(), Some(r#"" OR" AND """b " AND "a""b" AND "b O""#));
        assert_eq!(trigram_query("ab"), None);
        assert_eq!(trigram_query("äöüß").as_deref(), Some(r#""äöü" AND "öüß""#));
        // Repeats count once; long texts are sampled.
        assert_eq!(trigram_query("aaaaaa").as_deref(), Some(r#""aaa""#));
        let long = trigram_query(&"the quick brown fox jumps over the lazy dog ".repeat(5)).unwrap();
        assert!(long.matches(" AND ").count() < MAX_TRIGRAMS, "{long}");
    }
}
