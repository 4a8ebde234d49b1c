//! The messaging channels' side of the conversation service: a channel user's conversation,
//! events taken once (a redelivery is not answered twice), each message stored with its job
//! to answer it and every notice owed to a user stored with the event that asked for it
//! (`jobs.rs`): nothing the platform was told had arrived goes unanswered after a crash.

use super::{Accepted, ChatError, Conversations, DeskKind, State};
use crate::assistant::{Channel, validate};
use crate::copy::{self, Key};
use crate::domain::ConversationId;
use crate::handoff::Reason;
use crate::store::channels::ChannelEvent;

/// A notice owed to a channel user, stored with the event that asked for it: sent by the
/// event's worker, or by the sweep after a crash (`jobs.rs`).
#[derive(Debug, Clone)]
pub struct Owed {
    pub id: i64,
    pub text: String,
    /// Questions offered with it.
    pub suggestions: Vec<String>,
}

/// What taking a channel's text event left to do.
#[derive(Debug)]
pub enum Taken {
    /// Answer the stored question (its job was written with it).
    Answer(Accepted),
    /// Send this owed notice (the message was refused, or went to a person).
    Notice(Owed),
}

/// The messaging channels' inbox: each platform event taken once (stored with its id),
/// and the durable jobs that answer it, resumed after a crash or a failed send. A view of
/// the conversation service ([`Conversations::inbox`]).
#[derive(Clone, Copy)]
pub struct Inbox<'a>(pub(super) &'a Conversations);

impl Conversations {
    /// The channels' inbox.
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox(self)
    }
}

impl Inbox<'_> {
    /// A message that came in a messaging channel's event (`event_id`: LINE's
    /// webhookEventId, Telegram's update_id) from `user`: stored together with the event's
    /// id, so `None` for an event taken before, and with a job to answer it — or, while a
    /// person owns the conversation, the notice that it was passed on. An invalid message
    /// is recorded with the notice that says why, so that it is refused once.
    pub async fn accept_event(
        &self,
        channel: Channel,
        user: &str,
        event_id: &str,
        text: &str,
    ) -> Result<Option<Taken>, ChatError> {
        let conversation = self.channel_conversation(channel, user).await?;
        let question = match validate(text) {
            Ok(question) => question,
            Err(e) => {
                let refusal = e.to_string();
                return Ok(self
                    .owe_notice(channel, user, event_id, &refusal, &[])
                    .await?
                    .map(Taken::Notice));
            }
        };
        let event = ChannelEvent {
            channel,
            event_id,
            user_id: user,
        };
        let Some((question_id, owed)) = self
            .0
            .store
            .add_user_message_once(&conversation, &question, &event, copy::ja(Key::PassedOn))
            .await
            .map_err(|e| self.0.unavailable(e))?
        else {
            return Ok(None);
        };
        match owed {
            // Its job was written with it: the bot answers, whatever the state is by now.
            None => Ok(Some(Taken::Answer(Accepted {
                session_id: conversation,
                question_id,
                state: State::Bot,
                text: text.to_string(),
                channel,
                context: None,
            }))),
            Some(id) => {
                self.0.desk_message(&conversation).await;
                Ok(Some(Taken::Notice(Owed {
                    id,
                    text: copy::ja(Key::PassedOn).to_string(),
                    suggestions: Vec::new(),
                })))
            }
        }
    }

    /// An event that asks only for a notice (a greeting, help, 「文字で送ってください」):
    /// recorded with the notice owed to `user`, in one transaction; `None` for an event
    /// taken before.
    pub async fn owe_notice(
        &self,
        channel: Channel,
        user: &str,
        event_id: &str,
        text: &str,
        suggestions: &[String],
    ) -> anyhow::Result<Option<Owed>> {
        let event = ChannelEvent {
            channel,
            event_id,
            user_id: user,
        };
        Ok(self
            .0
            .store
            .owe_notice_for_event(&event, text, suggestions)
            .await?
            .map(|id| Owed {
                id,
                text: text.to_string(),
                suggestions: suggestions.to_vec(),
            }))
    }

    /// A channel user asked for a person (a button, `/operator`): the ticket, the event and
    /// the confirmation owed to the user in one transaction (see
    /// [`crate::store::Store::create_ticket_for_event`]); `None` for an event taken before.
    pub async fn handoff_for_event(
        &self,
        channel: Channel,
        user: &str,
        event_id: &str,
    ) -> anyhow::Result<Option<Owed>> {
        let conversation = self.channel_conversation(channel, user).await?;
        let confirmation = self.0.confirmation(&conversation, false).await?;
        let event = ChannelEvent {
            channel,
            event_id,
            user_id: user,
        };
        let Some((opened, id)) = self
            .0
            .store
            .create_ticket_for_event(
                &conversation,
                Reason::RequestedPerson,
                &event,
                &confirmation,
                copy::ja(Key::AlreadyWaiting),
            )
            .await?
        else {
            return Ok(None);
        };
        let text = match opened {
            Some(created) => {
                tracing::info!(
                    ticket = %created.ticket,
                    reason = Reason::RequestedPerson.as_str(),
                    "handoff: ticket opened"
                );
                self.0.desk_event(DeskKind::Ticket, created.ticket).await;
                confirmation
            }
            None => copy::ja(Key::AlreadyWaiting).to_string(),
        };
        Ok(Some(Owed {
            id,
            text,
            suggestions: Vec::new(),
        }))
    }

    /// The conversation of a messaging channel's user (a new one on first contact).
    pub async fn channel_conversation(
        &self,
        channel: Channel,
        user: &str,
    ) -> anyhow::Result<ConversationId> {
        Ok(self.0.store.channel_conversation(channel, user).await?)
    }

    /// The user left the channel (blocked, unfollowed): a later contact starts a new
    /// conversation, and agents' replies to the old one are reported as not delivered.
    pub async fn forget_channel_user(&self, channel: Channel, user: &str) -> anyhow::Result<()> {
        Ok(self
            .0
            .store
            .unbind_channel_user(channel.as_str(), user)
            .await?)
    }

    /// Forgets channel event ids older than a week, daily, until shutdown.
    pub async fn prune_channel_events(&self) {
        loop {
            match self.0.store.prune_channel_events().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("forgot {n} channel event ids older than a week"),
                Err(e) => tracing::warn!("pruning channel event ids: {e:#}"),
            }
            tokio::select! {
                _ = self.0.shutdown.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)) => {}
            }
        }
    }
}
