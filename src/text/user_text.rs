//! What a person typed, as the service may keep it. A question, a comment, an agent's
//! reply or note, a saved reply, a tag, a release note, the details of a handoff: each is
//! parsed once into a [`UserText`], and the store's writes of a person's text take nothing
//! else. So "a My Number is never kept" holds by type: a new write path that forgets to
//! remove one does not compile.

use super::privacy;

/// A person's text: trimmed, not blank, within its limit, without control characters, and
/// with every 12-digit number replaced by [`privacy::REMOVED`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserText {
    text: String,
    number_removed: bool,
}

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty, or only whitespace and invisible characters.
    #[error("the text is empty")]
    Blank,
    /// A control character (NUL, escape…): no text a person types holds one.
    #[error("the text holds a control character")]
    Control,
    /// Longer than allowed, in characters as typed (after trimming).
    #[error("{chars} characters, over {max}")]
    TooLong { chars: usize, max: usize },
}

impl UserText {
    /// `raw` trimmed and checked: blank first, then control characters, then the length
    /// of what was typed (before a number is removed), at most `max` characters.
    pub fn parse(raw: &str, max: usize) -> Result<UserText, TextError> {
        let trimmed = raw.trim();
        if super::is_blank(trimmed) {
            return Err(TextError::Blank);
        }
        if super::has_control(trimmed) {
            return Err(TextError::Control);
        }
        let chars = trimmed.chars().count();
        if chars > max {
            return Err(TextError::TooLong { chars, max });
        }
        let (text, number_removed) = privacy::scrub(trimmed);
        Ok(UserText {
            text,
            number_removed,
        })
    }

    /// [`UserText::parse`] of a text that may be left out: absent or blank is `None`.
    pub fn optional(raw: Option<&str>, max: usize) -> Result<Option<UserText>, TextError> {
        match raw {
            Some(raw) if !super::is_blank(raw) => UserText::parse(raw, max).map(Some),
            _ => Ok(None),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether a 12-digit number was removed (the user is told it was not kept).
    pub fn number_removed(&self) -> bool {
        self.number_removed
    }

    /// The text under a heading of the service's own (a handover note's 「引き継ぎメモ（…）」).
    pub fn headed(&self, heading: &str) -> UserText {
        UserText {
            text: format!("{heading}{}", self.text),
            number_removed: self.number_removed,
        }
    }
}

impl std::fmt::Display for UserText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_trimmed_and_loses_any_my_number() {
        let text = UserText::parse("  番号は 1234 5678 9012 です\n", 100).unwrap();
        assert_eq!(text.as_str(), format!("番号は {} です", privacy::REMOVED));
        assert!(text.number_removed());
        let plain = UserText::parse("締切はいつですか", 100).unwrap();
        assert_eq!(plain.as_str(), "締切はいつですか");
        assert!(!plain.number_removed());
    }

    #[test]
    fn blank_control_and_long_texts_are_refused_in_that_order() {
        assert_eq!(UserText::parse(" \u{200B}\n", 10), Err(TextError::Blank));
        assert_eq!(UserText::parse("a\u{0}b", 10), Err(TextError::Control));
        assert_eq!(
            UserText::parse("あ".repeat(11).as_str(), 10),
            Err(TextError::TooLong { chars: 11, max: 10 })
        );
        // The length is what was typed: a long number counts before it is removed.
        assert_eq!(
            UserText::parse("123456789012", 11),
            Err(TextError::TooLong { chars: 12, max: 11 })
        );
        assert!(UserText::parse("あ".repeat(10).as_str(), 10).is_ok());
    }

    #[test]
    fn a_text_left_out_is_none_and_a_heading_keeps_the_removal() {
        assert_eq!(UserText::optional(None, 10), Ok(None));
        assert_eq!(UserText::optional(Some("  "), 10), Ok(None));
        let note = UserText::parse("123456789012 の件", 40)
            .unwrap()
            .headed("引き継ぎメモ: ");
        assert_eq!(
            note.as_str(),
            format!("引き継ぎメモ: {} の件", privacy::REMOVED)
        );
        assert!(note.number_removed());
    }
}
