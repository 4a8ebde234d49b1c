//! The conversation service: the one path of every user's message, whatever the channel
//! (the web widget, LINE, Telegram). A message is checked and stored before anything else
//! happens ([`Conversations::accept`]); then either a person owns the conversation and it
//! waits for them, or the assistant answers off the async runtime and the answer is stored,
//! with whether to offer a person and related questions ([`Conversations::reply`]). So an
//! accepted message and its answer outlive a dropped connection or a restart.
//!
//! Around that path: writing the answer (`answering.rs`), handoff (`handoff.rs`) and the
//! agents' desk (`tickets.rs`), feedback
//! (`feedback.rs`), live events to the users' open streams (`events.rs`), and the messaging
//! channels' messages, taken once and answered as durable jobs (`channels.rs`, `jobs.rs`);
//! the service's own life — its tasks, shutdown, the database's health — in `lifecycle.rs`.

mod answering;
mod channels;
mod context;
mod desk;
mod events;
mod feedback;
mod handoff;
mod jobs;
mod lifecycle;
mod tickets;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::assistant::{Assistant, Channel, QuestionError, validate};
use crate::domain::{ConversationId, MessageId};
use crate::handoff::hours::BusinessHours;
use crate::metrics::Metrics;
use crate::store::{ConversationContext, Store, StoreError, StoredMessage};

pub use crate::domain::State;
pub use answering::{Offer, Reply, unsaved_notice};
pub use channels::{Inbox, Owed, Taken};
pub use desk::{DeskEvent, DeskKind};
pub use feedback::{FeedbackError, MAX_COMMENT_CHARS, Rating};
pub use handoff::{HandoffError, HandoffReply};
pub use jobs::{Resumed, STALE_AFTER};
pub use lifecycle::Lifecycle;
pub use tickets::{
    AgentReply, CATEGORIES, Delivery, Desk, MAX_AGENT_TEXT, TicketDetail, TicketError, Undelivered,
    View,
};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who speaks in a message pushed to a channel's user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voice {
    /// An agent's reply, under the name the agent gives users (if any).
    Agent { author: Option<String> },
    /// The service: a person took the conversation, or finished with it.
    Service,
}

/// How an agent's reply, or the service's notice, reaches a user on a messaging channel:
/// the channels implement it.
pub trait Deliver: Send + Sync {
    /// Sends `text` to `user` on `channel`; an error says why it did not arrive.
    fn deliver<'a>(
        &'a self,
        channel: Channel,
        user: &'a str,
        voice: Voice,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), Undelivered>>;
}

#[derive(Clone)]
pub struct Conversations {
    /// The serving assistant: publishing a knowledge release swaps it; a question in
    /// flight keeps the one it started with.
    serving: Arc<ArcSwap<Assistant>>,
    store: Store,
    /// Answers being written and channel work; shutdown waits for them.
    tasks: TaskTracker,
    hours: Arc<BusinessHours>,
    metrics: Arc<Metrics>,
    /// The messaging channels, when any is on.
    deliver: Option<Arc<dyn Deliver>>,
    /// Messages for users' open event streams (agents' replies), by conversation.
    events: tokio::sync::broadcast::Sender<(ConversationId, StoredMessage)>,
    /// What the agent consoles hear ([`desk`]).
    desk: tokio::sync::broadcast::Sender<DeskEvent>,
    /// Cancelled when the service shuts down: open event streams and channel work end, so
    /// that the graceful shutdown does not wait for clients that never hang up.
    shutdown: CancellationToken,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{0}")]
    Invalid(#[from] QuestionError),
    #[error("unknown session")]
    UnknownSession,
    /// The database does not accept what the user sent (a full disk, an outage): nothing
    /// was kept, the user is told so with the call center's number.
    #[error("the database cannot store messages now: {error:#}")]
    Unavailable {
        error: anyhow::Error,
        phone: Option<String>,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A message that has been checked and stored, waiting for its answer.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub session_id: ConversationId,
    pub question_id: MessageId,
    /// `bot`, or `waiting`/`agent` when a person owns the conversation: then the bot stays
    /// silent and the message is for the agent.
    pub state: State,
    text: String,
    channel: Channel,
    /// What answering reads of the conversation, when it was read with the message.
    context: Option<ConversationContext>,
}

impl Accepted {
    /// Whether a person owns the conversation, so the bot must not answer.
    pub fn for_agent(&self) -> bool {
        self.state.person_owns()
    }
}

impl Conversations {
    pub fn new(
        serving: Arc<ArcSwap<Assistant>>,
        store: Store,
        hours: BusinessHours,
        deliver: Option<Arc<dyn Deliver>>,
    ) -> Self {
        Conversations {
            serving,
            store,
            tasks: TaskTracker::new(),
            hours: Arc::new(hours),
            metrics: Arc::new(Metrics::default()),
            deliver,
            events: tokio::sync::broadcast::channel(1024).0,
            desk: tokio::sync::broadcast::channel(1024).0,
            shutdown: CancellationToken::new(),
        }
    }

    /// The assistant of the serving release.
    pub fn assistant(&self) -> Arc<Assistant> {
        self.serving.load_full()
    }

    /// The call center's number, from the serving knowledge base's contact FAQ.
    pub fn phone(&self) -> Option<String> {
        crate::handoff::call_center_phone(self.serving.load().knowledge())
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// A failed database call as the user meets it: [`ChatError::Unavailable`] when it is
    /// the database's (a full disk, an outage), else internal.
    fn unavailable(&self, error: StoreError) -> ChatError {
        match error {
            StoreError::Unavailable(error) => ChatError::Unavailable {
                error,
                phone: self.phone(),
            },
            error => ChatError::Internal(error.into()),
        }
    }

    /// Checks the message, opens a conversation when `session` is `None`, and stores the
    /// message (any 12-digit number removed first: a My Number is never stored).
    pub async fn accept(
        &self,
        session: Option<&ConversationId>,
        channel: Channel,
        text: &str,
    ) -> Result<Accepted, ChatError> {
        let question = validate(text)?;
        // What answering will read of an existing conversation is read with the query
        // that finds it.
        let (session_id, context) = match session {
            Some(id) => {
                let context = self
                    .store
                    .conversation_context(id)
                    .await
                    .map_err(|e| self.unavailable(e))?
                    .ok_or(ChatError::UnknownSession)?;
                (id.clone(), context)
            }
            None => {
                let id = self
                    .store
                    .create_conversation(channel)
                    .await
                    .map_err(|e| self.unavailable(e))?;
                let context = ConversationContext {
                    ..Default::default()
                };
                (id, context)
            }
        };
        let question_id = self
            .store
            .add_user_message(&session_id, &question)
            .await
            .map_err(|e| self.unavailable(e))?;
        self.accepted(session_id, question_id, channel, text, Some(context))
            .await
    }

    /// A stored message, with its conversation's state (from `context`, or read now); the
    /// agents' consoles hear of it when a person owns the conversation.
    pub(super) async fn accepted(
        &self,
        session_id: ConversationId,
        question_id: MessageId,
        channel: Channel,
        text: &str,
        context: Option<ConversationContext>,
    ) -> Result<Accepted, ChatError> {
        let state = match &context {
            Some(context) => context.state,
            None => self.state(&session_id).await?.unwrap_or(State::Bot),
        };
        if state.person_owns() {
            self.desk_message(&session_id).await;
        }
        Ok(Accepted {
            session_id,
            question_id,
            state,
            text: text.to_string(),
            channel,
            context,
        })
    }

    /// The conversation's state, or `None` if there is no such conversation.
    pub async fn state(&self, session: &ConversationId) -> anyhow::Result<Option<State>> {
        Ok(self.store.conversation_state(session).await?)
    }

    /// The transcript and the state, or `None` if there is no such conversation.
    pub async fn transcript(
        &self,
        session: &ConversationId,
    ) -> anyhow::Result<Option<(State, Vec<StoredMessage>)>> {
        let Some(state) = self.state(session).await? else {
            return Ok(None);
        };
        Ok(Some((state, self.store.messages(session).await?)))
    }

    /// Whether a conversation exists.
    pub async fn exists(&self, session: &ConversationId) -> Result<bool, StoreError> {
        self.store.conversation_exists(session).await
    }

    /// The conversation `session` names (`None` if there is none), or a new one.
    async fn conversation(
        &self,
        session: Option<&ConversationId>,
        channel: Channel,
    ) -> Result<Option<ConversationId>, StoreError> {
        match session {
            Some(id) => Ok(self.exists(id).await?.then(|| id.clone())),
            None => Ok(Some(self.store.create_conversation(channel).await?)),
        }
    }
}
