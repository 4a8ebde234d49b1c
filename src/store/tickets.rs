//! The call center's tickets: the queue, claims, replies, notes and resolution (opening
//! one is `opening.rs`).
//! Same queries on SQLite and PostgreSQL.

use super::error::{Conflict, Result, StoreError};
use anyhow::Context;
use serde::Serialize;
use sqlx::Row;

use super::error::{decoded, decoded_optional};
use super::{Store, StoredMessage, Tx, now};
use crate::assistant::Citation;
use crate::domain::{
    Channel, ConversationId, MessageId, Priority, Rating, Reason, Speaker, State, TicketId, UserId,
    View,
};
use crate::text::UserText;

/// A ticket in the queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketRow {
    pub id: TicketId,
    pub conversation_id: ConversationId,
    /// `waiting`, `agent` (claimed) or `resolved`.
    pub status: State,
    pub reason: Reason,
    pub channel: Channel,
    pub facility_name: Option<String>,
    pub facility_code: Option<String>,
    pub contact: Option<String>,
    pub question: Option<String>,
    /// The sign-in name of the agent who has it.
    pub claimed_by: Option<String>,
    /// Who has it, by id (what the ticket operations compare).
    #[serde(skip)]
    pub owner: Option<UserId>,
    pub category: Option<String>,
    /// The waiting queue shows urgent ones first.
    pub priority: Priority,
    /// The agents' tags.
    pub tags: Vec<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
    /// What the user wrote last (the queue shows it as a preview).
    pub last_user_message: Option<String>,
    /// Once resolved: how the user rated the person's help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_rating: Option<Rating>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Note {
    pub author: String,
    pub text: String,
    pub created_at: String,
}

pub(super) const TICKET_COLUMNS: &str = "t.id, t.conversation_id, t.status, t.reason, t.channel, t.facility_name, \
     t.facility_code, t.contact, t.question, u.name AS claimed_by, t.claimed_by AS owner, t.category, t.priority, t.tags, t.created_at, t.resolved_at, \
     (SELECT m.text FROM messages m WHERE m.conversation_id = t.conversation_id AND m.role = 'user' \
      ORDER BY m.id DESC LIMIT 1) AS last_user_message, \
     (SELECT f.rating FROM feedback f WHERE f.message_id = t.resolved_notice) AS help_rating";

pub(super) fn ticket_row(row: &sqlx::any::AnyRow) -> Result<TicketRow> {
    Ok(TicketRow {
        id: row.try_get("id")?,
        conversation_id: row.try_get("conversation_id")?,
        status: decoded(row, "status")?,
        reason: decoded(row, "reason")?,
        channel: decoded(row, "channel")?,
        facility_name: row.try_get("facility_name")?,
        facility_code: row.try_get("facility_code")?,
        contact: row.try_get("contact")?,
        question: row.try_get("question")?,
        claimed_by: row.try_get("claimed_by")?,
        owner: row.try_get::<Option<i64>, _>("owner")?.map(UserId),
        category: row.try_get("category")?,
        priority: decoded(row, "priority")?,
        tags: serde_json::from_str(&row.try_get::<String, _>("tags")?)?,
        created_at: row.try_get("created_at")?,
        resolved_at: row.try_get("resolved_at")?,
        last_user_message: row.try_get("last_user_message")?,
        help_rating: decoded_optional(row, "help_rating")?,
    })
}

impl Store {
    /// The queue: `waiting`, `mine` (claimed by `user`, open), or `all`; `search` matches
    /// the details and the transcript. Oldest first for open views, newest first for all.
    pub async fn tickets(
        &self,
        view: View,
        user: UserId,
        search: Option<&str>,
    ) -> Result<Vec<TicketRow>> {
        let filter = match view {
            View::Waiting => "t.status = 'waiting'",
            View::Mine => "t.status = 'agent' AND t.claimed_by = $1",
            View::All => "1 = 1",
        };
        let order = if view == View::All {
            "t.id DESC"
        } else {
            "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, t.id"
        };
        let pattern = search.map(|s| format!("%{}%", s.replace(['%', '_'], "")));
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t LEFT JOIN users u ON u.id = t.claimed_by \
             WHERE ({filter} OR $1 < 0) AND ($2 IS NULL OR COALESCE(t.facility_name, '') LIKE $2 \
             OR COALESCE(t.facility_code, '') LIKE $2 OR COALESCE(t.question, '') LIKE $2 OR t.tags LIKE $2 \
             OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = t.conversation_id AND m.text LIKE $2)) \
             ORDER BY {order} LIMIT 500"
        );
        let rows = sqlx::query(&sql)
            .bind(user.0)
            .bind(pattern)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(ticket_row).collect()
    }

    /// How many tickets wait, and how many `user` owns: the counts on the console's views.
    pub async fn view_counts(&self, user: UserId) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END), 0) AS waiting, \
             COALESCE(SUM(CASE WHEN status = 'agent' AND claimed_by = $1 THEN 1 ELSE 0 END), 0) AS mine \
             FROM tickets",
        )
        .bind(user.0)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("waiting")?, row.try_get("mine")?))
    }

    pub async fn ticket_row(&self, id: TicketId) -> Result<Option<TicketRow>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t LEFT JOIN users u ON u.id = t.claimed_by WHERE t.id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ticket_row).transpose()
    }

    /// The open ticket of a conversation, if there is one.
    pub async fn open_ticket(&self, conversation: &ConversationId) -> Result<Option<TicketRow>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t LEFT JOIN users u ON u.id = t.claimed_by \
             WHERE t.conversation_id = $1 AND t.status <> 'resolved'"
        );
        let row = sqlx::query(&sql)
            .bind(conversation)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ticket_row).transpose()
    }

    /// Sets a ticket's priority and tags; `false` if there is no such ticket.
    pub async fn set_labels(
        &self,
        ticket: TicketId,
        priority: Priority,
        tags: &[UserText],
    ) -> Result<bool> {
        let tags: Vec<&str> = tags.iter().map(UserText::as_str).collect();
        let done = sqlx::query("UPDATE tickets SET priority = $1, tags = $2 WHERE id = $3")
            .bind(priority.as_str())
            .bind(serde_json::to_string(&tags)?)
            .bind(ticket)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Claims a waiting ticket for `user` (of two agents exactly one wins: the update applies
    /// only while it waits) and adds `notice` (what the user is told) to the
    /// transcript, in one transaction: the conversation and the notice's id.
    pub async fn claim(
        &self,
        ticket: TicketId,
        user: UserId,
        notice: &str,
    ) -> Result<(ConversationId, MessageId)> {
        let mut tx = self.write_transaction().await?;
        let done = sqlx::query(
            "UPDATE tickets SET status = 'agent', claimed_by = $1, claimed_at = $2 WHERE id = $3 AND status = 'waiting'",
        )
        .bind(user.0)
        .bind(now())
        .bind(ticket)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            drop(tx);
            return Err(match self.ticket_row(ticket).await? {
                None => StoreError::NotFound,
                Some(t) => StoreError::Conflict(match t.claimed_by {
                    Some(by) => Conflict::ClaimedBy(by),
                    None => Conflict::NotWaiting(t.status),
                }),
            });
        }
        let conversation: ConversationId =
            sqlx::query("SELECT conversation_id FROM tickets WHERE id = $1")
                .bind(ticket)
                .fetch_one(&mut *tx)
                .await?
                .get(0);
        let message = set_state_and_tell(&mut tx, &conversation, State::Agent, notice).await?;
        tx.commit().await?;
        Ok((conversation, message))
    }

    /// The open ticket `agent` owns, or why not.
    pub(super) async fn owned(&self, ticket: TicketId, agent: UserId) -> Result<TicketRow> {
        let Some(t) = self.ticket_row(ticket).await? else {
            return Err(StoreError::NotFound);
        };
        if t.status == State::Agent && t.owner == Some(agent) {
            Ok(t)
        } else {
            Err(StoreError::Conflict(Conflict::NotYours))
        }
    }

    /// An agent's reply in the user's conversation; with the conversation's id.
    pub async fn reply(
        &self,
        ticket: TicketId,
        agent: UserId,
        text: &UserText,
    ) -> Result<(ConversationId, StoredMessage)> {
        let t = self.owned(ticket, agent).await?;
        let at = now();
        let row = sqlx::query(
            "INSERT INTO messages (conversation_id, role, text, author, created_at) \
             VALUES ($1, 'agent', $2, (SELECT display_name FROM users WHERE id = $3), $4) RETURNING id, author",
        )
        .bind(&t.conversation_id)
        .bind(text.as_str())
        .bind(agent.0)
        .bind(&at)
        .fetch_all(&self.writer)
        .await?;
        let row = row.first().context("no id came back")?;
        let (id, author) = (row.try_get("id")?, row.try_get("author")?);
        let message = StoredMessage {
            id,
            role: Speaker::Agent,
            text: text.as_str().to_string(),
            reply_to: None,
            outcome: None,
            writer: None,
            citations: Vec::new(),
            feedback: None,
            feedback_comment: None,
            closes_ticket: None,
            understood_as: None,
            author,
            created_at: at,
        };
        Ok((t.conversation_id, message))
    }

    pub async fn add_note(&self, ticket: TicketId, author: &str, text: &UserText) -> Result<bool> {
        if self.ticket_row(ticket).await?.is_none() {
            return Ok(false);
        }
        sqlx::query("INSERT INTO ticket_notes (ticket_id, author, text, created_at) VALUES ($1, $2, $3, $4)")
            .bind(ticket)
            .bind(author)
            .bind(text.as_str())
            .bind(now())
            .execute(&self.writer)
            .await?;
        Ok(true)
    }

    pub async fn notes(&self, ticket: TicketId) -> Result<Vec<Note>> {
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

    /// Resolves the ticket `agent` owns and adds `notice` to the transcript, in one
    /// transaction: the conversation and the notice's id.
    pub async fn resolve(
        &self,
        ticket: TicketId,
        agent: UserId,
        category: &str,
        notice: &str,
    ) -> Result<(ConversationId, MessageId)> {
        let t = self.owned(ticket, agent).await?;
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "UPDATE tickets SET status = 'resolved', resolved_at = $1, category = $2 WHERE id = $3",
        )
        .bind(now())
        .bind(category)
        .bind(ticket)
        .execute(&mut *tx)
        .await?;
        let message =
            set_state_and_tell(&mut tx, &t.conversation_id, State::Resolved, notice).await?;
        // The user rates the person's help on this notice.
        sqlx::query("UPDATE tickets SET resolved_notice = $1 WHERE id = $2")
            .bind(message)
            .bind(ticket)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((t.conversation_id, message))
    }

    /// The citations the bot had given before the ticket was opened.
    pub async fn ticket_sources(&self, id: TicketId) -> Result<Vec<Citation>> {
        let row = sqlx::query("SELECT sources FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(serde_json::from_str(&row.try_get::<String, _>(0)?)?),
            None => Ok(Vec::new()),
        }
    }
}

/// Sets the conversation's state and tells the user `notice` (in the transcript), in `tx`:
/// the notice's id.
pub(super) async fn set_state_and_tell(
    tx: &mut Tx<'_>,
    conversation: &ConversationId,
    state: State,
    notice: &str,
) -> Result<MessageId> {
    sqlx::query("UPDATE conversations SET state = $1 WHERE id = $2")
        .bind(state.as_str())
        .bind(conversation)
        .execute(&mut **tx)
        .await?;
    insert_system_message(tx, conversation, notice).await
}

/// What the service tells the user (a ticket opened, taken, resolved), in the transcript.
pub(super) async fn insert_system_message(
    tx: &mut Tx<'_>,
    conversation: &ConversationId,
    text: &str,
) -> Result<MessageId> {
    Ok(sqlx::query(
        "INSERT INTO messages (conversation_id, role, text, created_at) VALUES ($1, 'system', $2, $3) RETURNING id",
    )
    .bind(conversation)
    .bind(text)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?
    .get::<MessageId, _>(0))
}
