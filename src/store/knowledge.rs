//! The knowledge base in the database: the editors' drafts, published releases (each a
//! full snapshot of the files) and the audit log. Every change and its audit entry are one
//! transaction.

use super::error::Result;
use serde::Serialize;
use sqlx::Row;

use super::{Store, Tx, now};
use crate::knowledge::KbFile;

/// Where imported drafts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Import {
    /// Beside the other drafts.
    Beside,
    /// Instead of all other drafts.
    Instead,
}

/// What a new release does to the drafts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drafts {
    /// They stay as the editors left them.
    Kept,
    /// The release's files replace them.
    Replaced,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Release {
    pub id: i64,
    pub fingerprint: String,
    pub published_by: String,
    pub published_at: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: String,
    pub user_name: String,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub detail: String,
}

const RELEASE_COLUMNS: &str = "id, fingerprint, published_by, published_at, note";

fn release(row: &sqlx::any::AnyRow) -> Result<Release> {
    Ok(Release {
        id: row.try_get("id")?,
        fingerprint: row.try_get("fingerprint")?,
        published_by: row.try_get("published_by")?,
        published_at: row.try_get("published_at")?,
        note: row.try_get("note")?,
    })
}

fn files(rows: &[sqlx::any::AnyRow]) -> Result<Vec<KbFile>> {
    rows.iter()
        .map(|r| {
            Ok(KbFile {
                path: r.try_get("path")?,
                text: r.try_get("text")?,
            })
        })
        .collect()
}

async fn audit(
    tx: &mut Tx<'_>,
    user: &str,
    action: &str,
    path: Option<&str>,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO kb_audit (at, user_name, action, path, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now())
    .bind(user)
    .bind(action)
    .bind(path)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn replace_drafts_in(tx: &mut Tx<'_>, files: &[KbFile], user: &str) -> Result<()> {
    sqlx::query("DELETE FROM kb_drafts")
        .execute(&mut **tx)
        .await?;
    upsert_drafts(tx, files, user).await
}

/// Creates or replaces each of `files` as a draft.
async fn upsert_drafts(tx: &mut Tx<'_>, files: &[KbFile], user: &str) -> Result<()> {
    let at = now();
    for f in files {
        sqlx::query(
            "INSERT INTO kb_drafts (path, text, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (path) DO UPDATE SET text = excluded.text, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(&f.path)
        .bind(&f.text)
        .bind(user)
        .bind(&at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_release(
    tx: &mut Tx<'_>,
    files: &[KbFile],
    fingerprint: &str,
    user: &str,
    action: &str,
    note: &str,
) -> Result<Release> {
    let at = now();
    let id: i64 = sqlx::query(
        "INSERT INTO kb_releases (fingerprint, published_by, published_at, note) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(fingerprint)
    .bind(user)
    .bind(&at)
    .bind(note)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    for f in files {
        sqlx::query("INSERT INTO kb_release_files (release_id, path, text) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(&f.path)
            .bind(&f.text)
            .execute(&mut **tx)
            .await?;
    }
    audit(tx, user, action, None, &format!("release {id}: {note}")).await?;
    Ok(Release {
        id,
        fingerprint: fingerprint.to_string(),
        published_by: user.to_string(),
        published_at: at,
        note: note.to_string(),
    })
}

impl Store {
    /// Releases matching `tail` (a WHERE / ORDER BY / LIMIT clause with at most one `$1`).
    async fn select_releases(&self, tail: &str, bind: Option<i64>) -> Result<Vec<Release>> {
        let sql = format!("SELECT {RELEASE_COLUMNS} FROM kb_releases {tail}");
        let mut query = sqlx::query(&sql);
        if let Some(value) = bind {
            query = query.bind(value);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(release)
            .collect()
    }

    pub async fn latest_release(&self) -> Result<Option<Release>> {
        Ok(self
            .select_releases("ORDER BY id DESC LIMIT 1", None)
            .await?
            .pop())
    }

    pub async fn release(&self, id: i64) -> Result<Option<Release>> {
        Ok(self.select_releases("WHERE id = $1", Some(id)).await?.pop())
    }

    /// The release before `id`, if any.
    pub async fn previous_release(&self, id: i64) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM kb_releases WHERE id < $1 ORDER BY id DESC LIMIT 1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The latest releases, newest first.
    pub async fn releases(&self, limit: i64) -> Result<Vec<Release>> {
        self.select_releases("ORDER BY id DESC LIMIT $1", Some(limit))
            .await
    }

    pub async fn release_files(&self, id: i64) -> Result<Vec<KbFile>> {
        let rows = sqlx::query(
            "SELECT path, text FROM kb_release_files WHERE release_id = $1 ORDER BY path",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        files(&rows)
    }

    pub async fn drafts(&self) -> Result<Vec<KbFile>> {
        let rows = sqlx::query("SELECT path, text FROM kb_drafts ORDER BY path")
            .fetch_all(&self.pool)
            .await?;
        files(&rows)
    }

    /// Creates or replaces one draft file.
    pub async fn save_draft(&self, path: &str, text: &str, user: &str) -> Result<()> {
        let mut tx = self.write_transaction().await?;
        let existed = sqlx::query("SELECT 1 FROM kb_drafts WHERE path = $1")
            .bind(path)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        let file = KbFile {
            path: path.to_string(),
            text: text.to_string(),
        };
        upsert_drafts(&mut tx, std::slice::from_ref(&file), user).await?;
        let detail = if existed { "edited" } else { "created" };
        audit(&mut tx, user, "save", Some(path), detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Imports `files` as drafts, with one audit entry: beside the other drafts (a new
    /// notice's proposals) or instead of them all (a knowledge folder).
    pub async fn import_drafts(
        &self,
        files: &[KbFile],
        user: &str,
        detail: &str,
        import: Import,
    ) -> Result<()> {
        let mut tx = self.write_transaction().await?;
        match import {
            Import::Beside => upsert_drafts(&mut tx, files, user).await?,
            Import::Instead => replace_drafts_in(&mut tx, files, user).await?,
        }
        audit(&mut tx, user, "import", None, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a draft file; `false` if there was none.
    pub async fn delete_draft(&self, path: &str, user: &str) -> Result<bool> {
        let mut tx = self.write_transaction().await?;
        let deleted = sqlx::query("DELETE FROM kb_drafts WHERE path = $1")
            .bind(path)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        audit(&mut tx, user, "delete", Some(path), "deleted").await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records a release of `files` and its audit entry. The drafts stay as they are
    /// (publishing or rolling back changes what is served, never an editor's work), unless
    /// `drafts` says the files replace them (a knowledge folder imported and published).
    pub async fn create_release(
        &self,
        files: &[KbFile],
        fingerprint: &str,
        user: &str,
        action: &str,
        note: &str,
        drafts: Drafts,
    ) -> Result<Release> {
        let mut tx = self.write_transaction().await?;
        let release = insert_release(&mut tx, files, fingerprint, user, action, note).await?;
        if drafts == Drafts::Replaced {
            replace_drafts_in(&mut tx, files, user).await?;
        }
        tx.commit().await?;
        Ok(release)
    }

    /// A new installation's first release, unless there is one already: instances that
    /// start together on an empty database import once (the others get that release).
    pub async fn first_release(
        &self,
        files: &[KbFile],
        fingerprint: &str,
        user: &str,
        note: &str,
    ) -> Result<Release> {
        let mut tx = self.write_transaction().await?;
        if self.backend == super::Backend::Postgres {
            // SQLite's BEGIN IMMEDIATE already lets one writer in at a time.
            sqlx::query("SELECT pg_advisory_xact_lock(5141300)")
                .execute(&mut *tx)
                .await?;
        }
        let existing = sqlx::query(&format!(
            "SELECT {RELEASE_COLUMNS} FROM kb_releases ORDER BY id DESC LIMIT 1"
        ))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            tx.rollback().await?;
            return release(&row);
        }
        let release = insert_release(&mut tx, files, fingerprint, user, "import", note).await?;
        replace_drafts_in(&mut tx, files, user).await?;
        tx.commit().await?;
        Ok(release)
    }

    /// The latest audit entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT at, user_name, action, path, detail FROM kb_audit ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: r.try_get("at")?,
                    user_name: r.try_get("user_name")?,
                    action: r.try_get("action")?,
                    path: r.try_get("path")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}
