//! Health, readiness and metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::store::{Backend, StoreError};

/// `GET /healthz`: the process is alive.
#[utoipa::path(get, path = "/healthz", summary = "The process is alive",
    responses((status = 200, description = "ok", content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The model files the service was configured with: `/readyz` says when one failed to load.
#[derive(Debug, Clone, Default)]
pub struct ConfiguredModels {
    pub generator: Option<std::path::PathBuf>,
    pub embedder: Option<std::path::PathBuf>,
    pub judge: Option<std::path::PathBuf>,
}

/// How long `/readyz` reuses a database probe: the probe writes, and a monitor (or
/// anyone) calling it in a loop must not make the database write on every call.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// What a database probe found: shared by the callers that reuse it.
type Probe = Result<(), Arc<StoreError>>;

/// The last database probe: when, and what it found.
#[derive(Default)]
pub struct ProbeCache(tokio::sync::Mutex<Option<(Instant, Probe)>>);

impl ProbeCache {
    /// The database's state, probed at most every [`PROBE_EVERY`]: callers in between wait
    /// for the probe under way, or get the last one.
    async fn database(&self, state: &AppState) -> Probe {
        let mut last = self.0.lock().await;
        if let Some((at, result)) = last.as_ref()
            && at.elapsed() < PROBE_EVERY
        {
            return result.clone();
        }
        let result = state
            .conversations()
            .lifecycle()
            .database_ready()
            .await
            .map_err(Arc::new);
        *last = Some((Instant::now(), result.clone()));
        result
    }
}

/// What `/readyz` reports. Anyone gets `ready`; the rest (file names, API addresses, the
/// database's error) only a signed-in admin or a monitor with the metrics token.
#[derive(Serialize, ToSchema, Default)]
pub struct Readiness {
    /// The index has passages and the database answers.
    ready: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<IndexStatus>,
    /// `ok`, or `error: …`.
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_backend: Option<Backend>,
    /// The language model that writes drafts.
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<ModelStatus>,
    /// The embedding model that retrieves by meaning.
    #[serde(skip_serializing_if = "Option::is_none")]
    embedder: Option<ModelStatus>,
    /// The answerability judge that decides whether a passage answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    judge: Option<ModelStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    knowledge: Option<KnowledgeStatus>,
    /// One line per messaging channel: on (how) or off (what to set).
    #[serde(skip_serializing_if = "Option::is_none")]
    channels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct IndexStatus {
    passages: u64,
}

#[derive(Serialize, ToSchema)]
pub struct KnowledgeStatus {
    /// The knowledge release being served.
    release: i64,
}

/// Whether a model is in use.
#[derive(Serialize, ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModelStatus {
    Loaded {
        name: String,
    },
    /// Configured, but it failed to load (the log says why).
    Unavailable {
        path: String,
    },
    Off,
}

impl ModelStatus {
    fn of(loaded: Option<&str>, configured: Option<&std::path::Path>) -> ModelStatus {
        match (loaded, configured) {
            (Some(name), _) => ModelStatus::Loaded {
                name: name.to_string(),
            },
            (None, Some(path)) => ModelStatus::Unavailable {
                path: path.display().to_string(),
            },
            (None, None) => ModelStatus::Off,
        }
    }
}

/// Whether the caller may see the service's details: a monitor with the metrics token
/// (`Authorization: Bearer …`), or a signed-in admin.
async fn may_see_details(state: &AppState, headers: &HeaderMap) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let (Some(given), Some(token)) = (bearer, &state.settings.metrics_token)
        && token.matches(given.trim().as_bytes())
    {
        return true;
    }
    let Some(session) = crate::http::auth::cookie_token(headers) else {
        return false;
    };
    matches!(
        state.accounts().session(&session).await,
        Ok(Some(user)) if user.role == crate::auth::Role::Admin
    )
}

/// `GET /readyz`: the index is loaded and the database answers (503 otherwise). A
/// signed-in admin or a monitor with the metrics token also sees which models are in use
/// (or failed to load), the database's state, the knowledge release and the channels.
#[utoipa::path(get, path = "/readyz", summary = "Index loaded, database reachable (details for admins and monitors)",
    description = "`{\"ready\"}` for anyone; the details with `Authorization: Bearer` and the metrics token (`SHIKAKU_METRICS_TOKEN`), or signed in as an admin. The database is probed at most every 2 s.",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready", body = Readiness),
    ))]
pub async fn readyz(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let conversations = state.conversations();
    let assistant = conversations.assistant();
    let passages = assistant.index().num_passages();
    let database = state.readiness.database(&state).await;
    let ready = passages > 0 && database.is_ok();
    let body = if may_see_details(&state, &headers).await {
        Readiness {
            ready,
            index: Some(IndexStatus { passages }),
            database: Some(match &database {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("error: {e}"),
            }),
            database_backend: Some(conversations.lifecycle().database_backend()),
            model: Some(ModelStatus::of(
                assistant.model_name(),
                state.models.generator.as_deref(),
            )),
            embedder: Some(ModelStatus::of(
                assistant.embedder_name(),
                state.models.embedder.as_deref(),
            )),
            judge: Some(ModelStatus::of(
                assistant.judge_file(),
                state.models.judge.as_deref(),
            )),
            knowledge: Some(KnowledgeStatus {
                release: state.publisher().serving_release(),
            }),
            channels: Some(state.channels().status()),
            version: Some(env!("CARGO_PKG_VERSION")),
        }
    } else {
        Readiness {
            ready,
            ..Readiness::default()
        }
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text, for a monitor with the metrics token or a signed-in
/// admin.
#[utoipa::path(get, path = "/metrics", summary = "Prometheus metrics (the metrics token, or an admin)",
    description = "`Authorization: Bearer` and the metrics token (`SHIKAKU_METRICS_TOKEN`), or signed in as an admin.",
    responses(
        (status = 200, description = "Text exposition format 0.0.4", content_type = "text/plain"),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
    ))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !may_see_details(&state, &headers).await {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "メトリクスはモニタリング用のトークンか、管理者のサインインで見られます。",
        )
        .into_response();
    }
    let conversations = state.conversations();
    let assistant = conversations.assistant();
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        conversations
            .metrics()
            .render(&assistant.draft_stats(), assistant.model_name()),
    )
        .into_response()
}
