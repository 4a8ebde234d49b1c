//! The messaging channels' side of the store: each channel user's conversation, and the
//! webhook events and updates already taken (LINE redelivers, Telegram may repeat an
//! update after a restart), so that none is answered twice and none is lost.

use anyhow::Result;
use sqlx::Row;

use super::conversations::insert_conversation;
use super::{Store, now};

/// How long an event id is remembered; LINE redelivers within hours, not days.
const EVENT_MEMORY: chrono::TimeDelta = chrono::TimeDelta::days(7);

impl Store {
    /// The conversation of `user_id` on `channel`, opened on first contact.
    pub async fn channel_conversation(&self, channel: &str, user_id: &str) -> Result<String> {
        if let Some(id) = self.bound_conversation(channel, user_id).await? {
            return Ok(id);
        }
        let mut tx = self.write_transaction().await?;
        let id = insert_conversation(&mut tx, channel).await?;
        let bound = sqlx::query(
            "INSERT INTO channel_users (channel, user_id, conversation_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (channel, user_id) DO NOTHING",
        )
        .bind(channel)
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
                .ok_or_else(|| anyhow::anyhow!("{channel} user binding vanished"));
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn bound_conversation(&self, channel: &str, user_id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT conversation_id FROM channel_users WHERE channel = $1 AND user_id = $2",
        )
        .bind(channel)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The channel a conversation came from, and its user there: `None` for an unknown
    /// conversation; no user for the widget, or when the user left the channel (unfollowed).
    pub async fn channel_user(
        &self,
        conversation: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        let row = sqlx::query(
            "SELECT c.channel, u.user_id FROM conversations c \
             LEFT JOIN channel_users u ON u.conversation_id = c.id WHERE c.id = $1",
        )
        .bind(conversation)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// Forgets which conversation a user is in (they blocked the bot): coming back opens a
    /// new one. The transcript stays.
    pub async fn unbind_channel_user(&self, channel: &str, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM channel_users WHERE channel = $1 AND user_id = $2")
            .bind(channel)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records an event; `false` if it was recorded before (a redelivery).
    pub async fn first_delivery(&self, channel: &str, event_id: &str) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO channel_events (channel, event_id, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (channel, event_id) DO NOTHING",
        )
        .bind(channel)
        .bind(event_id)
        .bind(now())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// Stores a user's message and records the event that brought it, in one transaction:
    /// `None` if the event was taken before. A crash can lose neither one without the other.
    pub async fn add_user_message_once(
        &self,
        conversation: &str,
        text: &str,
        channel: &str,
        event_id: &str,
    ) -> Result<Option<i64>> {
        let mut tx = self.write_transaction().await?;
        let at = now();
        let first = sqlx::query(
            "INSERT INTO channel_events (channel, event_id, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (channel, event_id) DO NOTHING",
        )
        .bind(channel)
        .bind(event_id)
        .bind(&at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !first {
            tx.rollback().await?;
            return Ok(None);
        }
        let id = self
            .insert_user_message(&mut tx, conversation, text, &at)
            .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Forgets event ids older than a week.
    pub async fn prune_channel_events(&self) -> Result<u64> {
        let cutoff = (chrono::Utc::now() - EVENT_MEMORY)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Ok(
            sqlx::query("DELETE FROM channel_events WHERE received_at < $1")
                .bind(cutoff)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}
