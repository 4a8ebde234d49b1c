//! Where Shikaku finds its knowledge and keeps its data: command-line flags first, then
//! `SHIKAKU_*` environment variables, then defaults relative to the working folder.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::assistant::{Assistant, ModelWriter};
use crate::knowledge::{Diagnostic, KnowledgeBase};
use crate::llm::generate::Generator;
use crate::llm::prompt::PromptTemplate;
use crate::llm::{DEFAULT_CONTEXT, DEFAULT_MODEL_FILE, Model};
use crate::search::{Analyzer, SearchIndex};

#[derive(Debug, Clone)]
pub struct Config {
    /// The knowledge base (Markdown files and `glossary.toml`).
    pub knowledge_dir: PathBuf,
    /// Built artefacts: the dictionary and the index.
    pub data_dir: PathBuf,
    /// The built lindera dictionary (default `DATA/dict`; `SHIKAKU_DICT` to share one).
    pub dict_dir: PathBuf,
    /// The GGUF model, or `None` when the model is off (`--no-model`, `SHIKAKU_MODEL=off`).
    pub model_path: Option<PathBuf>,
    /// Prompt templates (`prompts/`; `SHIKAKU_PROMPTS`).
    pub prompts_dir: PathBuf,
    /// Conversations (`DATABASE_URL`; default a SQLite file in the data folder).
    pub database_url: String,
}

/// Jobs that may wait for the model; past that, answers are composed without it.
const MODEL_QUEUE: usize = 1;

fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Config {
    /// `model`: a path from the command line; `no_model` turns the model off whatever else says.
    pub fn resolve(
        knowledge: Option<PathBuf>,
        data: Option<PathBuf>,
        model: Option<PathBuf>,
        no_model: bool,
    ) -> Config {
        let knowledge_dir = knowledge
            .or_else(|| from_env("SHIKAKU_KNOWLEDGE"))
            .unwrap_or_else(|| PathBuf::from("knowledge"));
        let data_dir = data
            .or_else(|| from_env("SHIKAKU_DATA"))
            .unwrap_or_else(|| PathBuf::from("data"));
        let dict_dir = from_env("SHIKAKU_DICT").unwrap_or_else(|| data_dir.join("dict"));
        let model_path = match (no_model, model.or_else(|| from_env("SHIKAKU_MODEL"))) {
            (true, _) => None,
            (false, Some(p)) if p.as_os_str() == "off" => None,
            (false, Some(p)) => Some(p),
            (false, None) => Some(PathBuf::from(DEFAULT_MODEL_FILE)),
        };
        let prompts_dir = from_env("SHIKAKU_PROMPTS").unwrap_or_else(|| PathBuf::from("prompts"));
        let database_url = std::env::var("DATABASE_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("shikaku.db").display()));
        Config {
            knowledge_dir,
            data_dir,
            dict_dir,
            model_path,
            prompts_dir,
            database_url,
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
        let assistant = Assistant::new(Arc::new(kb), index);
        Ok(match self.model_writer() {
            Ok(Some(writer)) => assistant.with_model(writer),
            Ok(None) => assistant,
            Err(e) => {
                tracing::warn!("the model is unavailable, answering without it: {e:#}");
                assistant
            }
        })
    }

    /// The model and its prompt, when the model is on; an error says why it cannot be used.
    pub fn model_writer(&self) -> Result<Option<ModelWriter>> {
        let Some(path) = &self.model_path else {
            return Ok(None);
        };
        let prompt = PromptTemplate::load(&self.prompts_dir.join("answer.toml"))?;
        let model = Model::load(path, DEFAULT_CONTEXT)?;
        Ok(Some(ModelWriter::new(
            Generator::start(model, MODEL_QUEUE),
            prompt,
        )))
    }
}
