//! The messaging channels' side of the conversation service: a channel user's conversation,
//! events taken once (a redelivery is not answered twice), and each message stored with its
//! job to answer it (`jobs.rs`).

use super::{Accepted, ChatError, Conversations, State, stored_text};
use crate::assistant::{Channel, validate};

impl Conversations {
    /// A message that came in a messaging channel's event (`event_id`: LINE's
    /// webhookEventId, Telegram's update_id) from `user`: stored together with the event's
    /// id, so `None` for an event taken before, and with a job to answer it unless a person
    /// owns the conversation (see `jobs.rs`). An invalid message is recorded too, so that
    /// it is refused once.
    pub async fn accept_event(
        &self,
        channel: Channel,
        user: &str,
        event_id: &str,
        text: &str,
    ) -> Result<Option<Accepted>, ChatError> {
        let conversation = self.channel_conversation(channel, user).await?;
        if let Err(e) = validate(text) {
            return if self.first_event(channel, event_id).await? {
                Err(e.into())
            } else {
                Ok(None)
            };
        }
        let Some((question_id, for_bot)) = self
            .store
            .add_user_message_once(
                &conversation,
                &stored_text(text),
                channel.as_str(),
                user,
                event_id,
            )
            .await?
        else {
            return Ok(None);
        };
        if for_bot {
            // Its job was written with it: the bot answers, whatever the state is by now.
            return Ok(Some(Accepted {
                session_id: conversation,
                question_id,
                state: State::Bot,
                text: text.to_string(),
                channel,
                context: None,
            }));
        }
        Ok(Some(
            self.accepted(conversation, question_id, channel, text, None)
                .await?,
        ))
    }

    /// The conversation of a messaging channel's user (a new one on first contact).
    pub async fn channel_conversation(
        &self,
        channel: Channel,
        user: &str,
    ) -> anyhow::Result<String> {
        self.store
            .channel_conversation(channel.as_str(), user)
            .await
    }

    /// Whether a channel's event is new; records it. For events that store nothing (a
    /// greeting, help).
    pub async fn first_event(&self, channel: Channel, event_id: &str) -> anyhow::Result<bool> {
        self.store.first_delivery(channel.as_str(), event_id).await
    }

    /// The user left the channel (blocked, unfollowed): a later contact starts a new
    /// conversation, and agents' replies to the old one are reported as not delivered.
    pub async fn forget_channel_user(&self, channel: Channel, user: &str) -> anyhow::Result<()> {
        self.store.unbind_channel_user(channel.as_str(), user).await
    }

    /// Forgets channel event ids older than a week, daily, until shutdown.
    pub async fn prune_channel_events(&self) {
        loop {
            match self.store.prune_channel_events().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("forgot {n} channel event ids older than a week"),
                Err(e) => tracing::warn!("pruning channel event ids: {e:#}"),
            }
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)) => {}
            }
        }
    }
}
