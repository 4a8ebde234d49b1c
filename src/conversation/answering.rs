//! Writing the answer to an accepted message: off the async runtime, stored, counted in
//! the metrics, with whether to offer a person and related questions. The work runs to the
//! end even if the caller stops waiting.

use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;

use super::context::recent_question;
use super::{Accepted, ChatError, Conversations};
use crate::assistant::{Answer, Assistant, Channel, Outcome, Question, WriterKind, validate};
use crate::copy::{self, Key};
use crate::domain::{ConversationId, Language, MessageId};

/// Related questions offered after an answer on a messaging channel.
const MAX_RELATED: usize = 3;

/// Why a person is offered with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// The answer itself hands over (the user asked for a person, or about their own case).
    Handoff,
    /// The bot could not help twice in this conversation (no answer, or 👎).
    Unhelpful,
}

/// The stored answer to an accepted message, and what goes with it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub session_id: ConversationId,
    pub question_id: MessageId,
    /// The stored answer; `None` when the database could not store it (the answer's text
    /// then says so: [`unsaved_notice`]).
    pub message_id: Option<MessageId>,
    pub answer: Answer,
    /// Whether to offer a person.
    pub offer: Option<Offer>,
    /// Other questions the knowledge base answers (messaging channels offer them as buttons).
    pub related: Vec<String>,
}

impl Conversations {
    /// Answers an accepted message, stores the answer and records it in the metrics; says
    /// whether to offer a person. `on_token` sees the answer's text once it is final. The
    /// work runs to the end even if the caller stops waiting, so the answer is in the
    /// transcript for a client that reconnects.
    pub async fn reply(
        &self,
        accepted: Accepted,
        today: NaiveDate,
        on_token: impl FnMut(&str) + Send + 'static,
    ) -> Result<Reply, ChatError> {
        let started = Instant::now();
        // The same release answers and suggests related questions, even if one is
        // published meanwhile.
        let assistant = self.assistant();
        let answering = assistant.clone();
        let store = self.store.clone();
        let channel = accepted.channel;
        let question = accepted.text.clone();
        let context = match accepted.context.clone() {
            Some(context) => context,
            None => self.context(&accepted.session_id).await,
        };
        let previous = recent_question(&context);
        let phone = self.phone();
        let work = self.tasks.spawn(async move {
            let text = accepted.text.clone();
            let (mut answer, mut on_token) =
                answer_off_runtime(answering, text, today, previous, on_token).await?;
            let message_id = match store
                .add_answer(&accepted.session_id, accepted.question_id, &answer)
                .await
            {
                Ok(id) => Some(id),
                // The answer is given all the same, saying that it was not kept.
                Err(e) if e.is_unavailable() => {
                    tracing::error!("the database cannot store an answer: {e:#}");
                    let notice = unsaved_notice(phone.as_deref());
                    on_token(&notice);
                    answer.answer.push_str(&notice);
                    None
                }
                Err(e) => return Err(e.into()),
            };
            Ok::<_, anyhow::Error>((accepted, message_id, answer))
        });
        let (accepted, message_id, answer) = work
            .await
            .map_err(|e| anyhow::anyhow!("the answer task failed: {e}"))??;
        self.metrics.answer(&answer, started.elapsed());
        // This answer counts too when it could not help.
        let unhelpful =
            context.no_answers + context.downs + i64::from(answer.outcome == Outcome::NoAnswer);
        let offer = if message_id.is_none() {
            None // nothing to hand over: the notice gives the call center's number
        } else if answer.outcome == Outcome::Handoff {
            Some(Offer::Handoff)
        } else {
            (unhelpful >= 2).then_some(Offer::Unhelpful)
        };
        // Small talk gets no suggestions: retrieval on 「ありがとう」 finds nothing related.
        let related = if matches!(channel, Channel::Line | Channel::Telegram)
            && answer.writer != WriterKind::SmallTalk
        {
            assistant
                .related_questions(
                    answer.understood_as.as_deref().unwrap_or(&question),
                    &answer.citations,
                    MAX_RELATED,
                )
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(Reply {
            session_id: accepted.session_id,
            question_id: accepted.question_id,
            message_id,
            answer,
            offer,
            related,
        })
    }

    /// While the database cannot store messages ([`ChatError::Unavailable`]): the answer
    /// from the knowledge and the model in memory, kept nowhere, its text ending with
    /// [`unsaved_notice`] (also given to `on_token`). A follow-up cannot lean on the
    /// previous question, which cannot be read.
    pub async fn answer_unsaved(
        &self,
        text: &str,
        today: NaiveDate,
        on_token: impl FnMut(&str) + Send + 'static,
    ) -> Result<Answer, ChatError> {
        validate(text)?;
        let started = Instant::now();
        let (mut answer, mut on_token) =
            answer_off_runtime(self.assistant(), text.to_string(), today, None, on_token).await?;
        self.metrics.answer(&answer, started.elapsed());
        let notice = unsaved_notice(self.phone().as_deref());
        on_token(&notice);
        answer.answer.push_str(&notice);
        Ok(answer)
    }
}

/// Answers `text` on a blocking thread (retrieval and the model are CPU work); gives back
/// `on_token` for a caller that adds to the text.
async fn answer_off_runtime<F: FnMut(&str) + Send + 'static>(
    assistant: Arc<Assistant>,
    text: String,
    today: NaiveDate,
    previous: Option<String>,
    mut on_token: F,
) -> anyhow::Result<(Answer, F)> {
    tokio::task::spawn_blocking(move || {
        // Validated when the message was accepted (`accept`, `answer_unsaved`).
        let question = Question::validated(&text, today).after(previous.as_deref());
        let answer = assistant.answer_streaming(&question, &mut on_token)?;
        Ok((answer, on_token))
    })
    .await
    .map_err(|e| anyhow::anyhow!("the answer task failed: {e}"))?
}

/// Ends an answer given while the database was down: nothing of it was kept.
pub fn unsaved_notice(phone: Option<&str>) -> String {
    let notice = match phone {
        Some(phone) => copy::filled(Language::Ja, Key::UnsavedCall, &[("phone", phone)]),
        None => copy::ja(Key::UnsavedRetry).to_string(),
    };
    format!("\n{notice}")
}
