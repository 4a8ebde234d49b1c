//! Opening a ticket: with the conversation's state change and the user's confirmation in
//! one transaction, from the widget or from a messaging channel's event (recorded with it,
//! so a redelivered event opens nothing twice). Same queries on SQLite and PostgreSQL.

use sqlx::Row;

use super::channels::{ChannelEvent, owe, record_event};
use super::error::{Conflict, Result, StoreError};
use super::tickets::insert_system_message;
use super::{Store, Tx, now};
use crate::assistant::Citation;
use crate::domain::{Channel, ConversationId, MessageId, Reason, TicketId};
use crate::text::UserText;

/// A ticket just opened, and the transcript message that told the user.
#[derive(Debug, Clone, Copy)]
pub struct NewTicket {
    pub ticket: TicketId,
    pub message: MessageId,
}

impl Store {
    /// Opens a ticket for the conversation, sets it `waiting` and adds `notice` (what the
    /// user is told) to the transcript, in one transaction; [`Conflict::AlreadyOpen`] when a
    /// ticket is open already.
    pub async fn create_ticket(
        &self,
        conversation: &ConversationId,
        reason: Reason,
        channel: Channel,
        details: &crate::handoff::CheckedDetails,
        notice: &str,
    ) -> Result<NewTicket> {
        let mut tx = self.write_transaction().await?;
        match insert_ticket(&mut tx, conversation, reason, channel, details, notice).await? {
            Opened::Created(created) => {
                tx.commit().await?;
                Ok(created)
            }
            Opened::AlreadyOpen(id) => Err(StoreError::Conflict(Conflict::AlreadyOpen(id))),
            Opened::Raced => {
                drop(tx);
                let id = self.open_ticket_id(conversation).await?;
                Err(StoreError::Conflict(Conflict::AlreadyOpen(id)))
            }
        }
    }

    /// The handoff a messaging channel's event asked for, with the event recorded and the
    /// reply owed to its user (`notice` when the ticket is opened, `already_open` when one
    /// was), in one transaction: the platform is told the event arrived only after this,
    /// so a crash loses neither the ticket nor the reply. `None`: the event was taken
    /// before; else the ticket opened (`None`: one was open already) and the owed reply's id.
    pub async fn create_ticket_for_event(
        &self,
        conversation: &ConversationId,
        reason: Reason,
        event: &ChannelEvent<'_>,
        notice: &str,
        already_open: &str,
    ) -> Result<Option<(Option<NewTicket>, i64)>> {
        // Twice at most: a ticket opened by another request between our check and insert
        // aborts the transaction, and the second try sees it.
        for _ in 0..2 {
            let mut tx = self.write_transaction().await?;
            if !record_event(&mut tx, event.channel.as_str(), event.event_id).await? {
                return Ok(None);
            }
            let details = crate::handoff::CheckedDetails::default();
            let opened = insert_ticket(
                &mut tx,
                conversation,
                reason,
                event.channel,
                &details,
                notice,
            )
            .await?;
            let (outcome, text) = match opened {
                Opened::Created(created) => (Some(created), notice),
                Opened::AlreadyOpen(_) => (None, already_open),
                Opened::Raced => continue,
            };
            let owed = owe(&mut tx, event, text, &[]).await?;
            tx.commit().await?;
            return Ok(Some((outcome, owed)));
        }
        Err(StoreError::fault(format!(
            "opening a ticket for {} raced twice",
            event.channel
        )))
    }

    async fn open_ticket_id(&self, conversation: &ConversationId) -> Result<TicketId> {
        Ok(sqlx::query(
            "SELECT id FROM tickets WHERE conversation_id = $1 AND status <> 'resolved'",
        )
        .bind(conversation)
        .fetch_one(&self.pool)
        .await?
        .get::<TicketId, _>(0))
    }
}

/// What opening a ticket inside a transaction came to.
enum Opened {
    Created(NewTicket),
    /// A ticket of the conversation is open already.
    AlreadyOpen(TicketId),
    /// Another request opened one between the check and the insert (the unique index on
    /// open tickets): the transaction is spoilt, drop it.
    Raced,
}

/// Opens a ticket for the conversation with the bot's sources, sets it `waiting` and adds
/// `notice` to the transcript, in `tx`.
async fn insert_ticket(
    tx: &mut Tx<'_>,
    conversation: &ConversationId,
    reason: Reason,
    channel: Channel,
    details: &crate::handoff::CheckedDetails,
    notice: &str,
) -> Result<Opened> {
    if let Some(open) =
        sqlx::query("SELECT id FROM tickets WHERE conversation_id = $1 AND status <> 'resolved'")
            .bind(conversation)
            .fetch_optional(&mut **tx)
            .await?
    {
        return Ok(Opened::AlreadyOpen(open.get::<TicketId, _>(0)));
    }
    // The sources the bot gave in this conversation, for the agent.
    let mut sources: Vec<Citation> = Vec::new();
    for row in sqlx::query(
        "SELECT citations FROM messages WHERE conversation_id = $1 AND role = 'assistant' ORDER BY id",
    )
    .bind(conversation)
    .fetch_all(&mut **tx)
    .await?
    {
        let json: Option<String> = row.get(0);
        for c in serde_json::from_str::<Vec<Citation>>(json.as_deref().unwrap_or("[]"))? {
            if !sources.contains(&c) {
                sources.push(c);
            }
        }
    }
    let at = now();
    let ticket = sqlx::query(
        "INSERT INTO tickets (conversation_id, status, reason, channel, facility_name, facility_code, \
         contact, question, sources, created_at) \
         VALUES ($1, 'waiting', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(conversation)
    .bind(reason.as_str())
    .bind(channel.as_str())
    .bind(details.facility_name.as_ref().map(UserText::as_str))
    .bind(details.facility_code.as_deref())
    .bind(details.contact.as_deref())
    .bind(details.question.as_ref().map(UserText::as_str))
    .bind(serde_json::to_string(&sources)?)
    .bind(&at)
    .fetch_one(&mut **tx)
    .await;
    let ticket = match ticket {
        Ok(row) => row.get::<i64, _>(0),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(Opened::Raced),
        Err(e) => return Err(e.into()),
    };
    sqlx::query("UPDATE conversations SET state = 'waiting', updated_at = $1 WHERE id = $2")
        .bind(&at)
        .bind(conversation)
        .execute(&mut **tx)
        .await?;
    let message = insert_system_message(tx, conversation, notice).await?;
    Ok(Opened::Created(NewTicket {
        ticket: TicketId(ticket),
        message,
    }))
}
