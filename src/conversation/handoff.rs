//! Handing a conversation to the call center: a ticket with the details the user chose to
//! give, committed with what they are told. The desk takes it from there (`tickets.rs`).

use super::{Conversations, DeskKind};
use crate::assistant::language::{self, Written};
use crate::assistant::{Channel, Language};
use crate::copy::{self, Key};
use crate::domain::{ConversationId, MessageId, TicketId};
use crate::handoff::{self, Details, FieldError, Reason};
use crate::store::{Conflict, StoreError};
use crate::text::clock::now_in_japan;

/// The language of what the user wrote last (Japanese, the portal's, when there is nothing
/// to tell by).
pub(super) fn language_of(text: Option<&str>) -> Language {
    match text.map(language::detect) {
        Some(Written::In(language)) => language,
        _ => Language::Ja,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("invalid details")]
    Invalid(Vec<FieldError>),
    #[error("unknown session")]
    UnknownSession,
    #[error("ticket {0} is already open")]
    AlreadyOpen(TicketId),
    /// Not filed: the store failed (`error` says whether the database was unavailable);
    /// the user is told to try again, or to call `phone`.
    #[error("handoff failed: {error}")]
    Failed {
        error: StoreError,
        phone: Option<String>,
    },
}

/// A ticket that was created and confirmed to the user.
#[derive(Debug, Clone)]
pub struct HandoffReply {
    pub session_id: ConversationId,
    pub ticket_id: TicketId,
    pub message_id: MessageId,
    /// What the user is told (business hours and the phone number).
    pub message: String,
}

impl Conversations {
    /// Hands the conversation (a new one when `session` is `None`) to the call center: a
    /// ticket with the details the user chose to give, the transcript and the bot's sources.
    /// Once this returns `Ok`, the ticket is committed.
    pub async fn handoff(
        &self,
        session: Option<&ConversationId>,
        channel: Channel,
        reason: Reason,
        details: &Details,
    ) -> Result<HandoffReply, HandoffError> {
        let details = details.checked().map_err(HandoffError::Invalid)?;
        let failed = |error: StoreError| match error {
            StoreError::Conflict(Conflict::AlreadyOpen(id)) => HandoffError::AlreadyOpen(id),
            error => HandoffError::Failed {
                error,
                phone: self.phone(),
            },
        };
        let session_id = self
            .conversation(session, channel)
            .await
            .map_err(failed)?
            .ok_or(HandoffError::UnknownSession)?;
        let message = self
            .confirmation(&session_id, details.number_removed())
            .await
            .map_err(failed)?;
        let created = self
            .store
            .create_ticket(&session_id, reason, channel, &details, &message)
            .await
            .map_err(failed)?;
        tracing::info!(
            ticket = %created.ticket,
            reason = reason.as_str(),
            "handoff: ticket opened"
        );
        self.desk_event(DeskKind::Ticket, created.ticket).await;
        Ok(HandoffReply {
            session_id,
            ticket_id: created.ticket,
            message_id: created.message,
            message,
        })
    }

    /// What a user who hands over is told (business hours, the call center's number), in
    /// the language they wrote last; with the note that a 12-digit number they gave in the
    /// details was removed, when one was.
    pub(super) async fn confirmation(
        &self,
        session_id: &ConversationId,
        number_removed: bool,
    ) -> Result<String, StoreError> {
        let language = language_of(self.store.last_user_text(session_id).await?.as_deref());
        let mut message = handoff::confirmation(
            &self.hours,
            now_in_japan(),
            self.phone().as_deref(),
            language,
        );
        if number_removed {
            message.push('\n');
            message.push_str(copy::text(language, Key::DetailsNumberRemoved));
        }
        Ok(message)
    }
}
