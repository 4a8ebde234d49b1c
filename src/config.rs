//! Where Shikaku finds its knowledge and keeps its data: command-line flags first, then
//! `SHIKAKU_*` environment variables, then defaults relative to the working folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::assistant::Assistant;
use crate::knowledge::{Diagnostic, KnowledgeBase};
use crate::search::{Analyzer, SearchIndex};

#[derive(Debug, Clone)]
pub struct Config {
    /// The knowledge base (Markdown files and `glossary.toml`).
    pub knowledge_dir: PathBuf,
    /// Built artefacts: the dictionary and the index.
    pub data_dir: PathBuf,
    /// The built lindera dictionary (default `DATA/dict`; `SHIKAKU_DICT` to share one).
    pub dict_dir: PathBuf,
}

fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Config {
    pub fn resolve(knowledge: Option<PathBuf>, data: Option<PathBuf>) -> Config {
        let knowledge_dir = knowledge
            .or_else(|| from_env("SHIKAKU_KNOWLEDGE"))
            .unwrap_or_else(|| PathBuf::from("knowledge"));
        let data_dir = data
            .or_else(|| from_env("SHIKAKU_DATA"))
            .unwrap_or_else(|| PathBuf::from("data"));
        let dict_dir = from_env("SHIKAKU_DICT").unwrap_or_else(|| data_dir.join("dict"));
        Config {
            knowledge_dir,
            data_dir,
            dict_dir,
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Loads the knowledge base; problems in single documents are returned, not fatal.
    pub fn load_knowledge(&self) -> Result<(KnowledgeBase, Vec<Diagnostic>)> {
        if !self.knowledge_dir.is_dir() {
            bail!(
                "knowledge folder {} not found (set --knowledge or SHIKAKU_KNOWLEDGE)",
                self.knowledge_dir.display()
            );
        }
        let loaded = KnowledgeBase::load(&self.knowledge_dir)
            .with_context(|| format!("reading {}", self.knowledge_dir.display()))?;
        if loaded.kb.docs().is_empty() {
            bail!("no valid documents in {}", self.knowledge_dir.display());
        }
        Ok((loaded.kb, loaded.diagnostics))
    }

    /// The assistant on this configuration: knowledge, dictionary, and the index (built
    /// when missing or stale). Document problems are logged as warnings.
    pub fn assistant(&self) -> Result<Assistant> {
        let (kb, diagnostics) = self.load_knowledge()?;
        for d in &diagnostics {
            tracing::warn!("knowledge: {d}");
        }
        let analyzer = Analyzer::load(&self.dict_dir)?;
        let index = SearchIndex::open_or_build(&kb, &analyzer, &self.index_dir())?;
        Ok(Assistant::new(Arc::new(kb), index))
    }
}

/// Size of a folder's files, in bytes.
pub fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        folder_size(&p)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
