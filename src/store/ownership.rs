//! Who owns a ticket beyond claiming it: handed to another agent, given back to the queue,
//! reopened; and the clinic's other tickets.

use super::error::{Conflict, Result, StoreError};
use super::tickets::{TICKET_COLUMNS, TicketRow, set_state_and_tell, ticket_row};
use super::{Store, now};
use crate::domain::{ConversationId, MessageId, State, TicketId, UserId};
use crate::text::UserText;

impl Store {
    /// Gives the ticket `agent` owns back to the queue (`waiting`, no owner) and adds
    /// `notice` to the transcript, in one transaction: the conversation and the notice's id.
    pub async fn release_ticket(
        &self,
        ticket: TicketId,
        agent: UserId,
        notice: &str,
    ) -> Result<(ConversationId, MessageId)> {
        let t = self.owned(ticket, agent).await?;
        let mut tx = self.write_transaction().await?;
        let done = sqlx::query(
            "UPDATE tickets SET status = 'waiting', claimed_by = NULL, claimed_at = NULL \
             WHERE id = $1 AND status = 'agent' AND claimed_by = $2",
        )
        .bind(ticket)
        .bind(agent.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(Conflict::Changed));
        }
        let message =
            set_state_and_tell(&mut tx, &t.conversation_id, State::Waiting, notice).await?;
        tx.commit().await?;
        Ok((t.conversation_id, message))
    }

    /// Hands the ticket `agent` owns to another agent or admin, `to` (a user name), with
    /// `note` (the handover note, kept as an internal note) in the same transaction: the new
    /// owner never finds the ticket without it.
    pub async fn transfer(
        &self,
        ticket: TicketId,
        agent: UserId,
        to: &str,
        note: Option<&UserText>,
    ) -> Result<()> {
        self.owned(ticket, agent).await?;
        let mut tx = self.write_transaction().await?;
        let done = sqlx::query(
            "UPDATE tickets SET claimed_by = (SELECT id FROM users WHERE name = $1 AND role IN ('agent', 'admin') AND disabled_at IS NULL), \
             claimed_at = $2 \
             WHERE id = $3 AND status = 'agent' AND claimed_by = $4 \
             AND EXISTS (SELECT 1 FROM users WHERE name = $1 AND role IN ('agent', 'admin') AND disabled_at IS NULL)",
        )
        .bind(to)
        .bind(now())
        .bind(ticket)
        .bind(agent.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(Conflict::NotAnAgent(to.to_string())));
        }
        if let Some(note) = note {
            sqlx::query(
                "INSERT INTO ticket_notes (ticket_id, author, text, created_at) \
                 VALUES ($1, (SELECT name FROM users WHERE id = $2), $3, $4)",
            )
            .bind(ticket)
            .bind(agent.0)
            .bind(note.as_str())
            .bind(now())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Opens a resolved ticket again (`waiting`, no owner) and adds `notice` to the
    /// transcript, in one transaction: the conversation and the notice's id. Refused when
    /// the conversation has another open ticket. The help is rated again once resolved again.
    pub async fn reopen(
        &self,
        ticket: TicketId,
        notice: &str,
    ) -> Result<(ConversationId, MessageId)> {
        let Some(t) = self.ticket_row(ticket).await? else {
            return Err(StoreError::NotFound);
        };
        let mut tx = self.write_transaction().await?;
        let done = sqlx::query(
            "UPDATE tickets SET status = 'waiting', claimed_by = NULL, claimed_at = NULL, \
             resolved_at = NULL, category = NULL, resolved_notice = NULL WHERE id = $1 AND status = 'resolved'",
        )
        .bind(ticket)
        .execute(&mut *tx)
        .await;
        match done {
            Ok(r) if r.rows_affected() == 1 => {}
            Ok(_) => {
                return Err(StoreError::Conflict(Conflict::NotResolved));
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(Conflict::AnotherOpen));
            }
            Err(e) => return Err(e.into()),
        }
        let message =
            set_state_and_tell(&mut tx, &t.conversation_id, State::Waiting, notice).await?;
        tx.commit().await?;
        Ok((t.conversation_id, message))
    }

    /// The other tickets of the same 医療機関等コード, newest first (the clinic's history).
    pub async fn tickets_of_facility(
        &self,
        code: &str,
        except: TicketId,
    ) -> Result<Vec<TicketRow>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t LEFT JOIN users u ON u.id = t.claimed_by \
             WHERE t.facility_code = $1 AND t.id <> $2 ORDER BY t.id DESC LIMIT 20"
        );
        let rows = sqlx::query(&sql)
            .bind(code)
            .bind(except)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(ticket_row).collect()
    }
}
