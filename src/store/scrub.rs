//! Numbers that earlier versions stored are removed, once: a My Number is never kept, also
//! not from before redaction covered every form and every entry point.

use super::error::Result;
use sqlx::Row;

use super::{Backend, Store, now};
use crate::text::privacy::scrub;

/// The maintenance step's name in the `maintenance` table.
const STEP: &str = "scrub-my-numbers-1";

/// Every column where a user's or an agent's free text is stored: table, key, column.
const COLUMNS: &[(&str, &str, &str)] = &[
    ("messages", "id", "text"),
    ("tickets", "id", "facility_name"),
    ("tickets", "id", "contact"),
    ("tickets", "id", "question"),
    ("feedback", "message_id", "comment"),
    ("ticket_notes", "id", "text"),
];

impl Store {
    /// Replaces every 12-digit number stored before by [`crate::text::privacy::REMOVED`],
    /// unless done already; how many values changed.
    pub(super) async fn scrub_stored_numbers(&self) -> Result<usize> {
        let done = sqlx::query("SELECT 1 FROM maintenance WHERE name = $1")
            .bind(STEP)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        if done {
            return Ok(0);
        }
        let mut changed = 0;
        for (table, key, column) in COLUMNS {
            let rows = sqlx::query(&format!(
                "SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL"
            ))
            .fetch_all(&self.pool)
            .await?;
            for row in rows {
                let id: i64 = row.try_get(0)?;
                let text: String = row.try_get(1)?;
                let (scrubbed, removed) = scrub(&text);
                if removed {
                    sqlx::query(&format!(
                        "UPDATE {table} SET {column} = $1 WHERE {key} = $2"
                    ))
                    .bind(scrubbed)
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                    changed += 1;
                }
            }
        }
        if changed > 0 {
            // The old values must not stay behind in free pages or old row versions either.
            match self.backend {
                Backend::Sqlite => {
                    sqlx::query("VACUUM").execute(&self.writer).await?;
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(&self.writer)
                        .await?;
                }
                Backend::Postgres => {
                    for table in ["messages", "tickets", "feedback", "ticket_notes"] {
                        sqlx::query(&format!("VACUUM FULL {table}"))
                            .execute(&self.pool)
                            .await?;
                    }
                }
            }
        }
        sqlx::query("INSERT INTO maintenance (name, done_at) VALUES ($1, $2)")
            .bind(STEP)
            .bind(now())
            .execute(&self.writer)
            .await?;
        Ok(changed)
    }
}
