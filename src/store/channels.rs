//! The messaging channels' side of the store: each channel user's conversation, and the
//! webhook events and updates already taken (LINE redelivers, Telegram may repeat an
//! update after a restart), so that none is answered twice and none is lost.

use super::error::{Result, StoreError, decoded};
use sqlx::Row;

use super::conversations::{StoredMessage, insert_conversation, insert_user_message};
use super::{Store, Tx, now};
use crate::domain::{Channel, ConversationId, MessageId, Speaker};
use crate::text::UserText;

/// A channel message still to be answered (see migration 0009).
#[derive(Debug, Clone)]
pub struct ChannelJob {
    pub message_id: MessageId,
    pub channel: String,
    pub user_id: String,
    /// When a worker last took it (RFC 3339).
    pub claimed_at: String,
    /// How many times a sweep took it.
    pub attempts: i64,
    /// When the user sent the message (RFC 3339).
    pub asked_at: String,
}

/// A notice the service owes a channel user (see migration 0014).
#[derive(Debug, Clone)]
pub struct OwedNotice {
    pub id: i64,
    pub channel: String,
    pub user_id: String,
    pub text: String,
    /// Questions offered with it.
    pub suggestions: Vec<String>,
    /// When it was owed (RFC 3339).
    pub created_at: String,
    /// When a worker last took it (RFC 3339).
    pub claimed_at: String,
    /// How many times a sweep took it.
    pub attempts: i64,
}

/// A messaging platform's event: its channel, its id there, and the user it came from.
#[derive(Debug, Clone, Copy)]
pub struct ChannelEvent<'a> {
    pub channel: Channel,
    pub event_id: &'a str,
    pub user_id: &'a str,
}

/// Records an event in `tx`; `false` if it was recorded before (a redelivery).
pub(super) async fn record_event(tx: &mut Tx<'_>, channel: &str, event_id: &str) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO channel_events (channel, event_id, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (channel, event_id) DO NOTHING",
    )
    .bind(channel)
    .bind(event_id)
    .bind(now())
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Writes a notice owed to the event's user, in `tx`: its id.
pub(super) async fn owe(
    tx: &mut Tx<'_>,
    event: &ChannelEvent<'_>,
    text: &str,
    suggestions: &[String],
) -> Result<i64> {
    let at = now();
    Ok(sqlx::query(
        "INSERT INTO channel_outbox (channel, user_id, text, suggestions, created_at, claimed_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(event.channel.as_str())
    .bind(event.user_id)
    .bind(text)
    .bind(serde_json::to_string(suggestions)?)
    .bind(&at)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?)
}

/// How long an event id is remembered; LINE redelivers within hours, not days.
const EVENT_MEMORY: chrono::TimeDelta = chrono::TimeDelta::days(7);

impl Store {
    /// The conversation of `user_id` on `channel`, opened on first contact.
    pub async fn channel_conversation(
        &self,
        channel: Channel,
        user_id: &str,
    ) -> Result<ConversationId> {
        if let Some(id) = self.bound_conversation(channel, user_id).await? {
            return Ok(id);
        }
        let mut tx = self.write_transaction().await?;
        let id = insert_conversation(&mut *tx, channel).await?;
        let bound = sqlx::query(
            "INSERT INTO channel_users (channel, user_id, conversation_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (channel, user_id) DO NOTHING",
        )
        .bind(channel.as_str())
        .bind(user_id)
        .bind(&id)
        .bind(now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if bound == 0 {
            // Another instance bound this user first: use its conversation.
            tx.rollback().await?;
            return self
                .bound_conversation(channel, user_id)
                .await?
                .ok_or_else(|| StoreError::fault(format!("{channel} user binding vanished")));
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn bound_conversation(
        &self,
        channel: Channel,
        user_id: &str,
    ) -> Result<Option<ConversationId>> {
        let row = sqlx::query(
            "SELECT conversation_id FROM channel_users WHERE channel = $1 AND user_id = $2",
        )
        .bind(channel.as_str())
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The channel a conversation came from, and its user there: `None` for an unknown
    /// conversation; no user for the widget, or when the user left the channel (unfollowed).
    pub async fn channel_user(
        &self,
        conversation: &ConversationId,
    ) -> Result<Option<(Channel, Option<String>)>> {
        let row = sqlx::query(
            "SELECT c.channel, u.user_id FROM conversations c \
             LEFT JOIN channel_users u ON u.conversation_id = c.id WHERE c.id = $1",
        )
        .bind(conversation)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((decoded(&r, "channel")?, r.try_get("user_id")?)))
            .transpose()
    }

    /// Forgets which conversation a user is in (they blocked the bot): coming back opens a
    /// new one. The transcript stays.
    pub async fn unbind_channel_user(&self, channel: &str, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM channel_users WHERE channel = $1 AND user_id = $2")
            .bind(channel)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Records an event that asks for a notice (a greeting, 「文字で送ってください」)
    /// together with the notice owed to its user, in one transaction: the notice's id, or
    /// `None` if the event was taken before.
    pub async fn owe_notice_for_event(
        &self,
        event: &ChannelEvent<'_>,
        text: &str,
        suggestions: &[String],
    ) -> Result<Option<i64>> {
        let mut tx = self.write_transaction().await?;
        if !record_event(&mut tx, event.channel.as_str(), event.event_id).await? {
            return Ok(None);
        }
        let id = owe(&mut tx, event, text, suggestions).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Stores a user's message and records the event that brought it, in one transaction,
    /// with a job to answer it when the bot owns the conversation — or, while a person
    /// does, the notice `for_agent` owed to the user (「担当者にお伝えしました」). `None` if the
    /// event was taken before; else the message's id and the owed notice's id (`None`:
    /// the bot is to answer it). A crash can lose none of them without the others.
    pub async fn add_user_message_once(
        &self,
        conversation: &ConversationId,
        text: &UserText,
        event: &ChannelEvent<'_>,
        for_agent: &str,
    ) -> Result<Option<(MessageId, Option<i64>)>> {
        let mut tx = self.write_transaction().await?;
        if !record_event(&mut tx, event.channel.as_str(), event.event_id).await? {
            return Ok(None);
        }
        let id = insert_user_message(&mut *tx, conversation, text).await?;
        let for_bot = sqlx::query(
            "INSERT INTO channel_jobs (message_id, channel, user_id, claimed_at) \
             SELECT $1, $2, $3, $4 FROM conversations \
             WHERE id = $5 AND state NOT IN ('waiting', 'agent')",
        )
        .bind(id)
        .bind(event.channel.as_str())
        .bind(event.user_id)
        .bind(now())
        .bind(conversation)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let owed = match for_bot {
            true => None,
            false => Some(owe(&mut tx, event, for_agent, &[]).await?),
        };
        tx.commit().await?;
        Ok(Some((id, owed)))
    }

    /// The notices of `channels` no worker has sent since `claimed_before` (RFC 3339): left
    /// by a crash or a failed send. Oldest first, at most 100.
    pub async fn stale_owed_notices(
        &self,
        claimed_before: &str,
        channels: &[&str],
    ) -> Result<Vec<OwedNotice>> {
        self.stale(
            "SELECT id, channel, user_id, text, suggestions, created_at, claimed_at, attempts \
             FROM channel_outbox",
            "",
            "id",
            claimed_before,
            channels,
        )
        .await?
        .into_iter()
        .map(|r| {
            Ok(OwedNotice {
                id: r.try_get(0)?,
                channel: r.try_get(1)?,
                user_id: r.try_get(2)?,
                text: r.try_get(3)?,
                suggestions: serde_json::from_str(&r.try_get::<String, _>(4)?)?,
                created_at: r.try_get(5)?,
                claimed_at: r.try_get(6)?,
                attempts: r.try_get(7)?,
            })
        })
        .collect()
    }

    /// Takes a stale owed notice for this worker, counting the attempt: `false` when
    /// another instance took it first.
    pub async fn claim_owed_notice(&self, notice: &OwedNotice) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE channel_outbox SET claimed_at = $1, attempts = attempts + 1 \
             WHERE id = $2 AND claimed_at = $3",
        )
        .bind(now())
        .bind(notice.id)
        .bind(&notice.claimed_at)
        .execute(&self.writer)
        .await?
        .rows_affected()
            == 1)
    }

    /// The owed notice `id` was sent (or given up).
    pub async fn finish_owed_notice(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM channel_outbox WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The jobs of `channels` no worker has finished since `claimed_before` (RFC 3339):
    /// left by a crash, or by a send that failed. Oldest first, at most 100.
    pub async fn stale_channel_jobs(
        &self,
        claimed_before: &str,
        channels: &[&str],
    ) -> Result<Vec<ChannelJob>> {
        let rows = self
            .stale(
                "SELECT j.message_id, j.channel, j.user_id, j.claimed_at, j.attempts, m.created_at \
                 FROM channel_jobs j JOIN messages m ON m.id = j.message_id",
                "j.",
                "j.message_id",
                claimed_before,
                channels,
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ChannelJob {
                message_id: r.get(0),
                channel: r.get(1),
                user_id: r.get(2),
                claimed_at: r.get(3),
                attempts: r.get(4),
                asked_at: r.get(5),
            })
            .collect())
    }

    /// The rows of `select` (over a table of `claimed_at` and `channel`, written with
    /// `prefix`) claimed before `claimed_before` for one of `channels`, by `order`, at most
    /// 100: what the sweep takes up.
    async fn stale(
        &self,
        select: &str,
        prefix: &str,
        order: &str,
        claimed_before: &str,
        channels: &[&str],
    ) -> Result<Vec<sqlx::any::AnyRow>> {
        if channels.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = (0..channels.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "{select} WHERE {prefix}claimed_at < $1 AND {prefix}channel IN ({}) \
             ORDER BY {order} LIMIT 100",
            names.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(claimed_before);
        for channel in channels {
            query = query.bind(*channel);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Takes a stale job for this worker, counting the attempt: `false` when another
    /// instance took it first (it is no longer claimed as `job` saw it).
    pub async fn claim_channel_job(&self, job: &ChannelJob) -> Result<bool> {
        let mut tx = self.write_transaction().await?;
        let claimed = sqlx::query(
            "UPDATE channel_jobs SET claimed_at = $1, attempts = attempts + 1 \
             WHERE message_id = $2 AND claimed_at = $3",
        )
        .bind(now())
        .bind(job.message_id)
        .bind(&job.claimed_at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(claimed)
    }

    /// The job of message `message_id` is done (answered and sent, or given up).
    pub async fn finish_channel_job(&self, message_id: MessageId) -> Result<()> {
        let mut tx = self.write_transaction().await?;
        sqlx::query("DELETE FROM channel_jobs WHERE message_id = $1")
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What a job answers: the message's conversation and stored text, and the answer
    /// already stored for it, if one was (a crash or a failed send came after it).
    pub async fn channel_job_question(
        &self,
        message_id: MessageId,
    ) -> Result<Option<(ConversationId, String, Option<StoredMessage>)>> {
        let Some((conversation, question)) = self.message(message_id).await? else {
            return Ok(None);
        };
        let answer = self
            .messages(&conversation)
            .await?
            .into_iter()
            .find(|m| m.role == Speaker::Assistant && m.reply_to == Some(message_id));
        Ok(Some((conversation, question.text, answer)))
    }

    /// Forgets event ids older than a week.
    pub async fn prune_channel_events(&self) -> Result<u64> {
        let cutoff = (chrono::Utc::now() - EVENT_MEMORY)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Ok(
            sqlx::query("DELETE FROM channel_events WHERE received_at < $1")
                .bind(cutoff)
                .execute(&self.writer)
                .await?
                .rows_affected(),
        )
    }
}
