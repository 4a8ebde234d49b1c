//! What a question is: its text, the day it is asked and where it comes from; what is
//! accepted, and the markup removed before its words are read.

use crate::copy::{self, Key};
use crate::domain::Language;
use crate::text::{TextError, UserText};
use chrono::NaiveDate;

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 2000;

/// One question with its context: only made from a text that passed [`validate`], so the
/// assistant answers it without checking it again.
#[derive(Debug, Clone)]
pub struct Question<'a> {
    pub(crate) text: &'a str,
    /// The day the question is asked (JST); deadline answers depend on it.
    pub(crate) today: NaiveDate,
    /// The conversation's previous question as it was understood: a follow-up
    /// (「診療所は？」) is read with it.
    pub(crate) previous: Option<&'a str>,
}

impl<'a> Question<'a> {
    /// A question asked on its own, if it is one the assistant accepts.
    pub fn new(text: &'a str, today: NaiveDate) -> Result<Self, QuestionError> {
        validate(text)?;
        Ok(Question::validated(text, today))
    }

    /// A message validated when the conversation service accepted it (and stored it as
    /// [`validate`] gave it): a message is checked once.
    pub(crate) fn validated(text: &'a str, today: NaiveDate) -> Self {
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

/// Why a question was not accepted; it reads as the catalog's message to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error("{}", copy::ja(Key::QuestionEmpty))]
    Empty,
    #[error("{}", copy::filled(Language::Ja, Key::QuestionTooLong, &[("chars", &chars.to_string()), ("max", &max.to_string())]))]
    TooLong { chars: usize, max: usize },
    #[error("{}", copy::ja(Key::QuestionControl))]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_is_made_only_from_a_text_the_assistant_accepts() {
        let today = NaiveDate::from_ymd_opt(2021, 3, 8).expect("date");
        assert_eq!(Question::new("  ", today).err(), Some(QuestionError::Empty));
        assert_eq!(
            Question::new("締切は\u{0}いつ", today).err(),
            Some(QuestionError::Control)
        );
        let long = "あ".repeat(MAX_QUESTION_CHARS + 1);
        assert!(matches!(
            Question::new(&long, today),
            Err(QuestionError::TooLong { .. })
        ));
        let question = Question::new("締切はいつですか", today).expect("a question");
        assert_eq!(question.text, "締切はいつですか");
        // What the user reads when it is refused: the catalog's words.
        assert_eq!(
            QuestionError::TooLong {
                chars: 2001,
                max: 2000
            }
            .to_string(),
            "質問が長すぎます（2001文字）。2000文字以内で入力してください。"
        );
    }
}
