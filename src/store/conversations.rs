//! Conversations, their messages and the feedback on answers; NOTIFY/LISTEN so that a
//! message written on one instance reaches the users connected to another.

use super::error::{Result, StoreError, decoded, decoded_optional};
use serde::Serialize;
use sqlx::Row;

use super::group_commit::{NewRow, insert_one};
use super::{Store, now};
use crate::assistant::{Answer, Citation};
use crate::domain::{
    Channel, ConversationId, MessageId, Outcome, Rating, Speaker, State, TicketId, WriterKind,
};
use crate::text::UserText;

/// One message of a transcript, as the API returns it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Message)]
pub struct StoredMessage {
    pub id: MessageId,
    /// Who wrote it (the table's CHECK lists the same names).
    pub role: Speaker,
    pub text: String,
    /// The user message an answer replies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
    /// An answer's outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// An answer's writer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writer: Option<WriterKind>,
    pub citations: Vec<Citation>,
    /// The user's rating of an answer (or of a person's help).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Rating>,
    /// What the user wrote with a 👎 (why the answer did not help).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback_comment: Option<String>,
    /// On an answer: the question as the assistant understood it, when that differs from
    /// what the user typed (a follow-up, several questions in one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub understood_as: Option<String>,
    /// On the notice that a person finished with the conversation: the ticket they
    /// resolved. The user may rate their help on it (`POST /api/v1/feedback`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes_ticket: Option<TicketId>,
    /// On an agent's reply: the name the agent gives users, when they gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// What answering a conversation's next message reads of it ([`Store::conversation_context`]).
#[derive(Debug, Clone, Default)]
pub struct ConversationContext {
    pub state: State,
    /// The last answered question (not small talk), as it was understood, and when its
    /// answer was written (RFC 3339): what a follow-up leans on.
    pub previous: Option<(String, String)>,
    /// The answers that did not help since the last ticket was resolved: without an
    /// answer, and rated 👎.
    pub no_answers: i64,
    pub downs: i64,
}

/// What a rating was given on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rated {
    Answer,
    /// A person's help: the notice that they resolved the conversation's ticket.
    Help,
}

/// Stores a user's message (already stripped of any 12-digit number) and gives its id:
/// one statement, which also marks the conversation updated (migration 0013's trigger).
pub(super) async fn insert_user_message<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    conversation: &ConversationId,
    text: &UserText,
) -> Result<MessageId> {
    insert_one(executor, &NewRow::question(conversation, text))
        .await?
        .map(MessageId)
        .ok_or_else(|| StoreError::fault("no id came back"))
}

/// A new conversation's id (a random UUID).
pub(super) async fn insert_conversation<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    channel: Channel,
) -> Result<ConversationId> {
    let (id, row) = NewRow::conversation(channel);
    insert_one(executor, &row).await?;
    Ok(id)
}

impl Store {
    /// One message by id, with its conversation.
    pub async fn message(&self, id: MessageId) -> Result<Option<(ConversationId, StoredMessage)>> {
        let Some(row) = sqlx::query("SELECT conversation_id FROM messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let conversation: ConversationId = row.try_get(0)?;
        let found = self
            .messages(&conversation)
            .await?
            .into_iter()
            .find(|m| m.id == id);
        Ok(found.map(|m| (conversation, m)))
    }

    /// What the user wrote last in a conversation (the language notices are written in).
    pub async fn last_user_text(&self, conversation: &ConversationId) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT text FROM messages WHERE conversation_id = $1 AND role = 'user' ORDER BY id DESC LIMIT 1",
        )
        .bind(conversation)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get::<String, _>(0)))
    }

    /// On PostgreSQL, tells every instance that a message was written (NOTIFY).
    pub async fn notify_message(&self, id: MessageId) -> Result<()> {
        sqlx::query("SELECT pg_notify('shikaku_messages', $1)")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// On PostgreSQL, tells every instance's agent consoles what happened at the desk.
    pub async fn notify_desk(&self, event: &str) -> Result<()> {
        sqlx::query("SELECT pg_notify('shikaku_desk', $1)")
            .bind(event)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// On PostgreSQL, what other instances (and this one) announce: the ids of messages on
    /// `shikaku_messages`, desk events on `shikaku_desk`; reconnects by itself after a
    /// dropped connection.
    pub async fn listen(&self) -> Result<sqlx::postgres::PgListener> {
        let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
        listener
            .listen_all(["shikaku_messages", "shikaku_desk"])
            .await?;
        Ok(listener)
    }

    /// Whether the database accepts a write (for `/readyz`): a service that can read but
    /// not write cannot keep what users send, so it is not ready.
    pub async fn ping_write(&self) -> Result<()> {
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "INSERT INTO maintenance (name, done_at) VALUES ('readiness-probe', $1) \
             ON CONFLICT (name) DO UPDATE SET done_at = excluded.done_at",
        )
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new conversation's id, once it is committed ([`group_commit`](super::group_commit)).
    pub async fn create_conversation(&self, channel: Channel) -> Result<ConversationId> {
        let (id, row) = NewRow::conversation(channel);
        self.commits.write(row).await?;
        Ok(id)
    }

    pub async fn conversation_exists(&self, id: &ConversationId) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Stores what the user asked (already stripped of any 12-digit number) and gives its
    /// id once it is committed.
    pub async fn add_user_message(
        &self,
        conversation: &ConversationId,
        text: &UserText,
    ) -> Result<MessageId> {
        self.commits
            .write(NewRow::question(conversation, text))
            .await?
            .map(MessageId)
            .ok_or_else(|| StoreError::fault("no id came back"))
    }

    /// Stores an answer to the user's message `reply_to` and gives its id once it is
    /// committed.
    pub async fn add_answer(
        &self,
        conversation: &ConversationId,
        reply_to: MessageId,
        answer: &Answer,
    ) -> Result<MessageId> {
        self.commits
            .write(NewRow::Answer {
                conversation: conversation.clone(),
                reply_to: reply_to.0,
                text: answer.answer.clone(),
                outcome: answer.outcome.as_str(),
                writer: answer.writer.as_str(),
                citations: serde_json::to_string(&answer.citations)?,
                confidence: answer.confidence as f64,
                understood_as: answer.understood_as.clone(),
                at: now(),
            })
            .await?
            .map(MessageId)
            .ok_or_else(|| StoreError::fault("no id came back"))
    }

    /// The transcript, oldest first, with the feedback given on each answer.
    pub async fn messages(&self, conversation: &ConversationId) -> Result<Vec<StoredMessage>> {
        let rows = sqlx::query(
            "SELECT m.id, m.role, m.text, m.reply_to, m.outcome, m.writer, m.citations, m.understood_as, m.author, m.created_at, f.rating, f.comment, \
             (SELECT t.id FROM tickets t WHERE t.resolved_notice = m.id) AS closes_ticket \
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
                    role: decoded(&row, "role")?,
                    text: row.try_get("text")?,
                    reply_to: row.try_get("reply_to")?,
                    outcome: decoded_optional(&row, "outcome")?,
                    writer: decoded_optional(&row, "writer")?,
                    citations: match citations {
                        Some(json) => serde_json::from_str(&json)?,
                        None => Vec::new(),
                    },
                    feedback: decoded_optional(&row, "rating")?,
                    feedback_comment: row.try_get("comment")?,
                    closes_ticket: row.try_get("closes_ticket")?,
                    understood_as: row.try_get("understood_as")?,
                    author: row.try_get("author")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Records 👍 ("up") or 👎 ("down") on an answer, or on the notice that a person
    /// resolved the conversation's ticket (their help); giving it again replaces it.
    pub async fn set_feedback(
        &self,
        conversation: &ConversationId,
        message_id: MessageId,
        rating: Rating,
        comment: Option<&UserText>,
    ) -> Result<Rated> {
        let role: Option<Speaker> = sqlx::query(
            "SELECT m.role FROM messages m WHERE m.id = $1 AND m.conversation_id = $2 \
             AND (m.role = 'assistant' OR EXISTS (SELECT 1 FROM tickets t WHERE t.resolved_notice = m.id))",
        )
        .bind(message_id)
        .bind(conversation)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| decoded(&row, "role"))
        .transpose()?;
        let rated = match role {
            // No answer with that id in that conversation.
            None => return Err(StoreError::NotFound),
            Some(Speaker::Assistant) => Rated::Answer,
            Some(_) => Rated::Help,
        };
        sqlx::query(
            "INSERT INTO feedback (message_id, rating, comment, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, \
             comment = COALESCE(excluded.comment, feedback.comment), created_at = excluded.created_at",
        )
        .bind(message_id)
        .bind(rating.as_str())
        .bind(comment.map(UserText::as_str))
        .bind(now())
        .execute(&self.writer)
        .await?;
        Ok(rated)
    }

    /// The conversation's state (`bot`, `waiting`, `agent`, `resolved`), or `None` if there
    /// is no such conversation.
    pub async fn conversation_state(&self, id: &ConversationId) -> Result<Option<State>> {
        sqlx::query("SELECT state FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| decoded(&row, "state"))
            .transpose()
    }

    /// What answering a conversation's next message reads of it, in one query; `None` if
    /// there is no such conversation.
    pub async fn conversation_context(
        &self,
        id: &ConversationId,
    ) -> Result<Option<ConversationContext>> {
        // The last answered question (not small talk): what a follow-up leans on.
        const LAST_ANSWER: &str = "FROM messages a JOIN messages u ON u.id = a.reply_to \
             WHERE a.conversation_id = c.id AND a.role = 'assistant' \
               AND (a.writer IS NULL OR a.writer <> 'small_talk') \
             ORDER BY a.id DESC LIMIT 1";
        // Since the conversation's last ticket was resolved: a person dealt with the rest.
        const SINCE_RESOLVED: &str =
            "COALESCE((SELECT MAX(resolved_at) FROM tickets WHERE conversation_id = c.id), '')";
        let sql = format!(
            "SELECT c.state, \
               (SELECT COALESCE(a.understood_as, u.text) {LAST_ANSWER}), \
               (SELECT a.created_at {LAST_ANSWER}), \
               (SELECT COUNT(*) FROM messages WHERE conversation_id = c.id AND outcome = 'no_answer' \
                 AND created_at > {SINCE_RESOLVED}), \
               (SELECT COUNT(*) FROM feedback f JOIN messages m ON m.id = f.message_id \
                 WHERE m.conversation_id = c.id AND m.role = 'assistant' AND f.rating = 'down' \
                   AND m.created_at > {SINCE_RESOLVED}) \
             FROM conversations c WHERE c.id = $1"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let question: Option<String> = row.try_get(1)?;
        let answered_at: Option<String> = row.try_get(2)?;
        Ok(Some(ConversationContext {
            state: decoded(&row, "state")?,
            previous: question.zip(answered_at),
            no_answers: row.try_get(3)?,
            downs: row.try_get(4)?,
        }))
    }
}
