//! `shikaku kb check|import|export` and `shikaku index build`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::knowledge::Kind;
use crate::publishing;
use crate::search::index::fingerprint;
use crate::search::passage::passages;
use crate::search::{Analyzer, SearchIndex};
use crate::settings::Settings;
use crate::startup::{self, with_store};
use crate::store::knowledge::Import;

/// Who the command line acts as in the audit log.
fn cli_user() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

pub fn check(settings: &Settings) -> Result<ExitCode> {
    let (kb, diagnostics) = settings.load_knowledge()?;
    for d in &diagnostics {
        println!("{d}");
    }
    let faqs = kb.docs().iter().filter(|d| d.kind == Kind::Faq).count();
    println!(
        "{} 件の文書を読み込みました（うち FAQ {faqs} 件）。問題は {} 件です。",
        kb.docs().len(),
        diagnostics.len()
    );
    Ok(if diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn build_index(settings: &Settings) -> Result<ExitCode> {
    let (kb, diagnostics) = settings.load_knowledge()?;
    for d in &diagnostics {
        tracing::warn!("knowledge: {d}");
    }
    let analyzer = Analyzer::load(&settings.dict_dir)?;
    let embedder = startup::embedder(settings)?.map(std::sync::Arc::new);
    let start = std::time::Instant::now();
    let index = SearchIndex::build(
        &passages(&kb),
        &analyzer,
        embedder.as_ref(),
        &settings.index_dir(),
        &fingerprint(&kb),
    )?;
    let vectors = if index.has_vectors() {
        "with meaning vectors"
    } else {
        "words only (the embedding model is off)"
    };
    println!(
        "indexed {} passages in {}, {vectors}, in {:.1} s",
        index.num_passages(),
        settings.index_dir().display(),
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn import(settings: &Settings, folder: &Path, publish: bool, note: &str) -> Result<ExitCode> {
    if folder.is_file() {
        return import_file(settings, folder, publish);
    }
    let files = publishing::read_folder(folder)?;
    let (_, problems) = publishing::load(&files);
    for p in &problems {
        println!("{}:{}: {}", p.path, p.line, p.message);
    }
    if publish && !problems.is_empty() {
        eprintln!(
            "error: not published: {} problem(s); nothing was changed",
            problems.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    let user = cli_user();
    with_store(settings, async |store| {
        let detail = format!("{} files from {}", files.len(), folder.display());
        if publish {
            let release = publishing::publish_files(store, &files, &user, note).await?;
            println!("{detail}: published as release {}", release.id);
        } else {
            store
                .import_drafts(&files, &user, &detail, Import::Instead)
                .await?;
            println!(
                "{detail}: imported as drafts ({} problem(s)); publish them in the editor console or with --publish",
                problems.len()
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn import_file(settings: &Settings, file: &Path, publish: bool) -> Result<ExitCode> {
    if publish {
        eprintln!(
            "error: documents proposed from a file need review first: import without --publish, check them in the editor console (/admin), then publish"
        );
        return Ok(ExitCode::from(2));
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let files = publishing::propose_import(&name, &bytes)?;
    let user = cli_user();
    with_store(settings, async |store| {
        store
            .import_drafts(
                &files,
                &user,
                &format!("proposed from {name}"),
                Import::Beside,
            )
            .await?;
        for f in &files {
            println!("{}", f.path);
        }
        println!(
            "{} drafts proposed from {name}; each needs review (remove `needs_review`) before it can be published",
            files.len()
        );
        Ok(ExitCode::SUCCESS)
    })
}

pub fn export(settings: &Settings, folder: &Path, drafts: bool) -> Result<ExitCode> {
    with_store(settings, async |store| {
        let (files, what) = if drafts {
            (store.drafts().await?, "drafts".to_string())
        } else {
            let Some(release) = store.latest_release().await? else {
                anyhow::bail!(
                    "nothing is published yet (the first `shikaku serve` imports the knowledge folder)"
                );
            };
            (
                store.release_files(release.id).await?,
                format!("release {}", release.id),
            )
        };
        publishing::mirror_folder(folder, &files)?;
        println!(
            "{} files of {what} written to {}",
            files.len(),
            folder.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}
