//! A real PostgreSQL for the tests: Debian's `postgresql` binaries, a cluster
//! of its own (`initdb` in a temporary directory, a free loopback port, owned
//! by the non-root `postgres` user when the tests run as root, since
//! PostgreSQL refuses to run as root), started once per test binary and
//! stopped when the binary exits. Each test takes a database of its own
//! ([`database`]), so tests share the server but no state.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The role every test connects as (the cluster's superuser, trust auth on loopback).
const ROLE: &str = "plume";

/// The running cluster.
struct Cluster {
    bin: PathBuf,
    port: u16,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// The URL of a new, empty database on the tests' PostgreSQL (started on first use).
pub fn database() -> String {
    let cluster = CLUSTER.get_or_init(Cluster::start);
    let name = format!("t{}_{}", std::process::id(), NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
    let created = Command::new(cluster.bin.join("createdb"))
        .args(["-h", "127.0.0.1", "-p", &cluster.port.to_string(), "-U", ROLE, &name])
        .output()
        .expect("running createdb");
    assert!(created.status.success(), "createdb: {}", String::from_utf8_lossy(&created.stderr));
    format!("postgres://{ROLE}@127.0.0.1:{}/{name}", cluster.port)
}

/// Everything database `url` (on the tests' cluster) holds, as `pg_dump`
/// writes it: for tests that check what is stored and what is not.
pub fn dump(url: &str) -> Vec<u8> {
    let cluster = CLUSTER.get_or_init(Cluster::start);
    let out = Command::new(cluster.bin.join("pg_dump")).arg(url).output().expect("running pg_dump");
    assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

impl Cluster {
    /// `initdb` + `pg_ctl start` on a free port; a watchdog stops the server
    /// and removes its files once this test process is gone.
    fn start() -> Cluster {
        let bin = bin_dir();
        let dir = tempfile::Builder::new().prefix("plume-pg").tempdir().expect("a temp dir").keep();
        let as_root = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0\n"));
        if as_root {
            let owned = Command::new("chown").args(["-R", "postgres:"]).arg(&dir).status().expect("chown");
            assert!(owned.success(), "chown postgres {}", dir.display());
        }
        let data = dir.join("data");
        let run = |program: &str, args: &[&str]| {
            let path = bin.join(program);
            let mut command = if as_root { Command::new("runuser") } else { Command::new(&path) };
            if as_root {
                command.args(["-u", "postgres", "--"]).arg(&path);
            }
            let out = command.args(args).output().unwrap_or_else(|e| panic!("running {program}: {e}"));
            assert!(
                out.status.success(),
                "{program}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let data_arg = data.to_str().unwrap();
        run("initdb", &["-D", data_arg, "-A", "trust", "-U", ROLE, "--no-sync", "-E", "UTF8"]);
        let port = free_port();
        let options =
            format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", dir.display());
        let log = dir.join("log");
        run("pg_ctl", &["-D", data_arg, "-o", &options, "-l", log.to_str().unwrap(), "-w", "-t", "60", "start"]);
        watch(&bin, &dir, as_root);
        Cluster { bin, port }
    }
}

/// Stops the cluster in `dir` and removes it when this process exits (a
/// test binary has no hook that runs at exit, so a small shell waits for it;
/// it looks in `/proc`, as `kill -0` is refused across users).
fn watch(bin: &Path, dir: &Path, as_root: bool) {
    // The watcher runs in the background of a shell that returns at once.
    let script = format!(
        "(while [ -e /proc/{pid} ]; do sleep 0.5; done; \
         {pg_ctl} -D {dir}/data -m immediate stop >/dev/null 2>&1; rm -rf {dir}) >/dev/null 2>&1 &",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        dir = dir.display(),
    );
    let mut command = if as_root { Command::new("runuser") } else { Command::new("sh") };
    if as_root {
        command.args(["-u", "postgres", "--", "sh"]);
    }
    let started = command
        .args(["-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("starting the PostgreSQL watchdog");
    assert!(started.success(), "the PostgreSQL watchdog did not start");
}

/// Where `initdb`, `pg_ctl` and `createdb` are: beside the `initdb` on
/// `PATH` (through its symlink), else Debian's `/usr/lib/postgresql/<newest>/bin`
/// (the package does not put them on `PATH`).
fn bin_dir() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .filter_map(|dir| std::fs::canonicalize(dir.join("initdb")).ok())
        .find_map(|initdb| Some(initdb.parent()?.to_owned()))
        .filter(|dir| dir.join("pg_ctl").is_file() && dir.join("createdb").is_file());
    let debian = || {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                Some((entry.file_name().to_str()?.parse().ok()?, entry.path().join("bin")))
            })
            .filter(|(_, bin)| bin.join("initdb").is_file() && bin.join("createdb").is_file())
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    };
    on_path
        .or_else(debian)
        .expect("PostgreSQL is not installed: `make setup` installs Debian's postgresql (initdb and pg_ctl are needed)")
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
