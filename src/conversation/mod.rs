//! The conversation service: what every channel (the web widget now; LINE and Telegram
//! later) calls with a user's message. It checks the message, stores it before anything
//! else happens, asks the assistant off the async runtime, and stores the answer — so an
//! accepted message and its answer outlive a dropped connection or a restart.

use std::sync::Arc;

use chrono::NaiveDate;
use tokio_util::task::TaskTracker;

use crate::assistant::{Answer, Assistant, Channel, Question, QuestionError, privacy, validate};
use crate::store::Store;
use crate::text::normalize;

#[derive(Clone)]
pub struct Conversations {
    pub assistant: Arc<Assistant>,
    pub store: Store,
    /// Answers being written; shutdown waits for them.
    pub tasks: TaskTracker,
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

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Cli => "cli",
        Channel::Web => "web",
        Channel::Line => "line",
        Channel::Telegram => "telegram",
    }
}

impl Conversations {
    pub fn new(assistant: Arc<Assistant>, store: Store) -> Self {
        Conversations {
            assistant,
            store,
            tasks: TaskTracker::new(),
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
        let session_id = match session {
            Some(id) => {
                if !self.store.conversation_exists(id).await? {
                    return Err(ChatError::UnknownSession);
                }
                id.to_string()
            }
            None => {
                self.store
                    .create_conversation(channel_name(channel))
                    .await?
            }
        };
        // As typed, unless a number had to be removed (found in the normalised text, where
        // full-width digits are digits).
        let redacted = privacy::redact(&normalize(text));
        let stored = if redacted.removed {
            &redacted.text
        } else {
            text
        };
        let question_id = self.store.add_user_message(&session_id, stored).await?;
        Ok(Accepted {
            session_id,
            question_id,
            text: text.to_string(),
            channel,
        })
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
        let assistant = self.assistant.clone();
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
