//! PostgreSQL's own concerns: `plume migrate` gives a PostgreSQL database the
//! schema SQLite has (same tables, same columns) and applies each migration
//! once however many run at the same moment, and so do replicas of `plume
//! serve` that start together on an empty database (and one of them creates
//! the first admin).

use std::collections::BTreeSet;
use std::process::{Command, Output};

use crate::common::{Server, postgres};

/// Runs the `plume` binary with `args` to its end.
fn plume(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plume")).args(args).output().expect("running plume")
}

/// The migration numbers in `migrations/{engine}/`.
fn migration_numbers(engine: &str) -> BTreeSet<i64> {
    std::fs::read_dir(format!("{}/../migrations/{engine}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.split('_').next()?.parse().ok())
        .collect()
}

/// Tables the PostgreSQL schema has in place of SQLite-only constructs (FTS5's
/// virtual table and its shadow tables), which SQLite does not list as such.
fn sqlite_only(table: &str, virtual_tables: &[String]) -> bool {
    virtual_tables.iter().any(|v| table == v || table.starts_with(&format!("{v}_")))
}

#[tokio::test]
async fn migrate_gives_postgres_the_schema_sqlite_has() {
    assert_eq!(migration_numbers("postgres"), migration_numbers("sqlite"), "one PostgreSQL migration per SQLite one");
    let url = postgres::database();
    let first = plume(&["migrate", "--database-url", &url]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let highest = migration_numbers("postgres").into_iter().max().unwrap();
    assert!(String::from_utf8_lossy(&first.stdout).contains(&format!("schema version {highest}")));
    let again = plume(&["migrate", "--database-url", &url]);
    assert!(again.status.success(), "a second run has nothing to do: {}", String::from_utf8_lossy(&again.stderr));

    let dir = tempfile::tempdir().unwrap();
    let lite = plume(&["migrate", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(lite.status.success(), "{}", String::from_utf8_lossy(&lite.stderr));
    let sqlite = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", dir.path().join("plume.db").display()))
        .await
        .unwrap();
    let virtual_tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
            .fetch_all(&sqlite)
            .await
            .unwrap();
    let sqlite_columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&sqlite)
    .await
    .unwrap();
    let sqlite_columns: BTreeSet<(String, String)> =
        sqlite_columns.into_iter().filter(|(table, _)| !sqlite_only(table, &virtual_tables)).collect();

    let pg = sqlx::PgPool::connect(&url).await.unwrap();
    let pg_columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .fetch_all(&pg)
    .await
    .unwrap();
    let pg_columns: BTreeSet<(String, String)> = pg_columns.into_iter().collect();
    let missing: Vec<_> = sqlite_columns.difference(&pg_columns).collect();
    assert!(missing.is_empty(), "columns SQLite has and PostgreSQL lacks: {missing:?}");
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&pg).await.unwrap();
    assert_eq!(applied, migration_numbers("postgres").len() as i64);
}

#[tokio::test]
async fn migrations_started_together_on_an_empty_database_run_once() {
    let url = postgres::database();
    let runs: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_plume"))
                .args(["migrate", "--database-url", &url])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("starting plume migrate")
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "a concurrent migrate failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let pg = sqlx::PgPool::connect(&url).await.unwrap();
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version").fetch_all(&pg).await.unwrap();
    assert_eq!(versions, migration_numbers("postgres").into_iter().collect::<Vec<_>>());
}

#[tokio::test]
async fn replicas_started_together_on_an_empty_database_migrate_once_and_are_ready() {
    let url = postgres::database();
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let replicas: Vec<Server> = std::thread::scope(|scope| {
        // Each also asked to create the first admin: one does, the others find it.
        let admin = [("PLUME_ADMIN_EMAIL", "first@example.org"), ("PLUME_ADMIN_PASSWORD", "a long enough password")];
        let flags = ["--database-url", &url, "--auth", "on"];
        let starting: Vec<_> =
            dirs.iter().map(|dir| scope.spawn(move || Server::start_process(dir.path(), &flags, &admin))).collect();
        starting.into_iter().map(|replica| replica.join().expect("a replica started")).collect()
    });
    for replica in &replicas {
        let (status, body, _) = replica.get_text("/readyz").await;
        assert_eq!((status, body.trim()), (200, "ready"), "{}", replica.url);
    }
    let pg = sqlx::PgPool::connect(&url).await.unwrap();
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version").fetch_all(&pg).await.unwrap();
    assert_eq!(versions, migration_numbers("postgres").into_iter().collect::<Vec<_>>());
    let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&pg).await.unwrap();
    assert_eq!(admins, 1);
}
