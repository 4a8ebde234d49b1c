//! Putting Shikaku together: the only place that makes the assistant builder (dictionary
//! and model) and the service (database, knowledge releases, channels, HTTP). The command
//! line and the service answer from assistants made by the same [`Builder`].

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::accounts::Accounts;
use crate::assistant::{Assistant, Builder, ModelWriter};
use crate::channels::Channels;
use crate::conversation::Conversations;
use crate::embedding::Embedder;
use crate::http::{self, AppState};
use crate::integrity;
use crate::judge::Judge;
use crate::llm::generate::Generator;
use crate::llm::prompt::PromptTemplate;
use crate::llm::{DEFAULT_CONTEXT, Model};
use crate::publishing::Publisher;
use crate::search::Analyzer;
use crate::settings::{ServiceSettings, Settings};
use crate::store::Store;

/// Jobs that may wait for the model; past that, answers are composed without it.
const MODEL_QUEUE: usize = 1;

/// The model and its prompt, when the model is on; an error says why it cannot be used.
pub fn model_writer(settings: &Settings) -> Result<Option<ModelWriter>> {
    let Some(path) = &settings.model_path else {
        return Ok(None);
    };
    let prompt = PromptTemplate::load(&settings.prompts_dir.join("answer.toml"))?;
    integrity::check_model_file(path)?;
    let model = Model::load(path, DEFAULT_CONTEXT)?;
    Ok(Some(ModelWriter::new(
        Generator::start(model, MODEL_QUEUE),
        prompt,
    )))
}

/// The embedding model, when it is on; an error says why it cannot be used.
pub fn embedder(settings: &Settings) -> Result<Option<Embedder>> {
    settings
        .embedder_path
        .as_deref()
        .map(|path| {
            integrity::check_model_file(path)?;
            Ok(Embedder::load(path)?.with_cache(&settings.vector_cache))
        })
        .transpose()
}

/// The answerability judge, when it is on; an error says why it cannot be used (it reads
/// the embedding model's vectors, so it needs that model, of the width it was trained on).
pub fn judge(settings: &Settings, embedder: Option<&Embedder>) -> Result<Option<Judge>> {
    let Some(dir) = &settings.judge_dir else {
        return Ok(None);
    };
    let judge = Judge::load(dir)?;
    match embedder {
        Some(e) if e.dim() == judge.dim() => Ok(Some(judge)),
        Some(e) => anyhow::bail!(
            "the judge in {} reads vectors of {} values, the embedding model makes {}",
            dir.display(),
            judge.dim(),
            e.dim()
        ),
        None => anyhow::bail!("the judge needs the embedding model, which is off"),
    }
}

/// The dictionary and, if they load, the models: what every assistant is made with.
/// A model that cannot be loaded is a warning: retrieval then goes by words alone, or
/// answers are written without the language model.
pub fn builder(settings: &Settings) -> Result<Builder> {
    let analyzer = Analyzer::load(&settings.dict_dir)?;
    let embedder = embedder(settings).unwrap_or_else(|e| {
        tracing::warn!("the embedding model is unavailable, retrieving by words alone: {e:#}");
        None
    });
    let model = model_writer(settings).unwrap_or_else(|e| {
        tracing::warn!("the model is unavailable, answering without it: {e:#}");
        None
    });
    let judge = judge(settings, embedder.as_ref()).unwrap_or_else(|e| {
        tracing::warn!("the judge is unavailable, deciding by retrieval's scores: {e:#}");
        None
    });
    Ok(Builder::new(analyzer, embedder, model).with_judge(judge))
}

/// The command line's assistant: the knowledge folder, indexed in `DATA/index` (built
/// when missing or stale). Document problems are logged as warnings.
pub fn assistant(settings: &Settings) -> Result<Assistant> {
    let (kb, diagnostics) = settings.load_knowledge()?;
    for d in &diagnostics {
        tracing::warn!("knowledge: {d}");
    }
    builder(settings)?.build(kb, &settings.index_dir())
}

/// The service, ready to serve on a listener.
pub async fn service(settings: &Settings, service: ServiceSettings) -> Result<AppState> {
    let channels = Channels::new(&service.channels)?;
    let builder = builder(settings)?;
    let store = Store::open(settings.database_url.expose()).await?;
    // The knowledge base is served from the database's newest release (the knowledge
    // folder is imported on a new installation).
    let publisher = Publisher::open(
        store.clone(),
        &settings.data_dir,
        &settings.knowledge_dir,
        builder,
    )
    .await?;
    let conversations = Conversations::new(
        publisher.serving(),
        store.clone(),
        service.hours.clone(),
        Some(Arc::new(channels.clone())),
    );
    Ok(AppState::new(
        conversations,
        Accounts::new(store),
        Arc::new(publisher),
        channels,
        service,
        http::ConfiguredModels {
            generator: settings.model_path.clone(),
            embedder: settings.embedder_path.clone(),
            judge: settings.judge_dir.clone(),
        },
    ))
}

/// `shikaku serve`: builds the service, says where it listens, and serves until SIGINT or
/// SIGTERM.
pub fn serve(settings: &Settings, service: ServiceSettings) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let addr = service.addr;
        let state = self::service(settings, service).await?;
        let listener = http::bind(addr).with_context(|| format!("listening on {addr}"))?;
        let local = listener.local_addr()?;
        for line in describe(&state) {
            println!("{line}");
        }
        println!("Shikaku is serving on http://{local}/ (demo portal page; API under /api/v1/)");
        std::io::stdout().flush()?;
        http::serve(state, listener).await
    })
}

/// What the service says at start: the model, the knowledge release, each channel.
pub fn describe(state: &AppState) -> Vec<String> {
    let mut lines = vec![
        match state.conversations().assistant().model_name() {
            Some(name) => format!("model: {name}"),
            None => "model: off (answers from the knowledge base without it)".to_string(),
        },
        match state.conversations().assistant().embedder_name() {
            Some(name) => format!("retrieval: by words and meaning ({name})"),
            None => "retrieval: by words alone (the embedding model is off)".to_string(),
        },
        format!("knowledge: release {}", state.publisher().serving_release()),
    ];
    lines.extend(state.channels().status());
    lines
}

/// The service running inside this process, on a thread and runtime of its own (the
/// tests' service); stopped, as on SIGTERM, when dropped.
pub struct Spawned {
    /// Where it listens (`http://127.0.0.1:PORT`).
    pub base: String,
    /// What it says at start ([`describe`]).
    pub startup: Vec<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts the service on `service.addr` inside this process.
pub fn spawn(settings: Settings, service: ServiceSettings) -> Result<Spawned> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready, started) = std::sync::mpsc::channel::<Result<(String, Vec<String>)>>();
    let thread = std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let _ = ready.send(Err(e.into()));
                return;
            }
        };
        runtime.block_on(async move {
            let addr = service.addr;
            let started = async {
                let state = self::service(&settings, service).await?;
                let listener = http::bind(addr)?;
                let base = format!("http://{}", listener.local_addr()?);
                anyhow::Ok((state, listener, base))
            };
            match started.await {
                Ok((state, listener, base)) => {
                    let _ = ready.send(Ok((base, describe(&state))));
                    let stop = async move {
                        let _ = stopped.await;
                    };
                    if let Err(e) = http::serve_until(state, listener, stop).await {
                        tracing::error!("the service stopped with an error: {e:#}");
                    }
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            }
        });
    });
    let (base, startup) = started
        .recv()
        .context("the service thread ended before it listened")??;
    Ok(Spawned {
        base,
        startup,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs `work` on the database, on a runtime of its own (the command line's commands).
pub fn with_store<T>(
    settings: &Settings,
    work: impl AsyncFnOnce(&Store) -> Result<T>,
) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(settings.database_url.expose()).await?;
        let result = work(&store).await;
        store.close().await;
        result
    })
}
