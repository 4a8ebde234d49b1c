//! Everything Shikaku keeps, with sqlx in SQLite (default: a file in the
//! data folder, WAL) or PostgreSQL (several instances), chosen by the URL. One set of
//! queries serves both (`$N` parameters, `RETURNING`, `ON CONFLICT`); each has its own
//! migrations, applied at start. Every write is committed before the caller is told it
//! happened, so nothing a user was shown survives only in memory. A statement with
//! `RETURNING` outside a transaction is read to its end (`fetch_all`): SQLite commits it
//! as the statement finishes, and `fetch_one` stopped at the row and never saw a commit
//! that failed (a full disk told the caller "stored").

use std::time::Duration;

use anyhow::{Context, bail};
use error::Result;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

pub mod accounts;
pub mod analytics;
pub mod canned;
pub mod channels;
mod conversations;
mod error;
mod group_commit;
pub mod knowledge;
mod opening;
mod ownership;
mod scrub;
pub mod tickets;

pub use error::{Conflict, StoreError};
pub use opening::NewTicket;

pub use conversations::{ConversationContext, Rated, StoredMessage};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("src/store/migrations/postgres");

/// Which database a URL names: the one the service stores in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    pub fn of(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            bail!(
                "unsupported database URL {:?}: expected sqlite://PATH or postgres://…",
                redact_url(url)
            )
        }
    }
}

/// A URL with its password replaced, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Clone)]
pub struct Store {
    /// Reads (and PostgreSQL's writes).
    pool: AnyPool,
    /// Writes: on SQLite one connection, so writers wait in turn ([`Store::open`]); on
    /// PostgreSQL the same pool as reads.
    writer: AnyPool,
    /// The chat path's writes, committed together ([`group_commit`]).
    commits: group_commit::GroupCommit,
    pub backend: Backend,
    /// For PostgreSQL's LISTEN connection.
    url: String,
    /// The installation's key for hashing sign-in names no user has (`unknown_logins`).
    name_key: std::sync::Arc<[u8]>,
}

/// How long a request waits for a connection. PostgreSQL stopped or unreachable: every
/// request would otherwise wait for it (10 s, sqlx's default, retrying to connect) before
/// its error; after 2 s the user is told, with the call center's number.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether an error is the database's (unreachable, a full disk, an I/O error), which the
/// user meets as "cannot be saved now, call the call center", not as an internal failure.
pub fn is_database_error(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.is::<sqlx::Error>()
            || cause
                .downcast_ref::<StoreError>()
                .is_some_and(StoreError::is_unavailable)
    })
}

/// Connections that read: a chat's reads run beside the one writer. Measured under load
/// (README, "Speed"): 8 readers 1,051 requests/s, 4 readers 1,167–1,405, 2 readers 1,174.
const READERS: u32 = 4;

/// A pool of `max` connections to `url`, each set up for Shikaku.
async fn connect(backend: Backend, url: &str, max: u32) -> sqlx::Result<AnyPool> {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A connection that comes back still inside a transaction (its COMMIT or
        // ROLLBACK failed: a full disk, an I/O error) is closed, never lent again: it
        // would fail every request it serves ("begin_with at non-zero transaction
        // depth") long after the disk is freed.
        .after_release(|conn, _| Box::pin(async move { Ok(outside_transaction(conn)) }))
        .before_acquire(|conn, _| Box::pin(async move { Ok(outside_transaction(conn)) }))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL + NORMAL: a commit survives a crash of the process; FULL (an
                    // fsync per commit) cut throughput by 40% in the load benchmark.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
}

/// How often the SQLite log (WAL) is checkpointed and started again from its beginning.
const LOG_RESTART: Duration = Duration::from_secs(1);

/// Checkpoints the SQLite log and starts it again from its beginning, every
/// [`LOG_RESTART`], until the pool closes. SQLite's own checkpoints never wait for readers,
/// and under steady load there always was one: the log grew past 200 MB in 20 s, and
/// finding a page in it became a fifth of the chat path's time. RESTART waits for the
/// readers of the old log to finish, holding back writes meanwhile: at most 50 ms, then
/// it gives up until the next time.
async fn restart_the_log(writer: AnyPool) {
    let mut every =
        tokio::time::interval_at(tokio::time::Instant::now() + LOG_RESTART, LOG_RESTART);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if writer.is_closed() {
            return;
        }
        if let Err(e) = writer
            .execute(
                "PRAGMA busy_timeout = 50; PRAGMA wal_checkpoint(RESTART); PRAGMA busy_timeout = 10000;",
            )
            .await
            && !writer.is_closed()
        {
            tracing::warn!("checkpointing the database log: {e}");
        }
    }
}

/// A transaction on either database.
type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// [`Store::write_transaction`] on `writer`: for the group commit's task, which holds the
/// pool but not the store.
async fn begin_write(writer: &AnyPool, backend: Backend) -> Result<Tx<'static>> {
    Ok(match backend {
        Backend::Sqlite => writer.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => writer.begin().await?,
    })
}

/// Whether a pooled connection is outside any transaction, as sqlx counts them.
fn outside_transaction(conn: &sqlx::AnyConnection) -> bool {
    use sqlx::TransactionManager;
    <sqlx::Any as sqlx::Database>::TransactionManager::get_transaction_depth(conn) == 0
}

/// The installation's secret named `name` (32 random bytes), made by whichever instance
/// asks first.
async fn service_key(writer: &AnyPool, name: &str) -> Result<std::sync::Arc<[u8]>> {
    let fresh: String = (0..2)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    sqlx::query(
        "INSERT INTO service_keys (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(&fresh)
    .execute(writer)
    .await?;
    let secret: String = sqlx::query("SELECT secret FROM service_keys WHERE name = $1")
        .bind(name)
        .fetch_one(writer)
        .await?
        .try_get(0)?;
    Ok(secret.into_bytes().into())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// Opens the database at `url` (a SQLite file is created if needed) and applies the
    /// migrations.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)?;
        let connect_url = match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or_default();
                if let Some(parent) = std::path::Path::new(path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                }
            }
            Backend::Postgres => url.to_string(),
        };
        // SQLite lets one connection write at a time, and one that finds the lock taken
        // sleeps in SQLite's busy handler (1, 2, 5, 10… ms): under load, requests queued
        // there for hundreds of milliseconds. Writes get a pool of one connection instead,
        // where they wait in turn without sleeping; reads keep their own connections (WAL).
        let opened = |pool: sqlx::Result<AnyPool>| {
            pool.with_context(|| format!("opening the database {}", redact_url(url)))
        };
        let pool = opened(connect(backend, &connect_url, READERS).await)?;
        let writer = match backend {
            Backend::Sqlite => opened(connect(backend, &connect_url, 1).await)?,
            Backend::Postgres => pool.clone(),
        };
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&writer)
            .await
            .with_context(|| format!("migrating the database {}", redact_url(url)))?;
        let name_key = service_key(&writer, "unknown_logins")
            .await
            .context("reading the installation's keys")?;
        let store = Store {
            pool,
            commits: group_commit::GroupCommit::start(writer.clone(), backend),
            writer,
            backend,
            url: url.to_string(),
            name_key,
        };
        let scrubbed = store
            .scrub_stored_numbers()
            .await
            .context("removing 12-digit numbers stored by earlier versions")?;
        if scrubbed > 0 {
            tracing::warn!("removed 12-digit numbers from {scrubbed} stored texts");
        }
        if backend == Backend::Sqlite {
            tokio::spawn(restart_the_log(store.writer.clone()));
        }
        Ok(store)
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first fails with "database is
    /// locked" when another writer commits in between, whatever the busy timeout — found
    /// by the crash test's concurrent handoffs.
    async fn write_transaction(&self) -> Result<Tx<'static>> {
        begin_write(&self.writer, self.backend).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_is_named_by_its_url_and_sent_by_its_name() {
        assert_eq!(
            Backend::of("sqlite://d/shikaku.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(Backend::of("postgresql://db/x").unwrap(), Backend::Postgres);
        assert!(Backend::of("mysql://db/x").is_err());
        for backend in [Backend::Sqlite, Backend::Postgres] {
            assert_eq!(serde_json::to_value(backend).unwrap(), backend.as_str());
        }
    }
}

/// A full disk for real: a small tmpfs (needs root, as CI and the development machine
/// run; elsewhere the test says so and stops).
#[cfg(test)]
mod full_disk_tests {
    use super::*;

    struct Tmpfs(std::path::PathBuf);

    impl Drop for Tmpfs {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_recover_by_themselves_once_a_full_disk_is_freed() {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("SKIPPED: cannot mount a tmpfs here (not root)");
            return;
        }
        let _tmpfs = Tmpfs(dir.path().to_path_buf());
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url).await.unwrap();
        let conversation = store
            .create_conversation(crate::domain::Channel::Web)
            .await
            .unwrap();
        // Fill the disk but for a little. Within the first second, before the log is first
        // restarted (`restart_the_log`): a restarted log's file has room that small writes
        // reuse, and then a full disk still takes them (readiness rightly says so).
        let filler = dir.path().join("filler");
        let _ = std::fs::write(&filler, vec![0u8; 3 * 1024 * 1024]);
        let text = crate::text::UserText::parse(&"あ".repeat(2_000), 2_000).unwrap();
        let mut failed = 0;
        for _ in 0..200 {
            if store.add_user_message(&conversation, &text).await.is_err() {
                failed += 1;
            }
        }
        assert!(failed > 0, "the disk never filled");
        assert!(
            store.ping_write().await.is_err(),
            "readiness sees that writes fail"
        );
        std::fs::remove_file(&filler).unwrap();
        let question = crate::text::UserText::parse("締切はいつですか", 100).unwrap();
        for i in 0..40 {
            store
                .add_user_message(&conversation, &question)
                .await
                .unwrap_or_else(|e| panic!("write {i} after the disk was freed: {e:#}"));
        }
        store.ping_write().await.unwrap();
        // Closed before the tmpfs is unmounted: its tasks hold connections to the file.
        store.close().await;
    }
}
