//! What agents mark a ticket with: a priority (the waiting queue shows urgent ones first) and
//! a few short tags, which the queue's search finds.

use crate::text::UserText;
use crate::text::privacy::holds_number;

pub use crate::domain::Priority;

pub const MAX_TAGS: usize = 8;
pub const MAX_TAG_CHARS: usize = 20;

/// The tags trimmed, in their order, each once; or what is wrong, in Japanese, naming the tag.
pub fn checked_tags(tags: &[String]) -> Result<Vec<UserText>, String> {
    if tags.len() > MAX_TAGS {
        return Err(format!("タグは{MAX_TAGS}個までです。"));
    }
    let mut kept: Vec<UserText> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        if crate::text::is_blank(tag) {
            return Err("空のタグは付けられません。".into());
        }
        // Before anything that names the tag: a number is never echoed back.
        if holds_number(tag) {
            return Err("タグに12桁の番号は使えません。".into());
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(format!(
                "タグ「{tag}」が長すぎます（{MAX_TAG_CHARS}文字まで）。"
            ));
        }
        if tag
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
        {
            return Err(format!("タグ「{tag}」に空白や読点（,）は使えません。"));
        }
        let tag = UserText::parse(tag, MAX_TAG_CHARS)
            .map_err(|_| format!("タグ「{tag}」は使えません。"))?;
        if !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tags_are_trimmed_and_kept_once_in_order() {
        let kept = checked_tags(&tags(&[" 補助金 ", "薬局", "補助金"])).unwrap();
        let kept: Vec<&str> = kept.iter().map(UserText::as_str).collect();
        assert_eq!(kept, ["補助金", "薬局"]);
        assert!(checked_tags(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_bad_tag_is_named_in_the_error() {
        assert!(
            checked_tags(&tags(&["   "]))
                .unwrap_err()
                .contains("空のタグ")
        );
        assert!(
            checked_tags(&tags(&["再 連絡"]))
                .unwrap_err()
                .contains("「再 連絡」")
        );
        assert!(
            checked_tags(&tags(&[&"あ".repeat(21)]))
                .unwrap_err()
                .contains("長すぎます")
        );
        assert!(
            checked_tags(&tags(&["123456789012"]))
                .unwrap_err()
                .contains("12桁")
        );
        let nine: Vec<String> = (0..9).map(|i| format!("t{i}")).collect();
        assert!(checked_tags(&nine).unwrap_err().contains("8個まで"));
    }
}
