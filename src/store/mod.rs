//! Conversations, messages and feedback, kept with sqlx in SQLite (default: a file in the
//! data folder, WAL) or PostgreSQL (several instances), chosen by the URL. One set of
//! queries serves both (`$N` parameters, `RETURNING`, `ON CONFLICT`); each has its own
//! migrations, applied at start. Every write is committed before the caller is told it
//! happened, so nothing a user was shown survives only in memory.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::{Executor, Row};

use crate::assistant::{Answer, Citation};

pub mod agents;
pub mod analytics;
pub mod channels;
pub mod knowledge;

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

/// One message of a transcript, as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredMessage {
    pub id: i64,
    pub role: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writer: Option<String>,
    pub citations: Vec<Citation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    pub created_at: String,
}

/// A ticket just opened, and the transcript message that told the user.
#[derive(Debug, Clone, Copy)]
pub struct NewTicket {
    pub ticket: i64,
    pub message: i64,
}

/// Why feedback was not recorded.
#[derive(Debug, PartialEq, Eq)]
pub enum FeedbackError {
    /// No answer with that id in that conversation.
    NoSuchAnswer,
}

/// A new conversation's id (a random UUID), inserted in `tx`.
async fn insert_conversation(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    channel: &str,
) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let at = now();
    sqlx::query(
        "INSERT INTO conversations (id, channel, created_at, updated_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(channel)
    .bind(&at)
    .bind(&at)
    .execute(&mut **tx)
    .await?;
    Ok(id)
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
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL + NORMAL: a commit survives a crash of the process; FULL (an
                        // fsync per commit) cut throughput by 40% in the load benchmark.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
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
        Ok(Store {
            pool,
            backend,
            url: url.to_string(),
        })
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first fails with "database is
    /// locked" when another writer commits in between, whatever the busy timeout — found
    /// by the crash test's concurrent handoffs.
    async fn write_transaction(&self) -> Result<sqlx::Transaction<'_, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// One message by id, with its conversation.
    pub async fn message(&self, id: i64) -> Result<Option<(String, StoredMessage)>> {
        let Some(row) = sqlx::query("SELECT conversation_id FROM messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let conversation: String = row.try_get(0)?;
        let found = self
            .messages(&conversation)
            .await?
            .into_iter()
            .find(|m| m.id == id);
        Ok(found.map(|m| (conversation, m)))
    }

    /// On PostgreSQL, tells every instance that a message was written (NOTIFY).
    pub async fn notify_message(&self, id: i64) -> Result<()> {
        sqlx::query("SELECT pg_notify('shikaku_messages', $1)")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// On PostgreSQL, the ids of messages other instances (and this one) announce; reconnects
    /// by itself after a dropped connection.
    pub async fn listen_messages(&self) -> Result<sqlx::postgres::PgListener> {
        let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
        listener.listen("shikaku_messages").await?;
        Ok(listener)
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn create_conversation(&self, channel: &str) -> Result<String> {
        let mut tx = self.write_transaction().await?;
        let id = insert_conversation(&mut tx, channel).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn conversation_exists(&self, id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Stores what the user asked (already stripped of any 12-digit number).
    pub async fn add_user_message(&self, conversation: &str, text: &str) -> Result<i64> {
        let mut tx = self.write_transaction().await?;
        let id = self
            .insert_user_message(&mut tx, conversation, text, &now())
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn insert_user_message(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        conversation: &str,
        text: &str,
        at: &str,
    ) -> Result<i64> {
        let id = sqlx::query(
            "INSERT INTO messages (conversation_id, role, text, created_at) VALUES ($1, 'user', $2, $3) RETURNING id",
        )
        .bind(conversation)
        .bind(text)
        .bind(at)
        .fetch_one(&mut **tx)
        .await?
        .get::<i64, _>(0);
        sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(conversation)
            .execute(&mut **tx)
            .await?;
        Ok(id)
    }

    pub async fn add_answer(
        &self,
        conversation: &str,
        reply_to: i64,
        answer: &Answer,
    ) -> Result<i64> {
        let id = sqlx::query(
            "INSERT INTO messages (conversation_id, role, text, reply_to, outcome, writer, citations, confidence, created_at) \
             VALUES ($1, 'assistant', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(conversation)
        .bind(&answer.answer)
        .bind(reply_to)
        .bind(answer.outcome.as_str())
        .bind(answer.writer.as_str())
        .bind(serde_json::to_string(&answer.citations)?)
        .bind(answer.confidence as f64)
        .bind(now())
        .fetch_one(&self.pool)
        .await?
        .get::<i64, _>(0);
        Ok(id)
    }

    /// The transcript, oldest first, with the feedback given on each answer.
    pub async fn messages(&self, conversation: &str) -> Result<Vec<StoredMessage>> {
        let rows = sqlx::query(
            "SELECT m.id, m.role, m.text, m.reply_to, m.outcome, m.writer, m.citations, m.created_at, f.rating \
             FROM messages m LEFT JOIN feedback f ON f.message_id = m.id \
             WHERE m.conversation_id = $1 ORDER BY m.id",
        )
        .bind(conversation)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let citations: Option<String> = row.try_get("citations")?;
                Ok(StoredMessage {
                    id: row.try_get("id")?,
                    role: row.try_get("role")?,
                    text: row.try_get("text")?,
                    reply_to: row.try_get("reply_to")?,
                    outcome: row.try_get("outcome")?,
                    writer: row.try_get("writer")?,
                    citations: match citations {
                        Some(json) => serde_json::from_str(&json)?,
                        None => Vec::new(),
                    },
                    feedback: row.try_get("rating")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Records 👍 ("up") or 👎 ("down") on an answer; giving it again replaces it.
    pub async fn set_feedback(
        &self,
        conversation: &str,
        message_id: i64,
        rating: &str,
        comment: Option<&str>,
    ) -> Result<std::result::Result<(), FeedbackError>> {
        let is_answer = sqlx::query(
            "SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2 AND role = 'assistant'",
        )
        .bind(message_id)
        .bind(conversation)
        .fetch_optional(&self.pool)
        .await?
        .is_some();
        if !is_answer {
            return Ok(Err(FeedbackError::NoSuchAnswer));
        }
        sqlx::query(
            "INSERT INTO feedback (message_id, rating, comment, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, \
             comment = COALESCE(excluded.comment, feedback.comment), created_at = excluded.created_at",
        )
        .bind(message_id)
        .bind(rating)
        .bind(comment)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(Ok(()))
    }

    /// The conversation's state (`bot`, `waiting`, `agent`, `resolved`), or `None` if there
    /// is no such conversation.
    pub async fn conversation_state(&self, id: &str) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT state FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.get::<String, _>(0)))
    }

    /// How often the bot could not help in this conversation: answers without an answer,
    /// and answers rated 👎.
    pub async fn unhelpful_counts(&self, conversation: &str) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND outcome = 'no_answer'), \
               (SELECT COUNT(*) FROM feedback f JOIN messages m ON m.id = f.message_id \
                 WHERE m.conversation_id = $1 AND f.rating = 'down')",
        )
        .bind(conversation)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get::<i64, _>(0), row.get::<i64, _>(1)))
    }

    /// Opens a ticket for the conversation, sets it `waiting` and adds `notice` (what the
    /// user is told) to the transcript, in one transaction. `Err(id)` when a ticket is
    /// already open.
    pub async fn create_ticket(
        &self,
        conversation: &str,
        reason: &str,
        channel: &str,
        details: &crate::handoff::Details,
        notice: &str,
    ) -> Result<std::result::Result<NewTicket, i64>> {
        let mut tx = self.write_transaction().await?;
        if let Some(open) = sqlx::query(
            "SELECT id FROM tickets WHERE conversation_id = $1 AND status <> 'resolved'",
        )
        .bind(conversation)
        .fetch_optional(&mut *tx)
        .await?
        {
            return Ok(Err(open.get::<i64, _>(0)));
        }
        // The sources the bot gave in this conversation, for the agent.
        let mut sources: Vec<Citation> = Vec::new();
        for row in sqlx::query(
            "SELECT citations FROM messages WHERE conversation_id = $1 AND role = 'assistant' ORDER BY id",
        )
        .bind(conversation)
        .fetch_all(&mut *tx)
        .await?
        {
            let json: Option<String> = row.get(0);
            for c in serde_json::from_str::<Vec<Citation>>(json.as_deref().unwrap_or("[]"))? {
                if !sources.contains(&c) {
                    sources.push(c);
                }
            }
        }
        let at = now();
        let ticket = sqlx::query(
            "INSERT INTO tickets (conversation_id, status, reason, channel, facility_name, facility_code, \
             contact, question, sources, created_at) \
             VALUES ($1, 'waiting', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(conversation)
        .bind(reason)
        .bind(channel)
        .bind(details.facility_name.as_deref())
        .bind(details.facility_code.as_deref())
        .bind(details.contact.as_deref())
        .bind(details.question.as_deref())
        .bind(serde_json::to_string(&sources)?)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await;
        let ticket = match ticket {
            Ok(row) => row.get::<i64, _>(0),
            // Another request opened one between our check and insert (the unique index
            // on open tickets): that ticket is the answer.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                drop(tx);
                let open = sqlx::query(
                    "SELECT id FROM tickets WHERE conversation_id = $1 AND status <> 'resolved'",
                )
                .bind(conversation)
                .fetch_one(&self.pool)
                .await?;
                return Ok(Err(open.get::<i64, _>(0)));
            }
            Err(e) => return Err(e.into()),
        };
        sqlx::query("UPDATE conversations SET state = 'waiting', updated_at = $1 WHERE id = $2")
            .bind(&at)
            .bind(conversation)
            .execute(&mut *tx)
            .await?;
        let message = sqlx::query(
            "INSERT INTO messages (conversation_id, role, text, created_at) VALUES ($1, 'system', $2, $3) RETURNING id",
        )
        .bind(conversation)
        .bind(notice)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?
        .get::<i64, _>(0);
        tx.commit().await?;
        Ok(Ok(NewTicket { ticket, message }))
    }

    /// The citations the bot had given before the ticket was opened.
    pub async fn ticket_sources(&self, id: i64) -> Result<Vec<Citation>> {
        let row = sqlx::query("SELECT sources FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(serde_json::from_str(&row.try_get::<String, _>(0)?)?),
            None => Ok(Vec::new()),
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
