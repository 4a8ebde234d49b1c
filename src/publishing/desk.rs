//! The editors' desk: the drafts with their problems and state, saving and deleting a
//! draft, trying a question on the drafts, the releases with their diffs, importing a new
//! notice, the audit log, and what users could not get answered.

use serde::Serialize;

use super::{MAX_FILE_BYTES, PublishError, Publisher, check_path, load};
use crate::analytics::{self, Report};
use crate::assistant::{Answer, Question};
use crate::knowledge::Diagnostic;
use crate::knowledge::KbFile;
use crate::store::StoreError;
use crate::store::knowledge::{AuditEntry, Import, Release};

/// Retrieved passages shown in the try-it panel.
const TRY_HITS: usize = 8;

/// Why an editor's change was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    BadPath(String),
    #[error("ファイルが {} KiB を超えています。", MAX_FILE_BYTES / 1024)]
    TooLarge,
    /// A control character (NUL, escape…) in the text; tabs and line breaks are text.
    #[error("本文に制御文字が含まれています。")]
    Control,
    /// Nothing visible: an empty document is deleted, not saved.
    #[error("本文が空です。")]
    Blank,
    /// A 12-digit number (a My Number, it may be) on these lines: never stored, since a
    /// published page is shown to everyone.
    #[error("{}に12桁の番号があります。マイナンバー（個人番号）の可能性がある番号は保存できません。", .0.join("、"))]
    PersonalNumber(Vec<String>),
    #[error("no such document")]
    UnknownDocument,
    #[error("unreadable file: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for EditError {
    fn from(e: StoreError) -> Self {
        EditError::Internal(e.into())
    }
}

/// One draft in the documents list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentEntry {
    pub path: String,
    pub id: Option<String>,
    pub kind: Option<&'static str>,
    pub title: Option<String>,
    /// `new`, `changed` (against the serving release) or `published`.
    pub status: &'static str,
    pub problems: usize,
}

/// The drafts, the files they deleted, and every problem `kb check` finds in them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Documents {
    pub serving_release: i64,
    pub documents: Vec<DocumentEntry>,
    pub deleted: Vec<String>,
    pub problems: Vec<Diagnostic>,
}

/// A draft and its published text (either may be missing).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentTexts {
    pub path: String,
    pub text: Option<String>,
    pub published: Option<String>,
}

/// What retrieval found for a try-it question.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TryHit {
    pub doc_id: String,
    pub title: String,
    pub section: Option<String>,
    pub kind: &'static str,
    pub score: f32,
    pub coverage: f32,
}

/// A release and what it changed against the one before.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReleaseDiff {
    pub release: Release,
    pub files: Vec<FileDiff>,
}

/// What publishing the drafts now would change against the release being served.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PendingChanges {
    pub serving_release: i64,
    /// Empty when the drafts are the served files.
    pub files: Vec<FileDiff>,
}

/// One file a release changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileDiff {
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// A unified diff (two lines of context).
    pub diff: String,
    /// The same change side by side, changed characters marked.
    pub hunks: Vec<super::side_by_side::Hunk>,
}

impl Publisher {
    /// Every draft with its id, kind, title, state against the serving release and
    /// problems; `q` filters by text or file name.
    pub async fn documents(&self, q: Option<&str>) -> anyhow::Result<Documents> {
        let drafts = self.store.drafts().await?;
        let published = self.store.release_files(self.serving_release()).await?;
        let files = drafts.clone();
        let (kb, problems) = tokio::task::spawn_blocking(move || load(&files))
            .await
            .map_err(|e| anyhow::anyhow!("checking the drafts: {e}"))?;
        let needle = q
            .map(crate::text::normalize)
            .filter(|q| !q.trim().is_empty());
        let mut documents = Vec::new();
        for f in &drafts {
            if let Some(q) = &needle
                && !crate::text::normalize(&f.text).contains(q.as_str())
                && !f.path.contains(q.as_str())
            {
                continue;
            }
            let doc = kb.docs().iter().find(|d| d.path.ends_with(&f.path));
            documents.push(DocumentEntry {
                path: f.path.clone(),
                id: doc.map(|d| d.id.clone()),
                kind: doc.map(|d| d.kind.as_str()),
                title: doc.map(|d| d.title.clone()),
                status: match published.iter().find(|p| p.path == f.path) {
                    None => "new",
                    Some(p) if p.text != f.text => "changed",
                    Some(_) => "published",
                },
                problems: problems.iter().filter(|p| p.path == f.path).count(),
            });
        }
        let deleted = published
            .iter()
            .filter(|p| !drafts.iter().any(|d| d.path == p.path))
            .map(|p| p.path.clone())
            .collect();
        Ok(Documents {
            serving_release: self.serving_release(),
            documents,
            deleted,
            problems,
        })
    }

    /// The draft and the published text of `path`; `None` if neither exists.
    pub async fn document(&self, path: &str) -> anyhow::Result<Option<DocumentTexts>> {
        let draft = self
            .store
            .drafts()
            .await?
            .into_iter()
            .find(|f| f.path == path);
        let published = self
            .store
            .release_files(self.serving_release())
            .await?
            .into_iter()
            .find(|f| f.path == path);
        if draft.is_none() && published.is_none() {
            return Ok(None);
        }
        Ok(Some(DocumentTexts {
            path: path.to_string(),
            text: draft.map(|f| f.text),
            published: published.map(|f| f.text),
        }))
    }

    /// Saves a draft (problems do not stop a save, only a publish) and returns its problems.
    pub async fn save(
        &self,
        path: &str,
        text: &str,
        user: &str,
    ) -> Result<Vec<Diagnostic>, EditError> {
        check_path(path).map_err(|e| EditError::BadPath(e.to_string()))?;
        if text.len() > MAX_FILE_BYTES {
            return Err(EditError::TooLarge);
        }
        if crate::text::has_control(text) {
            return Err(EditError::Control);
        }
        if crate::text::is_blank(text) {
            return Err(EditError::Blank);
        }
        let lines = crate::text::privacy::lines_with_numbers(text);
        if !lines.is_empty() {
            let at = lines.iter().map(|l| format!("{l}行目")).collect();
            return Err(EditError::PersonalNumber(at));
        }
        let problems = self.check(path, text).await?;
        self.store.save_draft(path, text, user).await?;
        Ok(problems)
    }

    pub async fn delete(&self, path: &str, user: &str) -> Result<(), EditError> {
        check_path(path).map_err(|e| EditError::BadPath(e.to_string()))?;
        if self.store.delete_draft(path, user).await? {
            Ok(())
        } else {
            Err(EditError::UnknownDocument)
        }
    }

    /// The drafts' answer to a question, with the passages retrieval found and their scores.
    pub async fn try_question(
        &self,
        question: &str,
    ) -> Result<(Answer, Vec<TryHit>), PublishError> {
        let today = crate::text::clock::today_in_japan();
        Question::new(question, today)?;
        let assistant = self.draft_assistant().await?;
        let question = question.to_string();
        let (answer, hits) = tokio::task::spawn_blocking(move || {
            let answer = assistant.answer(&Question::validated(&question, today))?;
            let hits = assistant.retrieve_for(&question)?;
            anyhow::Ok((answer, hits))
        })
        .await
        .map_err(|e| anyhow::anyhow!("the try-it task failed: {e}"))??;
        let hits = hits
            .into_iter()
            .take(TRY_HITS)
            .map(|h| TryHit {
                doc_id: h.passage.doc_id,
                title: h.passage.title,
                section: h.passage.section,
                kind: h.passage.kind.as_str(),
                score: h.score,
                coverage: h.coverage,
            })
            .collect();
        Ok((answer, hits))
    }

    pub async fn releases(&self, limit: i64) -> anyhow::Result<Vec<Release>> {
        Ok(self.store.releases(limit).await?)
    }

    /// Whether a release exists.
    pub async fn release_exists(&self, id: i64) -> anyhow::Result<bool> {
        Ok(self.store.release(id).await?.is_some())
    }

    /// What release `id` changed against the one before; `None` if there is no such release.
    pub async fn diff(&self, id: i64) -> anyhow::Result<Option<ReleaseDiff>> {
        let Some(release) = self.store.release(id).await? else {
            return Ok(None);
        };
        let after = self.store.release_files(id).await?;
        let before = match self.store.previous_release(id).await? {
            Some(previous) => self.store.release_files(previous).await?,
            None => Vec::new(),
        };
        Ok(Some(ReleaseDiff {
            release,
            files: file_diffs(&before, &after),
        }))
    }

    /// What publishing would change: the drafts against the served release, file by file,
    /// for the editor to review before publishing.
    pub async fn pending(&self) -> anyhow::Result<PendingChanges> {
        let serving_release = self.serving_release();
        let before = self.store.release_files(serving_release).await?;
        let after = self.store.drafts().await?;
        Ok(PendingChanges {
            serving_release,
            files: file_diffs(&before, &after),
        })
    }

    /// A new notice (PDF, HTML, text) proposed as drafts that need review; their paths.
    pub async fn import(
        &self,
        name: &str,
        bytes: Vec<u8>,
        user: &str,
    ) -> Result<Vec<String>, EditError> {
        let file_name = name.to_string();
        let proposed =
            tokio::task::spawn_blocking(move || super::propose_import(&file_name, &bytes))
                .await
                .map_err(|e| anyhow::anyhow!("the import task failed: {e}"))?
                .map_err(|e| EditError::Unreadable(format!("{e:#}")))?;
        let at: Vec<String> = proposed
            .iter()
            .flat_map(|f| {
                crate::text::privacy::lines_with_numbers(&f.text)
                    .into_iter()
                    .map(move |l| format!("{} の{l}行目", f.path))
            })
            .collect();
        if !at.is_empty() {
            return Err(EditError::PersonalNumber(at));
        }
        self.store
            .import_drafts(
                &proposed,
                user,
                &format!("proposed from {name}"),
                Import::Beside,
            )
            .await?;
        Ok(proposed.into_iter().map(|f| f.path).collect())
    }

    /// Who changed what, newest first.
    pub async fn audit(&self, limit: i64) -> anyhow::Result<Vec<AuditEntry>> {
        Ok(self.store.audit_log(limit).await?)
    }

    /// What users could not get answered in the last `days` days (Japan time), with the
    /// daily rates.
    pub async fn analytics(&self, days: u32) -> anyhow::Result<Report> {
        let (from, to, since) = analytics::window(days, crate::text::clock::today_in_japan())?;
        let rows = self.store.questions_since(&since).await?;
        let tickets = self.store.tickets_since(&since).await?;
        Ok(analytics::report(&rows, &tickets, from, to))
    }
}

/// Unified diffs of the files that differ.
fn file_diffs(before: &[KbFile], after: &[KbFile]) -> Vec<FileDiff> {
    let mut paths: Vec<&str> = before
        .iter()
        .chain(after)
        .map(|f| f.path.as_str())
        .collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let old = before
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.text.as_str());
            let new = after
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.text.as_str());
            let change = match (old, new) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(a), Some(b)) if a != b => "changed",
                _ => return None,
            };
            let diff = similar::TextDiff::from_lines(old.unwrap_or(""), new.unwrap_or(""))
                .unified_diff()
                .context_radius(2)
                .header(path, path)
                .to_string();
            Some(FileDiff {
                path: path.to_string(),
                change,
                diff,
                hunks: super::side_by_side::hunks(old.unwrap_or(""), new.unwrap_or("")),
            })
        })
        .collect()
}
