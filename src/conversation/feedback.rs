//! 👍/👎 on an answer, with an optional comment; a second 👎 offers a person. The same
//! on the notice that a person resolved the ticket rates their help.

use super::Conversations;
use crate::domain::{ConversationId, MessageId};
use crate::store::{Rated, StoreError};
use crate::text::{TextError, UserText};

/// Longest feedback comment accepted.
pub const MAX_COMMENT_CHARS: usize = 1000;

pub use crate::domain::Rating;

#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("comment of {0} characters, over {MAX_COMMENT_CHARS}")]
    CommentTooLong(usize),
    /// A control character (NUL…) in the comment.
    #[error("a control character in the comment")]
    CommentControl,
    /// No answer `message_id` in conversation `session`.
    #[error("no answer {message_id} in session {session}")]
    NoSuchAnswer {
        message_id: MessageId,
        session: ConversationId,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Conversations {
    /// Records the rating of an answer or of a person's help (giving it again replaces
    /// it). `Ok(true)`: offer a person (the bot could not help twice in this conversation).
    pub async fn feedback(
        &self,
        session: &ConversationId,
        message_id: MessageId,
        rating: Rating,
        comment: Option<&str>,
    ) -> Result<bool, FeedbackError> {
        let comment = UserText::optional(comment, MAX_COMMENT_CHARS).map_err(|e| match e {
            TextError::TooLong { chars, .. } => FeedbackError::CommentTooLong(chars),
            TextError::Control | TextError::Blank => FeedbackError::CommentControl,
        })?;
        let no_such_answer = || FeedbackError::NoSuchAnswer {
            message_id,
            session: session.clone(),
        };
        let rated = self
            .store
            .set_feedback(session, message_id, rating, comment.as_ref())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => no_such_answer(),
                e => FeedbackError::Internal(e.into()),
            })?;
        if rated == Rated::Help {
            self.metrics.help_rating(rating.as_str());
            return Ok(false);
        }
        self.metrics.feedback(rating.as_str());
        Ok(rating == Rating::Down && self.unhelpful_twice(session).await)
    }
}
