//! Which language a message is written in: Shikaku answers Japanese in Japanese, English
//! in English, and says so in both to anything else.

use super::answer::Language;
use crate::text::is_japanese;

/// Characters of simplified and traditional Chinese that Japanese does not write: a
/// message of kanji with one of them and no kana is Chinese.
const CHINESE_ONLY: &[char] = &[
    '吗', '么', '这', '们', '你', '您', '请', '谢', '读', '哪', '吧', '呢', '时', '间', '码', '问',
    '怎', '样', '还', '给', '说', '话', '电', '钱', '为', '个', '什',
];

/// What a message is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    In(Language),
    /// A language Shikaku does not answer in (Korean, Chinese, Spanish, …).
    Other,
}

pub fn detect(text: &str) -> Written {
    let kana = text
        .chars()
        .any(|c| matches!(c, 'ぁ'..='ゖ' | 'ァ'..='ヺ' | 'ｦ'..='ﾟ'));
    if kana {
        return Written::In(Language::Ja);
    }
    if text.chars().any(is_japanese) {
        let chinese = text.chars().any(|c| CHINESE_ONLY.contains(&c));
        return if chinese {
            Written::Other
        } else {
            Written::In(Language::Ja)
        };
    }
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.is_empty() {
        // Digits and signs alone: answered as Japanese, the portal's language.
        return Written::In(Language::Ja);
    }
    let foreign = letters.iter().filter(|c| !c.is_ascii()).count();
    if foreign >= 2 || text.contains(['¿', '¡']) {
        Written::Other
    } else {
        Written::In(Language::En)
    }
}

/// The reply to a message in a language Shikaku does not answer in, in both languages.
pub const OTHER_LANGUAGE_REPLY: &str = "シカクは日本語と英語でお答えします。日本語か英語でご質問ください。\n\
     Shikaku answers in Japanese and English. Please ask your question in Japanese or English.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_languages_apart() {
        for (text, expected) in [
            ("締切はいつですか", Written::In(Language::Ja)),
            ("申込締切", Written::In(Language::Ja)),
            ("ｺｰﾙｾﾝﾀｰ ﾃﾞﾝﾜ", Written::In(Language::Ja)),
            ("0120-95-0178", Written::In(Language::Ja)),
            ("When is the deadline?", Written::In(Language::En)),
            ("Is Hi-CARA available?", Written::In(Language::En)),
            ("마감일은 언제입니까?", Written::Other),
            ("申请截止日期是什么时候？请告诉我", Written::Other),
            (
                "¿Cuándo es la fecha límite de la solicitud?",
                Written::Other,
            ),
            ("Когда крайний срок?", Written::Other),
            ("Hạn chót nộp đơn là khi nào?", Written::Other),
        ] {
            assert_eq!(detect(text), expected, "{text}");
        }
    }
}
