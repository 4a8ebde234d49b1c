//! Everything Shikaku keeps, with sqlx in SQLite (default: a file in the
//! data folder, WAL) or PostgreSQL (several instances), chosen by the URL. One set of
//! queries serves both (`$N` parameters, `RETURNING`, `ON CONFLICT`); each has its own
//! migrations, applied at start. Every write is committed before the caller is told it
//! happened, so nothing a user was shown survives only in memory.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use sqlx::AnyPool;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;

pub mod accounts;
pub mod analytics;
pub mod canned;
pub mod channels;
mod conversations;
pub mod knowledge;
mod ownership;
mod scrub;
pub mod tickets;

pub use conversations::{FeedbackError, StoredMessage};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("src/store/migrations/postgres");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    pub fn of(url: &str) -> Result<Backend> {
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
    pool: AnyPool,
    pub backend: Backend,
    /// For PostgreSQL's LISTEN connection.
    url: String,
}

/// How long a request waits for a connection. PostgreSQL stopped or unreachable: every
/// request would otherwise wait for it (10 s, sqlx's default, retrying to connect) before
/// its error; after 2 s the user is told, with the call center's number.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether an error is the database's (unreachable, a full disk, an I/O error), which the
/// user meets as "cannot be saved now, call the call center", not as an internal failure.
pub fn is_database_error(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<sqlx::Error>())
}

/// A transaction on either database.
type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Whether a pooled connection is outside any transaction, as sqlx counts them.
fn outside_transaction(conn: &sqlx::AnyConnection) -> bool {
    use sqlx::TransactionManager;
    <sqlx::Any as sqlx::Database>::TransactionManager::get_transaction_depth(conn) == 0
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
        let pool = AnyPoolOptions::new()
            .max_connections(8)
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
            .connect(&connect_url)
            .await
            .with_context(|| format!("opening the database {}", redact_url(url)))?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&pool)
            .await
            .with_context(|| format!("migrating the database {}", redact_url(url)))?;
        let store = Store {
            pool,
            backend,
            url: url.to_string(),
        };
        let scrubbed = store
            .scrub_stored_numbers()
            .await
            .context("removing 12-digit numbers stored by earlier versions")?;
        if scrubbed > 0 {
            tracing::warn!("removed 12-digit numbers from {scrubbed} stored texts");
        }
        Ok(store)
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first fails with "database is
    /// locked" when another writer commits in between, whatever the busy timeout — found
    /// by the crash test's concurrent handoffs.
    async fn write_transaction(&self) -> Result<Tx<'_>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
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
        let conversation = store.create_conversation("web").await.unwrap();
        // Fill the disk but for a little.
        let filler = dir.path().join("filler");
        let _ = std::fs::write(&filler, vec![0u8; 3 * 1024 * 1024]);
        let text = "あ".repeat(2_000);
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
        for i in 0..40 {
            store
                .add_user_message(&conversation, "締切はいつですか")
                .await
                .unwrap_or_else(|e| panic!("write {i} after the disk was freed: {e:#}"));
        }
        store.ping_write().await.unwrap();
    }
}
