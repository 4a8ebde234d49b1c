//! What answering a message reads of its conversation: the previous question a follow-up
//! leans on, and how often the bot could not help (two times offer a person). Read with
//! the message when it is accepted ([`crate::store::Store::conversation_context`]), or here.

use super::Conversations;
use crate::domain::ConversationId;
use crate::store::ConversationContext;

/// How long after an answer a message may still lean on its question (「診療所は？」).
const FOLLOW_UP_WITHIN: chrono::TimeDelta = chrono::TimeDelta::minutes(30);

impl Conversations {
    /// What answering reads of a conversation; a failed read leans on nothing and counts
    /// nothing.
    pub(super) async fn context(&self, session: &ConversationId) -> ConversationContext {
        match self.store.conversation_context(session).await {
            Ok(found) => found.unwrap_or_default(),
            Err(e) => {
                tracing::warn!("reading the conversation before answering: {e:#}");
                ConversationContext::default()
            }
        }
    }

    /// Whether the bot could not help twice in this conversation (no answer, or 👎); a
    /// failed count offers nothing.
    pub(super) async fn unhelpful_twice(&self, session: &ConversationId) -> bool {
        let context = self.context(session).await;
        context.no_answers + context.downs >= 2
    }
}

/// The conversation's previous question, as understood, if it was answered within
/// [`FOLLOW_UP_WITHIN`]: a follow-up leans on it.
pub(super) fn recent_question(context: &ConversationContext) -> Option<String> {
    let (question, at) = context.previous.clone()?;
    let at = chrono::DateTime::parse_from_rfc3339(&at).ok()?;
    let age = chrono::Utc::now().signed_duration_since(at);
    (age <= FOLLOW_UP_WITHIN).then_some(question)
}
