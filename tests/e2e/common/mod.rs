//! What every integration test shares: the built dictionary, a scratch data folder per
//! test (each builds its own real index), and running the real `shikaku` binary.

pub mod console;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The passage vectors `shikaku setup` left (scripts/test.sh runs it first), shared by
/// every test as the dictionary is: a test's fresh index embeds only what it changed.
pub fn vector_cache() -> PathBuf {
    std::env::var_os("SHIKAKU_VECTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("data/vector-cache"))
}

/// The dictionary built by `shikaku setup` (scripts/test.sh runs it first).
pub fn dict_dir() -> PathBuf {
    let dir = std::env::var_os("SHIKAKU_DICT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("data/dict"));
    assert!(
        dir.join("metadata.json").is_file(),
        "no dictionary in {}: run scripts/setup.sh or scripts/test.sh first",
        dir.display()
    );
    dir
}

pub struct Env {
    pub data: tempfile::TempDir,
    pub knowledge: PathBuf,
}

impl Env {
    /// The bundled knowledge base with a fresh data folder.
    pub fn new() -> Env {
        Env {
            data: tempfile::tempdir().unwrap(),
            knowledge: repo().join("knowledge"),
        }
    }

    /// A private copy of the bundled knowledge base, to change in the test.
    pub fn with_knowledge_copy() -> (Env, tempfile::TempDir) {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("knowledge"), copy.path());
        let env = Env {
            data: tempfile::tempdir().unwrap(),
            knowledge: copy.path().to_path_buf(),
        };
        (env, copy)
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_shikaku"));
        c.env("SHIKAKU_DICT", dict_dir())
            .env("SHIKAKU_VECTOR_CACHE", vector_cache())
            .env("SHIKAKU_DATA", self.data.path())
            .env("SHIKAKU_KNOWLEDGE", &self.knowledge)
            .env("SHIKAKU_MODEL", "off")
            .env_remove("SHIKAKU_LOG");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Runs and parses stdout as one JSON value.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The monitors' token every test service is started with (`SHIKAKU_METRICS_TOKEN`).
pub const METRICS_TOKEN: &str = "monitor-token-for-the-tests";

/// A running service on a free port: inside the test's process ([`Server::start`]), or
/// the real `shikaku serve` binary ([`Server::spawn`]) for what only a process shows —
/// its exit status, signals, a crash, its log. Stopped when dropped.
pub struct Server {
    running: Running,
    pub base: String,
    pub client: reqwest::blocking::Client,
    /// What it said at start (model, knowledge release, channels).
    pub startup: Vec<String>,
}

enum Running {
    InProcess(Option<shikaku::startup::Spawned>),
    Process(std::process::Child),
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

impl Server {
    /// The service inside this process, with `env`'s folders and `extra` settings
    /// (`SHIKAKU_*` and `DATABASE_URL` names, as the binary reads them).
    pub fn start(env: &Env, extra: &[(&str, &str)]) -> Server {
        let dict = dict_dir();
        let vectors = vector_cache();
        let data = env.data.path().to_str().unwrap().to_string();
        let knowledge = env.knowledge.to_str().unwrap().to_string();
        let prompts = repo().join("prompts").to_str().unwrap().to_string();
        let mut vars: Vec<(&str, &str)> = vec![
            ("SHIKAKU_DICT", dict.to_str().unwrap()),
            ("SHIKAKU_VECTOR_CACHE", vectors.to_str().unwrap()),
            ("SHIKAKU_DATA", &data),
            ("SHIKAKU_KNOWLEDGE", &knowledge),
            ("SHIKAKU_PROMPTS", &prompts),
            ("SHIKAKU_MODEL", "off"),
            ("SHIKAKU_ADDR", "127.0.0.1:0"),
            ("SHIKAKU_METRICS_TOKEN", METRICS_TOKEN),
        ];
        vars.extend_from_slice(extra);
        // Later values win, as the binary's environment would have them.
        let mut unique: Vec<(&str, &str)> = Vec::new();
        for (k, v) in vars.into_iter().rev() {
            if !unique.iter().any(|(seen, _)| *seen == k) {
                unique.push((k, v));
            }
        }
        let (settings, service) = shikaku::settings::service_from(&unique).unwrap();
        let spawned = shikaku::startup::spawn(settings, service).unwrap();
        Server {
            base: spawned.base.clone(),
            startup: spawned.startup.clone(),
            running: Running::InProcess(Some(spawned)),
            client: client(),
        }
    }

    /// The real binary with `extra` environment variables, once it listens.
    pub fn spawn(env: &Env, extra: &[(&str, &str)]) -> Server {
        Server::spawn_with_log(env, extra, std::process::Stdio::inherit())
    }

    /// The real binary with its log (stderr) going to `log`.
    pub fn spawn_with_log(
        env: &Env,
        extra: &[(&str, &str)],
        log: impl Into<std::process::Stdio>,
    ) -> Server {
        use std::io::BufRead;
        let mut command = env.command();
        command
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("SHIKAKU_LOG", "warn")
            .env("SHIKAKU_METRICS_TOKEN", METRICS_TOKEN)
            .stdout(std::process::Stdio::piped())
            .stderr(log);
        for (k, v) in extra {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut startup = Vec::new();
        let base = loop {
            let line = lines
                .next()
                .expect("the server exited before listening")
                .unwrap();
            if let Some(rest) = line.split("serving on ").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string();
            }
            startup.push(line);
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            running: Running::Process(child),
            base,
            client: client(),
            startup,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::blocking::Response {
        self.client.post(self.url(path)).json(body).send().unwrap()
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client.get(self.url(path)).send().unwrap()
    }

    /// A GET as a monitor with the metrics token (`/readyz`'s details, `/metrics`).
    pub fn monitor(&self, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .unwrap()
    }

    /// What the service told the user of `session` (its `system` messages), oldest first.
    pub fn notices(&self, session: &str) -> Vec<String> {
        let transcript: serde_json::Value = self
            .get(&format!("/api/v1/sessions/{session}/messages"))
            .json()
            .unwrap();
        transcript["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "system")
            .map(|m| m["text"].as_str().unwrap().to_string())
            .collect()
    }

    fn child(&self) -> &std::process::Child {
        match &self.running {
            Running::Process(child) => child,
            Running::InProcess(_) => panic!("signals need the binary: start it with Server::spawn"),
        }
    }

    /// SIGTERM, then the exit status (a graceful stop exits 0).
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.signal_term();
        self.wait()
    }

    /// SIGKILL: the process dies mid-work, as in a crash.
    pub fn signal_kill(&self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.child().id().to_string()])
            .status();
    }

    /// Sends SIGTERM and returns at once.
    pub fn signal_term(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child().id().to_string()])
            .status();
    }

    /// The exit status, waiting up to 10 s.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        let Running::Process(child) = &mut self.running else {
            panic!("an exit status needs the binary: start it with Server::spawn");
        };
        for _ in 0..200 {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        panic!("the server did not stop within 10 s");
    }
}

impl Drop for Server {
    /// Stops the server without panicking (a test may already be failing): in process as
    /// on SIGTERM; a binary with SIGTERM, then SIGKILL after 10 s.
    fn drop(&mut self) {
        let child = match &mut self.running {
            Running::InProcess(spawned) => {
                drop(spawned.take());
                return;
            }
            Running::Process(child) => child,
        };
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..200 {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Where a test's service keeps its conversations: the default SQLite file in the data
/// folder, or a fresh PostgreSQL database (dropped afterwards) on the server that
/// `SHIKAKU_TEST_POSTGRES` names (default `postgres://$USER@127.0.0.1:5432`, trust auth).
pub struct Database {
    pub url: Option<String>,
    postgres_name: Option<String>,
}

fn postgres_base() -> String {
    std::env::var("SHIKAKU_TEST_POSTGRES").unwrap_or_else(|_| {
        let user = std::env::var("USER").unwrap_or_else(|_| "root".to_string());
        format!("postgres://{user}@127.0.0.1:5432")
    })
}

fn psql(sql: &str) {
    let out = Command::new("psql")
        .args([
            &format!("{}/postgres", postgres_base()),
            "-v",
            "ON_ERROR_STOP=1",
            "-qc",
            sql,
        ])
        .output()
        .expect("running psql (Debian's postgresql-client)");
    assert!(
        out.status.success(),
        "psql {sql:?}: {} (is PostgreSQL running? scripts/test.sh starts it)",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Database {
    pub fn sqlite() -> Database {
        Database {
            url: None,
            postgres_name: None,
        }
    }

    /// A database the test made itself at `url` (a server of its own, a file on a tmpfs):
    /// nothing to drop afterwards.
    pub fn at(url: &str) -> Database {
        Database {
            url: Some(url.to_string()),
            postgres_name: None,
        }
    }

    pub fn postgres() -> Database {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "shikaku_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        psql(&format!("DROP DATABASE IF EXISTS {name}"));
        psql(&format!("CREATE DATABASE {name}"));
        Database {
            url: Some(format!("{}/{name}", postgres_base())),
            postgres_name: Some(name),
        }
    }

    /// Runs `sql` on this database (the default SQLite file in `env`'s data folder, or the
    /// PostgreSQL database): each statement's first column of its first row, as i64
    /// (statements that return nothing give 0).
    pub fn sql(&self, env: &Env, statements: &[&str]) -> Vec<i64> {
        use sqlx::Row;
        let url = self.url.clone().unwrap_or_else(|| {
            format!("sqlite://{}", env.data.path().join("shikaku.db").display())
        });
        sqlx::any::install_default_drivers();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let pool = sqlx::AnyPool::connect(&url).await.unwrap();
                let mut out = Vec::new();
                for statement in statements {
                    let rows = sqlx::query(statement).fetch_all(&pool).await.unwrap();
                    out.push(rows.first().map_or(0, |r| r.get::<i64, _>(0)));
                }
                pool.close().await;
                out
            })
    }

    /// The environment a server needs to use this database.
    pub fn env(&self) -> Vec<(&str, &str)> {
        self.url
            .as_deref()
            .map(|u| vec![("DATABASE_URL", u)])
            .unwrap_or_default()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(name) = &self.postgres_name {
            psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Runs each named test function (taking `&Database`) once on SQLite and once on PostgreSQL,
/// as `sqlite::NAME` and `postgres::NAME` beside the functions, in whichever test module
/// invokes it (`main.rs` declares `common` first with `#[macro_use]`).
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&$crate::common::Database::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(&$crate::common::Database::postgres()) } )*
        }
    };
}

/// Runs `work` on the SQLite database of `env` (the service stopped or killed).
pub fn sqlite<T, F: std::future::Future<Output = T>>(
    env: &Env,
    work: impl FnOnce(sqlx::SqlitePool) -> F,
) -> T {
    let url = format!("sqlite://{}", env.data.path().join("shikaku.db").display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let result = work(pool.clone()).await;
            pool.close().await;
            result
        })
}
