//! Japanese text handling shared by indexing, the rules, the verifier and grading.
//!
//! Users type full-width digits, half-width katakana and hiragana where the sources use
//! kanji; everything that compares text goes through these functions so that both sides
//! are folded the same way. The submodules hold what more than one part of Shikaku reads
//! or writes the same way: Japan's clock, dates, phone numbers and e-mail addresses, CSV.

pub mod clock;
pub mod contacts;
pub mod csv;
pub mod dates;
pub mod facts;
pub mod privacy;
pub mod user_text;

pub use user_text::{TextError, UserText};

use askama::filters::Escaper;
use unicode_normalization::UnicodeNormalization;

/// NFKC and ASCII lowercase: `０８００` → `0800`, `ｶｰﾄﾞ` → `カード`, `Hi-CARA` → `hi-cara`.
pub fn normalize(text: &str) -> String {
    text.nfkc().collect::<String>().to_lowercase()
}

/// Characters that show nothing: NUL, the soft hyphen, zero-width spaces, joiners and
/// marks, direction controls, fillers, variation selectors, the BOM (Unicode's format
/// characters of the Basic Multilingual Plane, and the blanks that look like nothing).
/// [`MESSAGE_PATTERN`] lists the same.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\0' | '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Whether a text shows nothing: empty, or only whitespace and [`is_invisible`]
/// characters. Every free text a person sends is refused (or left out) when blank.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// A control character that no text a person types holds (NUL, escape…); line breaks,
/// tabs and the other whitespace are text. PostgreSQL cannot store NUL, and none of them
/// means anything here. The API document says the same with [`NO_CONTROL_PATTERN`].
pub fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !c.is_whitespace())
}

/// [`has_control`] as a JSON Schema pattern (the API document's free-text fields).
pub const NO_CONTROL_PATTERN: &str = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$";
/// A message: no control character, and something visible (not only whitespace or
/// zero-width characters).
pub const MESSAGE_PATTERN: &str = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*[^\s\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB][^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$";

/// Kana, kanji and the marks written with them (ー 々 〆): Japanese script.
pub fn is_japanese(c: char) -> bool {
    matches!(c, 'ぁ'..='ゖ' | 'ァ'..='ヺ' | 'ー' | '一'..='鿿' | '㐀'..='䶿' | '々' | '〆' | 'ｦ'..='ﾟ')
}

/// Hiragana folded to katakana, so that `しめきり` and the reading `シメキリ` compare equal.
pub fn to_katakana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A character that can be part of a searchable word (letters and digits of any script,
/// and the long-vowel mark that katakana words use).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == 'ー' || c == '々' || c == '〆'
}

/// How the grading rules compare texts: NFKC, no whitespace, wave dashes unified.
pub fn grading_form(text: &str) -> String {
    text.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == '〜' || c == '~' { '～' } else { c })
        .collect()
}

/// HTML-escapes text for element content and attribute values (pages, Telegram's HTML).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = Html.write_escaped_str(&mut out, text);
    out
}

/// The sentences of a text: split after each 「。」 and at line ends, trimmed, empty ones
/// left out; a sentence keeps its 「。」. (The verifier also splits at ！ and ？, on top of
/// these: see `assistant::verify`.)
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['。', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The HTML escaper of [`escape_html`], and of the page templates (`askama.toml`): named
/// entities and `&#39;`, as the pages have always been written.
#[derive(Clone, Copy, Debug)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, text: &str) -> std::fmt::Result {
        let mut plain = 0;
        for (i, byte) in text.bytes().enumerate() {
            let entity = match byte {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => continue,
            };
            dest.write_str(&text[plain..i])?;
            dest.write_str(entity)?;
            plain = i + 1;
        }
        dest.write_str(&text[plain..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_and_case() {
        assert_eq!(normalize("０８００－ＡＢＣ ｶｰﾄﾞ"), "0800-abc カード");
    }

    #[test]
    fn hiragana_becomes_katakana() {
        assert_eq!(to_katakana("しめきりはいつ？"), "シメキリハイツ？");
        assert_eq!(to_katakana("漢字とカナ"), "漢字トカナ");
    }

    #[test]
    fn splits_sentences() {
        let split: Vec<&str> = sentences("一。二。\n三").collect();
        assert_eq!(split, vec!["一。", "二。", "三"]);
    }

    #[test]
    fn grading_form_unifies_dashes_and_spaces() {
        assert_eq!(grading_form("8:00 〜 18:00"), "8:00～18:00");
        assert_eq!(grading_form("８：００~"), "8:00～");
    }
}
