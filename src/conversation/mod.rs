//! The conversation service: what every channel (the web widget, LINE, Telegram) calls
//! with a user's message. It checks the message, stores it before anything else happens,
//! asks the assistant off the async runtime, and stores the answer — so an accepted
//! message and its answer outlive a dropped connection or a restart.

use std::sync::Arc;

use arc_swap::ArcSwap;

use chrono::NaiveDate;
use tokio_util::task::TaskTracker;

use crate::assistant::{Answer, Assistant, Channel, Question, QuestionError, privacy, validate};
use crate::handoff::hours::BusinessHours;
use crate::handoff::{self, Details, FieldError};
use crate::store::{Store, StoredMessage};
use crate::text::normalize;

/// What is stored of a user's message: as typed, unless a 12-digit number had to be
/// removed (found in the normalised text, where full-width digits are digits).
fn stored_text(text: &str) -> String {
    let redacted = privacy::redact(&normalize(text));
    if redacted.removed {
        redacted.text
    } else {
        text.to_string()
    }
}

#[derive(Clone)]
pub struct Conversations {
    /// The serving assistant: publishing a knowledge release swaps it; a question in
    /// flight keeps the one it started with.
    serving: Arc<ArcSwap<Assistant>>,
    pub store: Store,
    /// Answers being written; shutdown waits for them.
    pub tasks: TaskTracker,
    pub hours: Arc<BusinessHours>,
    /// Messages for users' open event streams (agents' replies), by conversation.
    pub events: tokio::sync::broadcast::Sender<(String, StoredMessage)>,
    /// Cancelled when the service shuts down: open event streams end, so that the
    /// graceful shutdown does not wait for clients that never hang up.
    pub shutdown: tokio_util::sync::CancellationToken,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{0}")]
    Invalid(#[from] QuestionError),
    #[error("unknown session")]
    UnknownSession,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A message that has been checked and stored, waiting for its answer.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub session_id: String,
    pub question_id: i64,
    /// `bot`, or `waiting`/`agent` when a person owns the conversation: then the bot stays
    /// silent and the message is for the agent.
    pub state: String,
    text: String,
    channel: Channel,
}

/// The stored answer to an accepted message.
#[derive(Debug, Clone)]
pub struct Reply {
    pub session_id: String,
    pub question_id: i64,
    pub message_id: i64,
    pub answer: Answer,
}

#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("invalid details")]
    Invalid(Vec<FieldError>),
    #[error("unknown session")]
    UnknownSession,
    #[error("ticket {0} is already open")]
    AlreadyOpen(i64),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A ticket that was created and confirmed to the user.
#[derive(Debug, Clone)]
pub struct HandoffReply {
    pub session_id: String,
    pub ticket_id: i64,
    pub message_id: i64,
    /// What the user is told (business hours and the phone number).
    pub message: String,
}

impl Accepted {
    /// The message as the user typed it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether a person owns the conversation, so the bot must not answer.
    pub fn for_agent(&self) -> bool {
        self.state == "waiting" || self.state == "agent"
    }
}

impl Conversations {
    /// The assistant of the serving release.
    pub fn assistant(&self) -> Arc<Assistant> {
        self.serving.load_full()
    }

    /// The call center's number, from the serving knowledge base's contact FAQ.
    pub fn phone(&self) -> Option<String> {
        handoff::call_center_phone(self.serving.load().knowledge())
    }

    pub fn new(serving: Arc<ArcSwap<Assistant>>, store: Store) -> Self {
        Conversations {
            serving,
            store,
            tasks: TaskTracker::new(),
            hours: Arc::new(BusinessHours::default()),
            events: tokio::sync::broadcast::channel(1024).0,
            shutdown: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// Checks the message, opens a conversation when `session` is `None`, and stores the
    /// message (any 12-digit number removed first: a My Number is never stored).
    pub async fn accept(
        &self,
        session: Option<&str>,
        channel: Channel,
        text: &str,
    ) -> Result<Accepted, ChatError> {
        validate(text)?;
        let session_id = self
            .conversation(session, channel)
            .await?
            .ok_or(ChatError::UnknownSession)?;
        let question_id = self
            .store
            .add_user_message(&session_id, &stored_text(text))
            .await?;
        self.accepted(session_id, question_id, channel, text).await
    }

    /// A message that came in a channel's event (`event_id`: LINE's webhookEventId,
    /// Telegram's update_id): stored together with the event's id, so `None` for an
    /// event taken before. An invalid message is recorded too, so that it is refused once.
    pub async fn accept_event(
        &self,
        conversation: &str,
        channel: Channel,
        event_id: &str,
        text: &str,
    ) -> Result<Option<Accepted>, ChatError> {
        if let Err(e) = validate(text) {
            return if self
                .store
                .first_delivery(channel.as_str(), event_id)
                .await?
            {
                Err(e.into())
            } else {
                Ok(None)
            };
        }
        let Some(question_id) = self
            .store
            .add_user_message_once(conversation, &stored_text(text), channel.as_str(), event_id)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(
            self.accepted(conversation.to_string(), question_id, channel, text)
                .await?,
        ))
    }

    async fn accepted(
        &self,
        session_id: String,
        question_id: i64,
        channel: Channel,
        text: &str,
    ) -> Result<Accepted, ChatError> {
        let state = self
            .store
            .conversation_state(&session_id)
            .await?
            .unwrap_or_else(|| "bot".into());
        Ok(Accepted {
            session_id,
            question_id,
            state,
            text: text.to_string(),
            channel,
        })
    }

    /// The conversation `session` names (`None` if there is none), or a new one.
    async fn conversation(
        &self,
        session: Option<&str>,
        channel: Channel,
    ) -> anyhow::Result<Option<String>> {
        match session {
            Some(id) => Ok(self
                .store
                .conversation_exists(id)
                .await?
                .then(|| id.to_string())),
            None => Ok(Some(
                self.store.create_conversation(channel.as_str()).await?,
            )),
        }
    }

    /// Sends a stored message to the user's open event streams: on SQLite (one instance)
    /// directly; on PostgreSQL through NOTIFY, so that the instance the user is connected to
    /// gets it, whichever took the reply ([`Conversations::relay_notifications`]).
    pub async fn publish(&self, conversation: &str, message: &StoredMessage) {
        match self.store.backend {
            crate::store::Backend::Sqlite => {
                let _ = self
                    .events
                    .send((conversation.to_string(), message.clone()));
            }
            crate::store::Backend::Postgres => {
                if let Err(e) = self.store.notify_message(message.id).await {
                    // Still reaches users on this instance; others see it on their next load.
                    tracing::warn!("NOTIFY failed: {e:#}");
                    let _ = self
                        .events
                        .send((conversation.to_string(), message.clone()));
                }
            }
        }
    }

    /// On PostgreSQL: LISTENs for messages written on any instance and hands them to this
    /// instance's event streams, until shutdown.
    pub async fn relay_notifications(&self) {
        if self.store.backend != crate::store::Backend::Postgres {
            return;
        }
        let mut listener = loop {
            match self.store.listen_messages().await {
                Ok(l) => break l,
                Err(e) => {
                    tracing::warn!("LISTEN failed, retrying: {e:#}");
                    tokio::select! {
                        _ = self.shutdown.cancelled() => return,
                        _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                    }
                }
            }
        };
        loop {
            let notification = tokio::select! {
                _ = self.shutdown.cancelled() => return,
                n = listener.recv() => n,
            };
            match notification {
                Ok(n) => {
                    let Ok(id) = n.payload().parse::<i64>() else {
                        continue;
                    };
                    match self.store.message(id).await {
                        Ok(Some((conversation, message))) => {
                            let _ = self.events.send((conversation, message));
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!("loading notified message {id}: {e:#}"),
                    }
                }
                Err(e) => {
                    tracing::warn!("LISTEN connection: {e:#}");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }

    pub fn with_hours(mut self, hours: BusinessHours) -> Self {
        self.hours = Arc::new(hours);
        self
    }

    /// Hands the conversation (a new one when `session` is `None`) to the call center: a
    /// ticket with the details the user chose to give, the transcript and the bot's sources.
    /// Once this returns `Ok`, the ticket is committed.
    pub async fn handoff(
        &self,
        session: Option<&str>,
        channel: Channel,
        reason: &str,
        details: &Details,
    ) -> Result<HandoffReply, HandoffError> {
        let details = details.checked().map_err(HandoffError::Invalid)?;
        let session_id = self
            .conversation(session, channel)
            .await?
            .ok_or(HandoffError::UnknownSession)?;
        let message = handoff::confirmation(
            &self.hours,
            handoff::now_in_japan(),
            self.phone().as_deref(),
        );
        match self
            .store
            .create_ticket(&session_id, reason, channel.as_str(), &details, &message)
            .await?
        {
            Ok(created) => {
                tracing::info!(ticket = created.ticket, reason, "handoff: ticket opened");
                Ok(HandoffReply {
                    session_id,
                    ticket_id: created.ticket,
                    message_id: created.message,
                    message,
                })
            }
            Err(open) => Err(HandoffError::AlreadyOpen(open)),
        }
    }

    /// Whether to offer a person: after the bot could not help twice in a conversation
    /// (no answer, or 👎).
    pub async fn should_offer_handoff(&self, session: &str) -> anyhow::Result<bool> {
        let (no_answers, downs) = self.store.unhelpful_counts(session).await?;
        Ok(no_answers + downs >= 2)
    }

    /// Answers an accepted message and stores the answer. `on_token` sees the model's
    /// draft as it is written. The work runs to the end even if the caller stops waiting,
    /// so the answer is in the transcript for a client that reconnects.
    pub async fn answer(
        &self,
        accepted: Accepted,
        today: NaiveDate,
        mut on_token: impl FnMut(&str) + Send + 'static,
    ) -> Result<Reply, ChatError> {
        let assistant = self.assistant();
        let store = self.store.clone();
        let work = self.tasks.spawn(async move {
            let text = accepted.text.clone();
            let channel = accepted.channel;
            let answer = tokio::task::spawn_blocking(move || {
                assistant.answer_streaming(
                    &Question {
                        text: &text,
                        today,
                        channel,
                    },
                    &mut on_token,
                )
            })
            .await
            .map_err(|e| anyhow::anyhow!("the answer task failed: {e}"))??;
            let message_id = store
                .add_answer(&accepted.session_id, accepted.question_id, &answer)
                .await?;
            Ok::<_, anyhow::Error>(Reply {
                session_id: accepted.session_id,
                question_id: accepted.question_id,
                message_id,
                answer,
            })
        });
        Ok(work
            .await
            .map_err(|e| anyhow::anyhow!("the answer task failed: {e}"))??)
    }
}
