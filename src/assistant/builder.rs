//! The one way an assistant is made, for the command line and the service alike: a
//! knowledge base, its index in a folder (built there when missing or stale), and the
//! loaded model shared by every assistant made here (one model, one queue, one set of
//! draft counts across knowledge releases).

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

use super::{Assistant, DraftStats, ModelWriter};
use crate::embedding::Embedder;
use crate::judge::Judge;
use crate::knowledge::KnowledgeBase;
use crate::search::{Analyzer, SearchIndex};

#[derive(Clone)]
pub struct Builder {
    analyzer: Analyzer,
    embedder: Option<Arc<Embedder>>,
    model: Option<Arc<ModelWriter>>,
    judge: Option<Arc<Judge>>,
    drafts: Arc<Mutex<DraftStats>>,
}

impl Builder {
    pub fn new(
        analyzer: Analyzer,
        embedder: Option<Embedder>,
        model: Option<ModelWriter>,
    ) -> Builder {
        Builder {
            analyzer,
            embedder: embedder.map(Arc::new),
            model: model.map(Arc::new),
            judge: None,
            drafts: Arc::default(),
        }
    }

    /// Assistants made from now on decide with this judge whether a passage answers.
    pub fn with_judge(mut self, judge: Option<Judge>) -> Builder {
        self.judge = judge.map(Arc::new);
        self
    }

    /// The assistant of `kb`, indexed in `index_dir`.
    pub fn build(&self, kb: KnowledgeBase, index_dir: &Path) -> Result<Assistant> {
        let index =
            SearchIndex::open_or_build(&kb, &self.analyzer, self.embedder.as_ref(), index_dir)
                .with_context(|| format!("building the index in {}", index_dir.display()))?;
        let mut assistant = Assistant::new(Arc::new(kb), index).judged_by(self.judge.clone());
        assistant.model = self.model.clone();
        assistant.drafts = self.drafts.clone();
        Ok(assistant)
    }

    /// The embedding model, if it is on.
    pub fn embedder(&self) -> Option<&Arc<Embedder>> {
        self.embedder.as_ref()
    }

    /// The dictionary's analyzer.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The loaded model's name, if a model is on.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_ref().map(|m| m.model_name())
    }
}
