//! What the agent console hears, live: a ticket opened or changed (claimed, handed on,
//! given back, resolved, reopened, labelled), and a user writing in a conversation a person
//! owns. On SQLite (one instance) directly; on PostgreSQL through NOTIFY, so that every
//! instance's consoles hear it, whichever instance it happened on.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::Conversations;
use crate::domain::{ConversationId, TicketId};
use crate::store::Backend;

/// One thing the agent console should show without being asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeskEvent {
    pub kind: DeskKind,
    pub ticket: TicketId,
    /// Who owns the ticket now: the agent a user's message is for.
    pub claimed_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeskKind {
    /// The ticket was opened or changed.
    Ticket,
    /// The user wrote in the ticket's conversation.
    Message,
}

impl super::Desk<'_> {
    /// What happens at the desk, as it happens.
    pub fn events(&self) -> broadcast::Receiver<DeskEvent> {
        self.0.desk.subscribe()
    }
}

impl Conversations {
    /// Tells the consoles that `ticket` changed, or that its user wrote.
    pub(super) async fn desk_event(&self, kind: DeskKind, ticket: TicketId) {
        let claimed_by = match self.store.ticket_row(ticket).await {
            Ok(row) => row.and_then(|t| t.claimed_by),
            Err(e) => {
                tracing::warn!("reading ticket {ticket} for the desk: {e:#}");
                None
            }
        };
        self.send_desk(DeskEvent {
            kind,
            ticket,
            claimed_by,
        })
        .await;
    }

    /// Tells the consoles that the user wrote in `conversation`, when it has an open ticket.
    pub(super) async fn desk_message(&self, conversation: &ConversationId) {
        match self.store.open_ticket(conversation).await {
            Ok(Some(t)) => {
                self.send_desk(DeskEvent {
                    kind: DeskKind::Message,
                    ticket: t.id,
                    claimed_by: t.claimed_by,
                })
                .await
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("reading the open ticket for the desk: {e:#}"),
        }
    }

    async fn send_desk(&self, event: DeskEvent) {
        if self.store.backend == Backend::Postgres {
            match self
                .store
                .notify_desk(&serde_json::to_string(&event).unwrap_or_default())
                .await
            {
                Ok(()) => return,
                // Still reaches consoles on this instance; others see it on their next load.
                Err(e) => tracing::warn!("NOTIFY failed: {e:#}"),
            }
        }
        let _ = self.desk.send(event);
    }

    /// A desk event another instance announced (PostgreSQL's NOTIFY payload).
    pub(super) fn relay_desk(&self, payload: &str) {
        match serde_json::from_str(payload) {
            Ok(event) => {
                let _ = self.desk.send(event);
            }
            Err(e) => tracing::warn!("a desk notification that is not one: {e}"),
        }
    }
}
