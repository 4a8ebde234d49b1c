//! The call center's side of the store: users, signed-in sessions, the ticket queue,
//! claims, replies, notes and resolution. Same queries on SQLite and PostgreSQL.

use anyhow::Result;
use serde::Serialize;
use sqlx::Row;

use super::{Store, StoredMessage, now};

/// A signed-in user.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// The session's CSRF token, sent back in `X-CSRF-Token` with every change.
    #[serde(skip)]
    pub csrf: String,
}

/// What a sign-in attempt found.
pub enum Login {
    /// The password matched: the user.
    Ok(User),
    Bad,
    /// Too many failures: locked until this RFC 3339 time.
    Locked(String),
}

/// After this many failed sign-ins in a row the account is locked for a while.
pub const MAX_FAILED_LOGINS: i64 = 5;
const LOCKOUT_MINUTES: i64 = 15;

/// A ticket in the queue.
#[derive(Debug, Clone, Serialize)]
pub struct TicketRow {
    pub id: i64,
    pub conversation_id: String,
    pub status: String,
    pub reason: String,
    pub channel: String,
    pub facility_name: Option<String>,
    pub facility_code: Option<String>,
    pub contact: Option<String>,
    pub question: Option<String>,
    pub claimed_by: Option<String>,
    pub category: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub author: String,
    pub text: String,
    pub created_at: String,
}

/// Why an agent's action on a ticket was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    NoSuchTicket,
    /// The ticket is not (or no longer) in the state the action needs, or another agent
    /// owns it.
    Conflict(String),
}

const TICKET_COLUMNS: &str = "t.id, t.conversation_id, t.status, t.reason, t.channel, t.facility_name, \
     t.facility_code, t.contact, t.question, u.name AS claimed_by, t.category, t.created_at, t.resolved_at";

fn ticket_row(row: &sqlx::any::AnyRow) -> Result<TicketRow> {
    Ok(TicketRow {
        id: row.try_get("id")?,
        conversation_id: row.try_get("conversation_id")?,
        status: row.try_get("status")?,
        reason: row.try_get("reason")?,
        channel: row.try_get("channel")?,
        facility_name: row.try_get("facility_name")?,
        facility_code: row.try_get("facility_code")?,
        contact: row.try_get("contact")?,
        question: row.try_get("question")?,
        claimed_by: row.try_get("claimed_by")?,
        category: row.try_get("category")?,
        created_at: row.try_get("created_at")?,
        resolved_at: row.try_get("resolved_at")?,
    })
}

fn minutes_from_now(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// Creates a user with an argon2id hash; an error if the name is taken.
    pub async fn add_user(&self, name: &str, role: &str, password_hash: &str) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(role)
        .bind(password_hash)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                anyhow::anyhow!("a user named {name:?} already exists")
            }
            e => e.into(),
        })?;
        Ok(row.get::<i64, _>(0))
    }

    /// Checks a sign-in with `verify(stored_hash)`; counts failures and locks the account
    /// after [`MAX_FAILED_LOGINS`] in a row. An unknown name is `Bad` like a wrong password.
    pub async fn check_login(&self, name: &str, verify: impl Fn(&str) -> bool) -> Result<Login> {
        let Some(row) = sqlx::query(
            "SELECT id, role, password_hash, failed_logins, locked_until FROM users WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(Login::Bad);
        };
        let id: i64 = row.try_get("id")?;
        let locked_until: Option<String> = row.try_get("locked_until")?;
        if let Some(until) = locked_until.filter(|u| *u > now()) {
            return Ok(Login::Locked(until));
        }
        let hash: String = row.try_get("password_hash")?;
        if verify(&hash) {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(id)
                .execute(&self.pool)
                .await?;
            return Ok(Login::Ok(User {
                id,
                name: name.to_string(),
                role: row.try_get("role")?,
                csrf: String::new(),
            }));
        }
        let failed: i64 = row.try_get::<i64, _>("failed_logins")? + 1;
        let lock = (failed >= MAX_FAILED_LOGINS).then(|| minutes_from_now(LOCKOUT_MINUTES));
        sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(if lock.is_some() { 0 } else { failed })
            .bind(lock.as_deref())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(match lock {
            Some(until) => Login::Locked(until),
            None => Login::Bad,
        })
    }

    pub async fn create_session(
        &self,
        user: i64,
        token_hash: &str,
        csrf: &str,
        hours: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO agent_sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user)
        .bind(csrf)
        .bind(now())
        .bind(minutes_from_now(hours * 60))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user of an unexpired session.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, s.csrf FROM agent_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(User {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                role: r.try_get("role")?,
                csrf: r.try_get("csrf")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM agent_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The queue: `waiting`, `mine` (claimed by `user`, open), or `all`; `search` matches
    /// the details and the transcript. Oldest first for open views, newest first for all.
    pub async fn tickets(
        &self,
        view: &str,
        user: i64,
        search: Option<&str>,
    ) -> Result<Vec<TicketRow>> {
        let filter = match view {
            "waiting" => "t.status = 'waiting'",
            "mine" => "t.status = 'agent' AND t.claimed_by = $1",
            _ => "1 = 1",
        };
        let order = if view == "all" { "t.id DESC" } else { "t.id" };
        let pattern = search.map(|s| format!("%{}%", s.replace(['%', '_'], "")));
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t LEFT JOIN users u ON u.id = t.claimed_by \
             WHERE ({filter} OR $1 < 0) AND ($2 IS NULL OR COALESCE(t.facility_name, '') LIKE $2 \
             OR COALESCE(t.facility_code, '') LIKE $2 OR COALESCE(t.question, '') LIKE $2 \
             OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = t.conversation_id AND m.text LIKE $2)) \
             ORDER BY {order} LIMIT 500"
        );
        let rows = sqlx::query(&sql)
            .bind(user)
            .bind(pattern)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(ticket_row).collect()
    }

    pub async fn ticket_row(&self, id: i64) -> Result<Option<TicketRow>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t LEFT JOIN users u ON u.id = t.claimed_by WHERE t.id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ticket_row).transpose()
    }

    /// Claims a waiting ticket. Of two agents claiming the same ticket exactly one wins:
    /// the update only applies while the ticket is still waiting.
    pub async fn claim(&self, ticket: i64, user: i64) -> Result<std::result::Result<(), Refused>> {
        let mut tx = self.write_transaction().await?;
        let done = sqlx::query(
            "UPDATE tickets SET status = 'agent', claimed_by = $1, claimed_at = $2 WHERE id = $3 AND status = 'waiting'",
        )
        .bind(user)
        .bind(now())
        .bind(ticket)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            drop(tx);
            return Ok(Err(match self.ticket_row(ticket).await? {
                None => Refused::NoSuchTicket,
                Some(t) => Refused::Conflict(match t.claimed_by {
                    Some(by) => format!("{by} が対応中です"),
                    None => format!("この問い合わせは {} です", t.status),
                }),
            }));
        }
        sqlx::query(
            "UPDATE conversations SET state = 'agent' WHERE id = (SELECT conversation_id FROM tickets WHERE id = $1)",
        )
        .bind(ticket)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// The open ticket `user` owns, or why not (user names are unique, and the row names
    /// its owner).
    async fn owned(
        &self,
        ticket: i64,
        user: &User,
    ) -> Result<std::result::Result<TicketRow, Refused>> {
        let Some(t) = self.ticket_row(ticket).await? else {
            return Ok(Err(Refused::NoSuchTicket));
        };
        if t.status == "agent" && t.claimed_by.as_deref() == Some(user.name.as_str()) {
            Ok(Ok(t))
        } else {
            Ok(Err(Refused::Conflict(
                "この問い合わせを対応中にしてから操作してください".into(),
            )))
        }
    }

    /// An agent's reply in the user's conversation; with the conversation's id.
    pub async fn reply(
        &self,
        ticket: i64,
        user: &User,
        text: &str,
    ) -> Result<std::result::Result<(String, StoredMessage), Refused>> {
        let t = match self.owned(ticket, user).await? {
            Ok(t) => t,
            Err(r) => return Ok(Err(r)),
        };
        let at = now();
        let id = sqlx::query(
            "INSERT INTO messages (conversation_id, role, text, created_at) VALUES ($1, 'agent', $2, $3) RETURNING id",
        )
        .bind(&t.conversation_id)
        .bind(text)
        .bind(&at)
        .fetch_one(&self.pool)
        .await?
        .get::<i64, _>(0);
        let message = StoredMessage {
            id,
            role: "agent".into(),
            text: text.to_string(),
            reply_to: None,
            outcome: None,
            writer: None,
            citations: Vec::new(),
            feedback: None,
            created_at: at,
        };
        Ok(Ok((t.conversation_id, message)))
    }

    pub async fn add_note(&self, ticket: i64, author: &str, text: &str) -> Result<bool> {
        if self.ticket_row(ticket).await?.is_none() {
            return Ok(false);
        }
        sqlx::query("INSERT INTO ticket_notes (ticket_id, author, text, created_at) VALUES ($1, $2, $3, $4)")
            .bind(ticket)
            .bind(author)
            .bind(text)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(true)
    }

    pub async fn notes(&self, ticket: i64) -> Result<Vec<Note>> {
        let rows = sqlx::query(
            "SELECT author, text, created_at FROM ticket_notes WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(ticket)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Note {
                    author: r.try_get("author")?,
                    text: r.try_get("text")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Resolves the ticket the agent owns; the bot may answer in the conversation again.
    pub async fn resolve(
        &self,
        ticket: i64,
        user: &User,
        category: &str,
    ) -> Result<std::result::Result<(), Refused>> {
        let t = match self.owned(ticket, user).await? {
            Ok(t) => t,
            Err(r) => return Ok(Err(r)),
        };
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "UPDATE tickets SET status = 'resolved', resolved_at = $1, category = $2 WHERE id = $3",
        )
        .bind(now())
        .bind(category)
        .bind(ticket)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE conversations SET state = 'resolved' WHERE id = $1")
            .bind(&t.conversation_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    pub async fn users(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT name, role FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
