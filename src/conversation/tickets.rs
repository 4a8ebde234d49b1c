//! The agents' desk over tickets: the queue, claiming a ticket, replying (stored, shown
//! live in the widget, pushed on a messaging channel), notes, handing over, resolving.
//! While a person owns a conversation the bot is silent.

use serde::Serialize;

use super::handoff::language_of;
use super::{Conversations, DeskKind, Voice};
use crate::assistant::{Channel, Citation};
use crate::copy::{self, Key};
use crate::domain::{ConversationId, MessageId, TicketId, UserId};
use crate::handoff::Priority;
use crate::store::canned::CannedReply;
use crate::store::tickets::{Note, TicketRow};
use crate::store::{Conflict, StoreError, StoredMessage};
use crate::text::UserText;
use crate::text::csv::Sheet;

/// Categories a resolved ticket is filed under.
pub const CATEGORIES: &[&str] = &[
    "申込み・締切",
    "補助金",
    "申請書の記入",
    "機器・導入",
    "その他",
];

/// Longest agent reply or note.
pub const MAX_AGENT_TEXT: usize = 4000;

/// Why an agent's action on a ticket did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("no such ticket")]
    NoSuchTicket,
    /// The ticket is not (or no longer) in the state the action needs.
    #[error("{0}")]
    Conflict(Conflict),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for TicketError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => TicketError::NoSuchTicket,
            StoreError::Conflict(conflict) => TicketError::Conflict(conflict),
            e => TicketError::Internal(e.into()),
        }
    }
}

/// A ticket as the console shows it: details, the whole transcript, the bot's sources, notes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TicketDetail {
    pub ticket: TicketRow,
    pub sources: Vec<Citation>,
    pub messages: Vec<StoredMessage>,
    pub notes: Vec<Note>,
    /// The clinic's other tickets (the same 医療機関等コード), newest first.
    pub earlier: Vec<TicketRow>,
}

/// Whether an agent's reply reached a messaging-channel user.
pub type Delivery = Result<(), Undelivered>;

/// Why an agent's reply (or the service's notice) did not reach a messaging-channel user:
/// the agent reads it beside the reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Undelivered {
    #[error("{0} is not configured on this instance")]
    NotConfigured(Channel),
    #[error("the user has left {0} (blocked or unfollowed the account)")]
    UserLeft(Channel),
    /// The platform refused it or could not be reached (its own words).
    #[error("{0}")]
    Failed(String),
    #[error("internal error")]
    Internal,
}

/// An agent's reply, stored; `delivery` is `None` for the widget (it gets the reply over
/// its event stream).
#[derive(Debug)]
pub struct AgentReply {
    pub message: StoredMessage,
    pub delivery: Option<Delivery>,
}

pub use crate::domain::View;

/// The agents' desk: the queue, each ticket's operations, the saved replies. A view of the
/// conversation service ([`Conversations::desk`]): what the desk does changes
/// conversations, so it shares their store, live streams and channels.
#[derive(Clone, Copy)]
pub struct Desk<'a>(pub(super) &'a Conversations);

impl Conversations {
    /// The desk's operations.
    pub fn desk(&self) -> Desk<'_> {
        Desk(self)
    }
}

impl Desk<'_> {
    /// The queue; `search` matches the details and the transcript.
    pub async fn tickets(
        &self,
        view: View,
        agent: UserId,
        search: Option<&str>,
    ) -> anyhow::Result<Vec<TicketRow>> {
        let search = search.map(str::trim).filter(|q| !q.is_empty());
        Ok(self.0.store.tickets(view, agent, search).await?)
    }

    /// How many tickets wait, and how many `agent` owns.
    pub async fn view_counts(&self, agent: UserId) -> anyhow::Result<(i64, i64)> {
        Ok(self.0.store.view_counts(agent).await?)
    }

    /// The queue as CSV (UTF-8 with BOM for Excel; formula-like cells neutralised).
    pub async fn tickets_csv(
        &self,
        view: View,
        agent: UserId,
        search: Option<&str>,
    ) -> anyhow::Result<String> {
        let rows = self.tickets(view, agent, search).await?;
        let mut sheet = Sheet::new();
        sheet.plain([
            "id",
            "status",
            "reason",
            "channel",
            "facility_name",
            "facility_code",
            "contact",
            "question",
            "claimed_by",
            "category",
            "created_at",
            "resolved_at",
        ]);
        for t in rows {
            sheet.quoted([
                t.id.to_string(),
                t.status.to_string(),
                t.reason.to_string(),
                t.channel.to_string(),
                t.facility_name.unwrap_or_default(),
                t.facility_code.unwrap_or_default(),
                t.contact.unwrap_or_default(),
                t.question.unwrap_or_default(),
                t.claimed_by.unwrap_or_default(),
                t.category.unwrap_or_default(),
                t.created_at,
                t.resolved_at.unwrap_or_default(),
            ]);
        }
        Ok(sheet.finish())
    }

    /// One ticket with its transcript, sources and notes; `None` if there is none.
    pub async fn ticket(&self, id: TicketId) -> anyhow::Result<Option<TicketDetail>> {
        let Some(ticket) = self.0.store.ticket_row(id).await? else {
            return Ok(None);
        };
        let earlier = match ticket.facility_code.as_deref() {
            Some(code) => self.0.store.tickets_of_facility(code, id).await?,
            None => Vec::new(),
        };
        Ok(Some(TicketDetail {
            earlier,
            sources: self.0.store.ticket_sources(id).await?,
            messages: self.0.store.messages(&ticket.conversation_id).await?,
            notes: self.0.store.notes(id).await?,
            ticket,
        }))
    }

    /// Claims a waiting ticket: of two agents exactly one wins. The user is told that a
    /// person took the conversation (in the widget and on their channel).
    pub async fn claim(&self, ticket: TicketId, agent: UserId) -> Result<(), TicketError> {
        let text = self.notice(ticket, Key::TicketClaimed).await?;
        let (conversation, notice) = self.0.store.claim(ticket, agent, text).await?;
        self.changed(ticket, &conversation, notice, text).await;
        Ok(())
    }

    /// Gives the ticket `agent` owns back to the queue; the user is told to wait.
    pub async fn release(&self, ticket: TicketId, agent: UserId) -> Result<(), TicketError> {
        let text = self.notice(ticket, Key::TicketReleased).await?;
        let (conversation, notice) = self.0.store.release_ticket(ticket, agent, text).await?;
        self.changed(ticket, &conversation, notice, text).await;
        Ok(())
    }

    /// Hands the ticket `agent` owns to another agent or admin, `to`, with what they should
    /// know (`note`, kept as an internal note before they are told).
    pub async fn transfer(
        &self,
        ticket: TicketId,
        agent: UserId,
        to: &str,
        note: Option<&UserText>,
    ) -> Result<(), TicketError> {
        let note = note.map(|note| note.headed(&format!("引き継ぎメモ（{to} さんへ）: ")));
        self.0
            .store
            .transfer(ticket, agent, to, note.as_ref())
            .await?;
        self.0.desk_event(DeskKind::Ticket, ticket).await;
        Ok(())
    }

    /// Sets a ticket's priority and tags (as [`handoff::checked_tags`] returns them); `false`
    /// if there is no such ticket.
    pub async fn set_labels(
        &self,
        ticket: TicketId,
        priority: Priority,
        tags: &[UserText],
    ) -> anyhow::Result<bool> {
        let done = self.0.store.set_labels(ticket, priority, tags).await?;
        if done {
            self.0.desk_event(DeskKind::Ticket, ticket).await;
        }
        Ok(done)
    }

    /// Opens a resolved ticket again; the user is told a person will answer.
    pub async fn reopen(&self, ticket: TicketId) -> Result<(), TicketError> {
        let text = self.notice(ticket, Key::TicketReopened).await?;
        let (conversation, notice) = self.0.store.reopen(ticket, text).await?;
        self.changed(ticket, &conversation, notice, text).await;
        Ok(())
    }

    /// The saved replies of the agent console.
    pub async fn canned_replies(&self) -> anyhow::Result<Vec<CannedReply>> {
        Ok(self.0.store.canned_replies().await?)
    }

    /// Adds or replaces a saved reply.
    pub async fn save_canned_reply(
        &self,
        shortcut: &str,
        title: &UserText,
        text: &UserText,
        by: &str,
    ) -> anyhow::Result<CannedReply> {
        Ok(self
            .0
            .store
            .save_canned_reply(shortcut, title, text, by)
            .await?)
    }

    /// Removes a saved reply; `false` if there was none.
    pub async fn delete_canned_reply(&self, shortcut: &str) -> anyhow::Result<bool> {
        Ok(self.0.store.delete_canned_reply(shortcut).await?)
    }

    /// The text of `notice` in the language of the ticket's user.
    async fn notice(&self, ticket: TicketId, notice: Key) -> anyhow::Result<&'static str> {
        let last = self.0.store.ticket_row(ticket).await?;
        let language = language_of(last.as_ref().and_then(|t| t.last_user_message.as_deref()));
        Ok(copy::text(language, notice))
    }

    /// After a ticket changed hands or state: the user is told (`text`, stored as message
    /// `notice`), and the desk sees the ticket change.
    async fn changed(
        &self,
        ticket: TicketId,
        conversation: &ConversationId,
        notice: MessageId,
        text: &str,
    ) {
        self.tell(conversation, notice, text).await;
        self.0.desk_event(DeskKind::Ticket, ticket).await;
    }

    /// Sends a notice of the service, stored as message `id`, to the user's open widget
    /// streams and their messaging channel; a failure is logged (it is in the transcript).
    async fn tell(&self, conversation: &ConversationId, id: MessageId, text: &str) {
        match self.0.store.message(id).await {
            Ok(Some((_, message))) => self.0.publish(conversation, &message).await,
            Ok(None) => {}
            Err(e) => tracing::warn!("reading a notice to send: {e:#}"),
        }
        if let Some(Err(e)) = self
            .deliver_to_channel(conversation, Voice::Service, text)
            .await
        {
            tracing::warn!("a notice to the user was not delivered: {e}");
        }
    }

    /// An agent's reply to the user: stored, sent to the user's open widget streams, and
    /// pushed on their messaging channel (the result says whether it arrived there).
    pub async fn agent_reply(
        &self,
        ticket: TicketId,
        agent: UserId,
        text: &UserText,
    ) -> Result<AgentReply, TicketError> {
        let (conversation, message) = self.0.store.reply(ticket, agent, text).await?;
        self.0.publish(&conversation, &message).await;
        let delivery = self
            .deliver_to_channel(
                &conversation,
                Voice::Agent {
                    author: message.author.clone(),
                },
                text.as_str(),
            )
            .await;
        Ok(AgentReply { message, delivery })
    }

    /// Pushes `text` to the conversation's messaging-channel user; `None` for the widget.
    async fn deliver_to_channel(
        &self,
        conversation: &ConversationId,
        voice: Voice,
        text: &str,
    ) -> Option<Delivery> {
        let (channel, user) = match self.0.store.channel_user(conversation).await {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(e) => {
                tracing::error!("looking up the reply's channel: {e:#}");
                return Some(Err(Undelivered::Internal));
            }
        };
        if !matches!(channel, Channel::Line | Channel::Telegram) {
            return None;
        }
        let Some(user) = user else {
            return Some(Err(Undelivered::UserLeft(channel)));
        };
        let delivered = match &self.0.deliver {
            Some(deliver) => deliver.deliver(channel, &user, voice, text).await,
            None => Err(Undelivered::NotConfigured(channel)),
        };
        if let Err(e) = &delivered {
            tracing::warn!(
                channel = channel.as_str(),
                "an agent's reply was not delivered: {e}"
            );
        }
        Some(delivered)
    }

    /// An internal note, never shown to the user. `false`: no such ticket.
    pub async fn note(
        &self,
        ticket: TicketId,
        author: &str,
        text: &UserText,
    ) -> anyhow::Result<bool> {
        Ok(self.0.store.add_note(ticket, author, text).await?)
    }

    /// Resolves the ticket the agent owns, filed under `category` (one of [`CATEGORIES`]);
    /// the bot answers the user again.
    pub async fn resolve(
        &self,
        ticket: TicketId,
        agent: UserId,
        category: &str,
    ) -> Result<(), TicketError> {
        let text = self.notice(ticket, Key::TicketResolved).await?;
        let (conversation, notice) = self.0.store.resolve(ticket, agent, category, text).await?;
        self.changed(ticket, &conversation, notice, text).await;
        Ok(())
    }
}
