//! Group commit for the chat path's writes: a new conversation, a question, an answer.
//!
//! Every chat wrote twice through SQLite's one writing connection, each write a statement
//! sent to sqlx's worker thread and its answer sent back, one after another: under load the
//! writer was the queue every request stood in (README, "Speed"). Now the writes go to one
//! task that takes everything waiting, writes each kind with one statement of many rows,
//! commits once, and only then tells each caller its id. Nothing is confirmed before it is
//! committed, so a crash loses only what no caller was told was stored.
//!
//! Ids come back with `RETURNING id`, whose order neither database promises; a statement
//! inserts its rows in the order of its `VALUES` and gives them increasing ids (SQLite's
//! single writer, PostgreSQL's sequence), so the sorted ids are the rows' in order. A batch
//! that fails (a full disk, a row the database refuses) is written again row by row, each
//! in its own transaction, so one caller's failure is never another's.

use super::error::{Result, StoreError};
use crate::domain::{Channel, ConversationId};
use crate::text::UserText;
use anyhow::Context;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::Backend;

/// Rows written by one statement at most; a batch is cut into statements of 64, 32, 16…
/// rows, so that few statement texts exist and each is prepared once (sqlx keeps them).
const MAX_ROWS: usize = 64;
/// Rows committed together at most.
const MAX_BATCH: usize = 256;
/// Writes waiting for the writer at most; a caller beyond it waits to queue.
const QUEUE: usize = 4096;

/// A row the chat path writes.
#[derive(Debug)]
pub(super) enum NewRow {
    Conversation {
        id: ConversationId,
        channel: Channel,
        at: String,
    },
    Question {
        conversation: ConversationId,
        text: String,
        at: String,
    },
    Answer {
        conversation: ConversationId,
        reply_to: i64,
        text: String,
        outcome: &'static str,
        writer: &'static str,
        citations: String,
        confidence: f64,
        understood_as: Option<String>,
        at: String,
    },
}

/// Which statement writes a row; kinds are written in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Conversation,
    Question,
    Answer,
}

impl NewRow {
    /// A new conversation on `channel`, with its id (a random UUID).
    pub(super) fn conversation(channel: Channel) -> (ConversationId, NewRow) {
        let id = ConversationId::random();
        let row = NewRow::Conversation {
            id: id.clone(),
            channel,
            at: super::now(),
        };
        (id, row)
    }

    /// A user's message, as [`UserText`] keeps it (no 12-digit number).
    pub(super) fn question(conversation: &ConversationId, text: &UserText) -> NewRow {
        NewRow::Question {
            conversation: conversation.clone(),
            text: text.as_str().to_string(),
            at: super::now(),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            NewRow::Conversation { .. } => Kind::Conversation,
            NewRow::Question { .. } => Kind::Question,
            NewRow::Answer { .. } => Kind::Answer,
        }
    }
}

impl Kind {
    /// The statement's head, each row's values (`?` a parameter), and its end.
    fn parts(self) -> (&'static str, &'static [&'static str], &'static str) {
        match self {
            Kind::Conversation => (
                "INSERT INTO conversations (id, channel, created_at, updated_at) VALUES ",
                &["?", "?", "?", "?"],
                "",
            ),
            Kind::Question => (
                "INSERT INTO messages (conversation_id, role, text, created_at) VALUES ",
                &["?", "'user'", "?", "?"],
                " RETURNING id",
            ),
            Kind::Answer => (
                "INSERT INTO messages (conversation_id, role, text, reply_to, outcome, writer, citations, confidence, understood_as, created_at) VALUES ",
                &["?", "'assistant'", "?", "?", "?", "?", "?", "?", "?", "?"],
                " RETURNING id",
            ),
        }
    }

    /// The statement that inserts `rows` rows of this kind, its parameters numbered
    /// `$1, $2…` row after row.
    fn insert(self, rows: usize) -> String {
        let (head, values, end) = self.parts();
        let mut parameter = 0;
        let rows: Vec<String> = (0..rows)
            .map(|_| {
                let row: Vec<String> = values
                    .iter()
                    .map(|&v| {
                        if v == "?" {
                            parameter += 1;
                            format!("${parameter}")
                        } else {
                            v.to_string()
                        }
                    })
                    .collect();
                format!("({})", row.join(", "))
            })
            .collect();
        format!("{head}{}{end}", rows.join(", "))
    }
}

/// Binds `row`'s values to `query`, in the order of [`Kind::insert`].
fn bind<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    row: &'q NewRow,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match row {
        NewRow::Conversation { id, channel, at } => {
            query.bind(id).bind(channel.as_str()).bind(at).bind(at)
        }
        NewRow::Question {
            conversation,
            text,
            at,
        } => query.bind(conversation).bind(text).bind(at),
        NewRow::Answer {
            conversation,
            reply_to,
            text,
            outcome,
            writer,
            citations,
            confidence,
            understood_as,
            at,
        } => query
            .bind(conversation)
            .bind(text)
            .bind(*reply_to)
            .bind(*outcome)
            .bind(*writer)
            .bind(citations)
            .bind(*confidence)
            .bind(understood_as.as_deref())
            .bind(at),
    }
}

/// Writes one row through `executor` with the statement the batches use: inside a caller's
/// own transaction (a channel's message with its event). Gives its id (`None` for a
/// conversation).
pub(super) async fn insert_one<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    row: &NewRow,
) -> Result<Option<i64>> {
    let kind = row.kind();
    let sql = kind.insert(1);
    let query = bind(sqlx::query(&sql), row);
    if kind == Kind::Conversation {
        query.execute(executor).await?;
        return Ok(None);
    }
    let rows = query.fetch_all(executor).await?;
    Ok(Some(rows.first().context("no id came back")?.try_get(0)?))
}

/// A row waiting for the writer, and who waits for its id.
struct Queued {
    row: NewRow,
    done: oneshot::Sender<Result<Option<i64>>>,
}

/// The queue of the writing task ([`GroupCommit::start`]).
#[derive(Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Queued>,
}

impl GroupCommit {
    /// Starts the task that writes through `writer`; it ends when every handle is dropped.
    pub(super) fn start(writer: AnyPool, backend: Backend) -> GroupCommit {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(writer, backend, waiting));
        GroupCommit { queue }
    }

    /// Writes `row` and gives its id (`None` for a conversation) once it is committed.
    pub(super) async fn write(&self, row: NewRow) -> Result<Option<i64>> {
        let (done, written) = oneshot::channel();
        self.queue
            .send(Queued { row, done })
            .await
            .map_err(|_| anyhow::anyhow!("the database's writer has stopped"))?;
        written
            .await
            .context("the database's writer stopped before the write was committed")?
    }
}

/// Takes what is waiting, commits it together and tells each caller; until the queue closes.
async fn write_batches(writer: AnyPool, backend: Backend, mut waiting: mpsc::Receiver<Queued>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let rows: Vec<&NewRow> = batch.iter().map(|q| &q.row).collect();
        match commit(&writer, backend, &rows).await {
            Ok(ids) => {
                for (queued, id) in batch.drain(..).zip(ids) {
                    let _ = queued.done.send(Ok(id));
                }
            }
            Err(error) if batch.len() == 1 => {
                let _ = batch.pop().map(|q| q.done.send(Err(error)));
            }
            Err(error) => {
                tracing::debug!(
                    "a batch of {} writes failed, written one by one: {error:#}",
                    batch.len()
                );
                for queued in batch.drain(..) {
                    let written = commit(&writer, backend, &[&queued.row]).await;
                    let _ = queued.done.send(written.map(|ids| ids[0]));
                }
            }
        }
    }
}

/// Writes `rows` in one transaction: each kind by statements of many rows. Gives each row's
/// id, in the order of `rows`.
async fn commit(writer: &AnyPool, backend: Backend, rows: &[&NewRow]) -> Result<Vec<Option<i64>>> {
    let mut tx = super::begin_write(writer, backend).await?;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| rows[i].kind());
    let mut ids = vec![None; rows.len()];
    let mut next = 0;
    while next < order.len() {
        let kind = rows[order[next]].kind();
        let same = order[next..]
            .iter()
            .take_while(|&&i| rows[i].kind() == kind)
            .count()
            .min(MAX_ROWS);
        // The largest power of two that fits: few distinct statements.
        let take = 1 << same.ilog2();
        let chunk = &order[next..next + take];
        let sql = kind.insert(take);
        let query = chunk
            .iter()
            .fold(sqlx::query(&sql), |query, &i| bind(query, rows[i]));
        if kind == Kind::Conversation {
            query.execute(&mut *tx).await?;
        } else {
            let mut returned: Vec<i64> = query
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| row.try_get::<i64, _>(0))
                .collect::<sqlx::Result<_>>()?;
            if returned.len() != take {
                return Err(StoreError::fault(format!(
                    "{take} rows inserted, {} ids came back",
                    returned.len()
                )));
            }
            returned.sort_unstable();
            for (&i, id) in chunk.iter().zip(returned) {
                ids[i] = Some(id);
            }
        }
        next += take;
    }
    tx.commit().await?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_their_parameters_row_after_row() {
        assert_eq!(
            Kind::Question.insert(2),
            "INSERT INTO messages (conversation_id, role, text, created_at) VALUES \
             ($1, 'user', $2, $3), ($4, 'user', $5, $6) RETURNING id"
        );
        assert_eq!(
            Kind::Conversation.insert(1),
            "INSERT INTO conversations (id, channel, created_at, updated_at) VALUES ($1, $2, $3, $4)"
        );
        assert!(
            Kind::Answer.insert(2).ends_with(
                "($10, 'assistant', $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id"
            )
        );
    }
}
