//! What a question is: its text, the day it is asked and where it comes from; what is
//! accepted, and the markup removed before its words are read.

use crate::text::{TextError, UserText};
use chrono::NaiveDate;

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 2000;

/// One question with its context.
#[derive(Debug, Clone)]
pub struct Question<'a> {
    pub text: &'a str,
    /// The day the question is asked (JST); deadline answers depend on it.
    pub today: NaiveDate,
    /// The conversation's previous question as it was understood: a follow-up
    /// (「診療所は？」) is read with it.
    pub previous: Option<&'a str>,
}

impl<'a> Question<'a> {
    /// A question asked on its own.
    pub fn new(text: &'a str, today: NaiveDate) -> Self {
        Question {
            text,
            today,
            previous: None,
        }
    }

    /// The same question asked after `previous` in a conversation.
    pub fn after(self, previous: Option<&'a str>) -> Self {
        Question { previous, ..self }
    }
}

/// Why a question was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error("質問が空です。ご質問を入力してください。")]
    Empty,
    #[error("質問が長すぎます（{chars}文字）。{max}文字以内で入力してください。")]
    TooLong { chars: usize, max: usize },
    #[error("質問に使えない制御文字が含まれています。文字だけで入力してください。")]
    Control,
}

/// Checks a question before it is answered: the question as it may be stored.
pub fn validate(text: &str) -> Result<UserText, QuestionError> {
    UserText::parse(text, MAX_QUESTION_CHARS).map_err(|e| match e {
        TextError::Blank => QuestionError::Empty,
        TextError::Control => QuestionError::Control,
        TextError::TooLong { chars, max } => QuestionError::TooLong { chars, max },
    })
}

static MARKUP: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"</?[a-zA-Z][^<>]{0,200}>").expect("regex"));

/// Questions are plain text: markup tags are dropped before the words are read (nothing
/// a user sends is ever rendered as HTML).
pub(super) fn without_markup(text: &str) -> String {
    MARKUP.replace_all(text, " ").into_owned()
}
