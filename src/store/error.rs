//! What a store operation comes to when it does not give its value: the database could not
//! do it now, the row is not there, the row is not in the state the operation needs, or a
//! fault. Callers decide by the kind; what a person reads is written above the store.

use std::fmt;

use crate::domain::TicketId;

/// A store operation's error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Unreachable, a full disk, an I/O error: a user meets it as "cannot be saved now, call
    /// the call center", not as an internal failure.
    #[error("the database is unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    /// The row the operation is about does not exist.
    #[error("not found")]
    NotFound,
    /// The row is not (or no longer) in the state the operation needs.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// A fault of ours (a row that does not decode into its type, a broken invariant).
    #[error("{0:#}")]
    Internal(anyhow::Error),
}

/// The store's results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why a ticket (or another row with a life cycle) refused an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Another agent has the ticket (their sign-in name).
    ClaimedBy(String),
    /// The ticket is not waiting: it is in this state.
    NotWaiting(crate::domain::State),
    /// The agent does not have the ticket: it must be claimed first.
    NotYours,
    /// Another operation changed the ticket meanwhile.
    Changed,
    /// The ticket cannot be handed to this user: not an agent or admin, or disabled.
    NotAnAgent(String),
    /// Only a resolved ticket can be opened again.
    NotResolved,
    /// The conversation already has another open ticket.
    AnotherOpen,
    /// The conversation has this ticket open already.
    AlreadyOpen(TicketId),
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::ClaimedBy(by) => write!(f, "{by} has it"),
            Conflict::NotWaiting(state) => write!(f, "it is {state}, not waiting"),
            Conflict::NotYours => f.write_str("it is not claimed by this agent"),
            Conflict::Changed => f.write_str("another operation changed it"),
            Conflict::NotAnAgent(name) => write!(f, "{name} is not an active agent or admin"),
            Conflict::NotResolved => f.write_str("it is not resolved"),
            Conflict::AnotherOpen => f.write_str("the conversation has another open ticket"),
            Conflict::AlreadyOpen(id) => write!(f, "ticket {id} is open already"),
        }
    }
}

impl StoreError {
    /// A fault found by the store itself (an invariant that did not hold).
    pub(super) fn fault(message: impl fmt::Display + Send + Sync + 'static) -> StoreError {
        StoreError::Internal(anyhow::Error::msg(message.to_string()))
    }

    /// Whether the database could not do it now (see [`StoreError::Unavailable`]).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Every error sqlx gives while the statement is right is the database's: unreachable, a
/// timeout, a full disk, a refused write.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Unavailable(e.into())
    }
}

/// A stored name that is none of its kind's is a fault, not the database's.
impl From<crate::domain::UnknownName> for StoreError {
    fn from(e: crate::domain::UnknownName) -> Self {
        StoreError::Internal(e.into())
    }
}

/// Column `column` of a row, read as the name enum it stores.
pub(super) fn decoded<T>(row: &sqlx::any::AnyRow, column: &str) -> Result<T>
where
    T: std::str::FromStr<Err = crate::domain::UnknownName>,
{
    use sqlx::Row;
    Ok(row.try_get::<String, _>(column)?.parse()?)
}

/// [`decoded`] of a column that may be NULL.
pub(super) fn decoded_optional<T>(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<T>>
where
    T: std::str::FromStr<Err = crate::domain::UnknownName>,
{
    use sqlx::Row;
    Ok(row
        .try_get::<Option<String>, _>(column)?
        .map(|n| n.parse())
        .transpose()?)
}

/// A stored JSON value that does not read back is a fault, not the database's.
impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Internal(e.into())
    }
}

/// An error with context: the database's if sqlx is among its causes, a fault otherwise.
impl From<anyhow::Error> for StoreError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<StoreError>() {
            Ok(store) => store,
            Err(e) if e.chain().any(|cause| cause.is::<sqlx::Error>()) => {
                StoreError::Unavailable(e)
            }
            Err(e) => StoreError::Internal(e),
        }
    }
}
