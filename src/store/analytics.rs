//! The rows behind the editors' analytics: every user question since a time, with the
//! outcome of its answer and the feedback on it, and the tickets opened.

use super::error::Result;
use sqlx::Row;

use super::Store;
use crate::analytics::QuestionRow;
use crate::assistant::Citation;

impl Store {
    pub async fn questions_since(&self, since: &str) -> Result<Vec<QuestionRow>> {
        let rows = sqlx::query(
            "SELECT q.text, q.created_at, a.outcome, f.rating, a.writer, a.text, f.comment, a.citations, a.understood_as \
             FROM messages q \
             LEFT JOIN messages a ON a.reply_to = q.id AND a.role = 'assistant' \
             LEFT JOIN feedback f ON f.message_id = a.id \
             WHERE q.role = 'user' AND q.created_at >= $1 ORDER BY q.id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(QuestionRow {
                    text: r.try_get(0)?,
                    understood_as: r.try_get(8)?,
                    at: r.try_get(1)?,
                    outcome: r.try_get(2)?,
                    rating: r.try_get(3)?,
                    writer: r.try_get(4)?,
                    answer: r.try_get(5)?,
                    comment: r.try_get(6)?,
                    sources: cited_sections(r.try_get(7)?)?,
                })
            })
            .collect()
    }

    /// The tickets opened since a time (RFC 3339).
    pub async fn tickets_since(&self, since: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT created_at FROM tickets WHERE created_at >= $1")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }
}

/// `doc-id#section-id` of each cited notice section in an answer's stored citations.
fn cited_sections(citations: Option<String>) -> Result<Vec<String>> {
    let Some(json) = citations else {
        return Ok(Vec::new());
    };
    let citations: Vec<Citation> = serde_json::from_str(&json)?;
    Ok(citations
        .into_iter()
        .filter_map(|c| c.section_id.map(|s| format!("{}#{s}", c.doc_id)))
        .collect())
}
