//! Saved replies of the agent console (migration 0010): admins keep them, agents insert
//! them into a reply by their shortcut.

use super::error::Result;
use serde::Serialize;
use sqlx::Row;

use super::{Store, now};
use crate::text::UserText;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CannedReply {
    /// Lower-case letters, digits, `-` and `_` (typed after `/` in the reply box).
    pub shortcut: String,
    pub title: String,
    pub text: String,
    pub updated_by: String,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

impl Store {
    /// Every saved reply, by shortcut.
    pub async fn canned_replies(&self) -> Result<Vec<CannedReply>> {
        let rows = sqlx::query(
            "SELECT shortcut, title, text, updated_by, updated_at FROM canned_replies ORDER BY shortcut",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CannedReply {
                    shortcut: r.try_get(0)?,
                    title: r.try_get(1)?,
                    text: r.try_get(2)?,
                    updated_by: r.try_get(3)?,
                    updated_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Adds or replaces the saved reply `shortcut`.
    pub async fn save_canned_reply(
        &self,
        shortcut: &str,
        title: &UserText,
        text: &UserText,
        by: &str,
    ) -> Result<CannedReply> {
        let at = now();
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "INSERT INTO canned_replies (shortcut, title, text, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (shortcut) DO UPDATE SET title = $2, text = $3, updated_by = $4, updated_at = $5",
        )
        .bind(shortcut)
        .bind(title.as_str())
        .bind(text.as_str())
        .bind(by)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CannedReply {
            shortcut: shortcut.to_string(),
            title: title.to_string(),
            text: text.to_string(),
            updated_by: by.to_string(),
            updated_at: at,
        })
    }

    /// Removes the saved reply `shortcut`; `false` if there was none.
    pub async fn delete_canned_reply(&self, shortcut: &str) -> Result<bool> {
        let mut tx = self.write_transaction().await?;
        let gone = sqlx::query("DELETE FROM canned_replies WHERE shortcut = $1")
            .bind(shortcut)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone == 1)
    }
}
