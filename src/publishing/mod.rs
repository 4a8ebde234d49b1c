//! Publishing the knowledge base without interrupting answers. Editors change drafts in
//! the database; publishing checks them with the same rules as `kb check`, builds the
//! release's index in a folder of its own beside the serving one, records the release, and
//! swaps the serving assistant in one atomic step — a question in flight finishes on the
//! release it started with. A failed check or build changes nothing. Every instance
//! follows the newest release in the database within seconds (PostgreSQL: several
//! instances; SQLite: also a `kb import --publish` from the command line).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};

use crate::assistant::{Assistant, Builder};
use crate::knowledge::{Diagnostic, KbFile, KnowledgeBase};
use crate::store::knowledge::{Drafts, Release};
use crate::store::{Store, StoreError};

mod desk;
pub mod faq_form;
pub mod import;
mod side_by_side;

pub use desk::{
    DocumentEntry, DocumentTexts, Documents, EditError, PendingChanges, ReleaseDiff, TryHit,
};

/// Release folders kept (the newest by use; the serving one and the drafts' are among
/// them, as each build or reuse touches its folder).
const KEEP_FOLDERS: usize = 4;
/// How often an instance looks for a newer release.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);
/// Largest file accepted (the longest notice is far smaller).
pub const MAX_FILE_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("the knowledge base has {} problem(s)", .0.len())]
    Invalid(Vec<Diagnostic>),
    /// A question to try the drafts with that the assistant does not accept.
    #[error(transparent)]
    Question(#[from] crate::assistant::QuestionError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Publishes `files` as the next release from outside a running service (`shikaku kb
/// import --publish`): refused with every problem when the knowledge base does not check,
/// else recorded with its fingerprint, the drafts replaced by it. Running instances switch
/// to it and build its index themselves ([`Publisher::follow`]).
pub async fn publish_files(
    store: &Store,
    files: &[KbFile],
    user: &str,
    note: &str,
) -> Result<Release, PublishError> {
    let (_, problems) = load(files);
    if !problems.is_empty() {
        return Err(PublishError::Invalid(problems));
    }
    let fp = fingerprint(files);
    Ok(store
        .create_release(files, &fp, user, "publish", note, Drafts::Replaced)
        .await?)
}

impl From<StoreError> for PublishError {
    fn from(e: StoreError) -> Self {
        PublishError::Internal(e.into())
    }
}

/// The serving assistant and the releases behind it.
pub struct Publisher {
    store: Store,
    /// `DATA/releases/{fingerprint}/` (files and index) per release, built once.
    releases_dir: PathBuf,
    builder: Builder,
    serving: Arc<ArcSwap<Assistant>>,
    serving_release: AtomicI64,
    /// One build at a time (publish, follow, try-it share the folders).
    building: tokio::sync::Mutex<()>,
    /// The drafts' assistant for the try-it panel, by the drafts' fingerprint.
    draft: std::sync::Mutex<Option<(String, Arc<Assistant>)>>,
}

/// A path inside the knowledge folder: relative, no `..`, a Markdown file or the glossary,
/// with no control or invisible characters (a NUL cannot even be stored in PostgreSQL).
pub fn check_path(path: &str) -> Result<()> {
    if path
        .chars()
        .any(|c| c.is_control() || crate::text::is_invisible(c))
    {
        bail!(
            "{path:?} に制御文字か見えない文字が含まれています。ナレッジのファイル名には使えません。"
        );
    }
    let p = Path::new(path);
    let plain = p.components().all(|c| matches!(c, Component::Normal(_)));
    let kind_ok = path.ends_with(".md") || path == "glossary.toml";
    if path.is_empty() || !plain || !kind_ok || path.contains('\\') {
        bail!(
            "{path:?} はナレッジのファイルではありません。faq/name.md のような相対パス（または glossary.toml）にしてください。"
        );
    }
    Ok(())
}

/// Every `*.md` below `dir` and its `glossary.toml`, with paths relative to `dir`.
pub fn read_folder(dir: &Path) -> Result<Vec<KbFile>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<KbFile>) -> Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
                continue;
            }
            let rel = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            if rel.ends_with(".md") || rel == "glossary.toml" {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                out.push(KbFile { path: rel, text });
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if files.is_empty() {
        bail!(
            "no knowledge files (*.md, glossary.toml) in {}",
            dir.display()
        );
    }
    Ok(files)
}

/// Writes `files` below `dir` (created if needed).
pub fn write_folder(dir: &Path, files: &[KbFile]) -> Result<()> {
    for f in files {
        check_path(&f.path)?;
        let target = dir.join(&f.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, &f.text)
            .with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

/// Makes `dir` mirror the knowledge base in `files`: the knowledge files it had and
/// `files` lacks (deleted documents) go, the rest are written.
pub fn mirror_folder(dir: &Path, files: &[KbFile]) -> Result<()> {
    if dir.is_dir() {
        for old in read_folder(dir).unwrap_or_default() {
            std::fs::remove_file(dir.join(&old.path))
                .with_context(|| format!("removing {}", old.path))?;
        }
    }
    write_folder(dir, files)
}

/// SHA-256 over the paths and texts: equal files, equal release folder.
pub fn fingerprint(files: &[KbFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.path.as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    format!("{:x}", h.finalize())
}

/// Loads `files` as a knowledge base, in memory: the knowledge base and the problems
/// `kb check` would report, with paths relative to the knowledge folder. A file with a bad
/// path or too large refuses them all (an empty knowledge base).
pub fn load(files: &[KbFile]) -> (KnowledgeBase, Vec<Diagnostic>) {
    let refused = refusals(files);
    if !refused.is_empty() {
        return (KnowledgeBase::empty(), refused);
    }
    let loaded = KnowledgeBase::from_files(files);
    (loaded.kb, loaded.diagnostics)
}

/// The files that cannot be part of a knowledge base at all: a path outside the folder or
/// of another kind, or a file too large.
fn refusals(files: &[KbFile]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for f in files {
        let message = match check_path(&f.path) {
            Err(e) => e.to_string(),
            Ok(()) if f.text.len() > MAX_FILE_BYTES => {
                format!("ファイルが {} KiB を超えています。", MAX_FILE_BYTES / 1024)
            }
            Ok(()) => continue,
        };
        problems.push(Diagnostic {
            path: f.path.clone(),
            line: 0,
            message,
        });
    }
    problems
}

impl Publisher {
    /// Serves the newest release; on a new installation (no release yet) `knowledge_dir`
    /// is imported as release 1. Every release's assistant is made by `builder`.
    pub async fn open(
        store: Store,
        data_dir: &Path,
        knowledge_dir: &Path,
        builder: Builder,
    ) -> Result<Publisher> {
        if store.latest_release().await?.is_none() {
            let files = read_folder(knowledge_dir)?;
            let release = store
                .first_release(
                    &files,
                    &fingerprint(&files),
                    "setup",
                    &format!("{} imported at first start", knowledge_dir.display()),
                )
                .await?;
            tracing::info!(
                release = release.id,
                "knowledge: imported {}",
                knowledge_dir.display()
            );
        }
        let release = store
            .latest_release()
            .await?
            .context("no knowledge release")?;
        let files = store.release_files(release.id).await?;
        let releases_dir = data_dir.join("releases");
        let assistant = {
            let (dir, builder) = (releases_dir.clone(), builder.clone());
            tokio::task::spawn_blocking(move || build(&files, &dir, &builder, true))
                .await?
                .map_err(|e| anyhow::anyhow!("the newest knowledge release: {e}"))?
        };
        Ok(Publisher {
            store,
            releases_dir,
            builder,
            serving: Arc::new(ArcSwap::from_pointee(assistant)),
            serving_release: AtomicI64::new(release.id),
            building: tokio::sync::Mutex::new(()),
            draft: std::sync::Mutex::new(None),
        })
    }

    /// The swappable serving assistant, shared with the conversation service.
    pub fn serving(&self) -> Arc<ArcSwap<Assistant>> {
        self.serving.clone()
    }

    pub fn serving_release(&self) -> i64 {
        self.serving_release.load(Ordering::SeqCst)
    }

    /// Publishes the drafts as a new release and serves it.
    pub async fn publish(&self, user: &str, note: &str) -> Result<Release, PublishError> {
        let files = self.store.drafts().await?;
        self.release(files, user, "publish", note).await
    }

    /// Publishes the files of an earlier release again, as a new release. The drafts stay
    /// as they are: what differs from the release served now shows as changed.
    pub async fn rollback(&self, user: &str, to: i64) -> Result<Release, PublishError> {
        let files = self.store.release_files(to).await?;
        if files.is_empty() {
            return Err(anyhow::anyhow!("release {to} not found").into());
        }
        self.release(files, user, "rollback", &format!("版 {to} に戻す"))
            .await
    }

    async fn release(
        &self,
        files: Vec<KbFile>,
        user: &str,
        action: &str,
        note: &str,
    ) -> Result<Release, PublishError> {
        let _building = self.building.lock().await;
        let fp = fingerprint(&files);
        let assistant = self.build_blocking(files.clone(), false).await?;
        let release = self
            .store
            .create_release(&files, &fp, user, action, note, Drafts::Kept)
            .await?;
        self.serving.store(Arc::new(assistant));
        self.serving_release.store(release.id, Ordering::SeqCst);
        tracing::info!(
            release = release.id,
            user,
            "knowledge: {action}: now serving"
        );
        prune_folders(&self.releases_dir);
        Ok(release)
    }

    async fn build_blocking(
        &self,
        files: Vec<KbFile>,
        lenient: bool,
    ) -> Result<Assistant, PublishError> {
        let (dir, builder) = (self.releases_dir.clone(), self.builder.clone());
        tokio::task::spawn_blocking(move || build(&files, &dir, &builder, lenient))
            .await
            .map_err(|e| anyhow::anyhow!("the build task failed: {e}"))?
    }

    /// Switches to a newer release when another instance (or the CLI) published one,
    /// until `shutdown`.
    pub async fn follow(&self, shutdown: tokio_util::sync::CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(FOLLOW_EVERY) => {}
            }
            if let Err(e) = self.catch_up().await {
                tracing::error!("knowledge: following the newest release failed: {e:#}");
            }
        }
    }

    async fn catch_up(&self) -> Result<()> {
        let Some(latest) = self.store.latest_release().await? else {
            return Ok(());
        };
        if latest.id <= self.serving_release() {
            return Ok(());
        }
        let _building = self.building.lock().await;
        if latest.id <= self.serving_release() {
            return Ok(());
        }
        let files = self.store.release_files(latest.id).await?;
        let assistant = self
            .build_blocking(files, true)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        self.serving.store(Arc::new(assistant));
        self.serving_release.store(latest.id, Ordering::SeqCst);
        tracing::info!(
            release = latest.id,
            "knowledge: switched to a newer release"
        );
        prune_folders(&self.releases_dir);
        Ok(())
    }

    /// An assistant on the current drafts (the try-it panel), rebuilt when they change.
    pub async fn draft_assistant(&self) -> Result<Arc<Assistant>, PublishError> {
        let files = self.store.drafts().await?;
        let fp = fingerprint(&files);
        if let Some((cached, assistant)) = self.draft.lock().unwrap().as_ref()
            && *cached == fp
        {
            return Ok(assistant.clone());
        }
        let _building = self.building.lock().await;
        let assistant = Arc::new(self.build_blocking(files, true).await?);
        *self.draft.lock().unwrap() = Some((fp, assistant.clone()));
        Ok(assistant)
    }

    /// What `kb check` says about the drafts with `path` replaced by `text`.
    pub async fn check(&self, path: &str, text: &str) -> Result<Vec<Diagnostic>> {
        let mut files = self.store.drafts().await?;
        match files.iter_mut().find(|f| f.path == path) {
            Some(f) => f.text = text.to_string(),
            None => files.push(KbFile {
                path: path.to_string(),
                text: text.to_string(),
            }),
        }
        tokio::task::spawn_blocking(move || load(&files).1)
            .await
            .map_err(|e| anyhow::anyhow!("the check failed: {e}"))
    }
}

/// The proposals (a notice, FAQ drafts) for an imported file, each marked for review.
pub fn propose_import(name: &str, bytes: &[u8]) -> Result<Vec<KbFile>> {
    let blocks = import::extract(name, bytes)?;
    let today = crate::text::clock::today_in_japan();
    Ok(import::propose(
        name,
        &import::id_from_name(name, today),
        &blocks,
        today,
    ))
}

/// Removes all but the newest release folders. An assistant still answering from a
/// removed one keeps its open files (the index is memory-mapped); a later rollback to it
/// rebuilds the folder.
fn prune_folders(releases_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(releases_dir) else {
        return;
    };
    let mut folders: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    folders.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, old) in folders.into_iter().skip(KEEP_FOLDERS) {
        if let Err(e) = std::fs::remove_dir_all(&old) {
            tracing::warn!("removing the old release folder {}: {e}", old.display());
        }
    }
}

/// The assistant of `files`: checked (any problem refuses it unless
/// `lenient`, which only logs them — for releases accepted before, and try-it drafts),
/// indexed in the release's folder (reused when built before).
fn build(
    files: &[KbFile],
    releases_dir: &Path,
    builder: &Builder,
    lenient: bool,
) -> Result<Assistant, PublishError> {
    let fp = fingerprint(files);
    let dir = releases_dir.join(&fp[..16]);
    if refusals(files).is_empty() {
        // The release folder keeps a copy of its files beside the index (as it always
        // has); rewriting it also marks the folder as in use for `prune_folders`.
        let copy = dir.join("knowledge");
        if copy.exists() {
            std::fs::remove_dir_all(&copy)
                .with_context(|| format!("clearing {}", copy.display()))?;
        }
        write_folder(&copy, files)?;
    }
    let (kb, problems) = load(files);
    if !problems.is_empty() {
        if !lenient || kb.docs().is_empty() {
            return Err(PublishError::Invalid(problems));
        }
        for p in &problems {
            tracing::warn!("knowledge: {}:{}: {}", p.path, p.line, p.message);
        }
    }
    Ok(builder.build(kb, &dir.join("index"))?)
}
