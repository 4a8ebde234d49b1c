//! What both messaging channels render the same way: sources as labels and links,
//! splitting long texts at sentence ends within a platform's limit (counted in UTF-16 units,
//! as LINE and Telegram count), quick-reply labels, and secrets masked in error texts. Their
//! fixed texts are in the catalog ([`crate::copy`]), in Japanese: a platform does not say
//! which language its user reads.

use crate::assistant::Citation;
use crate::copy::{self, Key};
use crate::domain::Language;

/// The questions offered as buttons to a user who has not asked yet.
pub fn starters() -> Vec<String> {
    crate::assistant::STARTER_QUESTIONS
        .iter()
        .map(|q| q.to_string())
        .collect()
}

/// How long to wait before try `tries + 1` of a send that failed on the network.
pub fn backoff(tries: u32) -> std::time::Duration {
    std::time::Duration::from_millis(500 * 4u64.pow(tries.saturating_sub(1)))
}

/// The heading of an agent's reply, so a user knows a person wrote it: with the name the
/// agent gives users, when they gave one.
pub fn agent_heading(author: Option<&str>) -> String {
    match author {
        Some(name) => copy::filled(Language::Ja, Key::AgentHeadingNamed, &[("name", name)]),
        None => copy::ja(Key::AgentHeading).to_string(),
    }
}

/// A cited source: its name, and a link to it when the public URL is known.
pub struct Source {
    pub label: String,
    pub url: Option<String>,
}

pub fn sources(citations: &[Citation], public_url: Option<&str>) -> Vec<Source> {
    citations
        .iter()
        .map(|c| Source {
            label: match &c.section {
                Some(section) => format!("{}（{section}）", c.title),
                None => c.title.clone(),
            },
            url: public_url.map(|base| {
                let anchor = c
                    .section_id
                    .as_deref()
                    .map(|s| format!("#{s}"))
                    .unwrap_or_default();
                format!("{base}/kb/{}{anchor}", c.doc_id)
            }),
        })
        .collect()
}

/// Length as LINE and Telegram count it: UTF-16 code units.
pub fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Splits `text` into pieces of at most `max` UTF-16 units, at a paragraph, a line or a
/// sentence end where there is one, so that no piece ends mid-sentence if avoidable.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = text.trim();
    while units(rest) > max {
        // The longest prefix that fits, then the last good break in it.
        let mut fit = 0;
        let mut used = 0;
        for (i, c) in rest.char_indices() {
            used += c.len_utf16();
            if used > max {
                break;
            }
            fit = i + c.len_utf8();
        }
        let head = &rest[..fit];
        let cut = ["\n\n", "\n", "。", "、"]
            .iter()
            .find_map(|sep| {
                head.rfind(sep)
                    .map(|at| at + sep.len())
                    .filter(|&at| at > fit / 3)
            })
            .unwrap_or(fit);
        pieces.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        pieces.push(rest.to_string());
    }
    pieces
}

/// A quick-reply label of at most `max` characters (LINE: 20).
pub fn label(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// An error's text with a secret (a token in a URL) masked, for logs.
pub fn masked(error: &impl std::fmt::Display, secret: &str) -> String {
    let text = format!("{error:#}");
    if secret.is_empty() {
        text
    } else {
        text.replace(secret, "***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_piece() {
        assert_eq!(split("はい。", 10), vec!["はい。"]);
        assert!(split("  ", 10).is_empty());
    }

    #[test]
    fn long_text_breaks_at_paragraphs_then_sentences() {
        let text = "一文目です。二文目です。\n\n三段落目です。";
        assert_eq!(
            split(text, 14),
            vec!["一文目です。二文目です。", "三段落目です。"]
        );
        assert_eq!(
            split("一文目です。二文目です。三文目です。", 13),
            vec!["一文目です。二文目です。", "三文目です。"]
        );
    }

    #[test]
    fn pieces_respect_the_limit_in_utf16_units_and_lose_nothing() {
        // Emoji are two UTF-16 units; a hard cut never splits one.
        let text = "😀".repeat(7) + &"あ".repeat(30);
        let pieces = split(&text, 5);
        assert!(pieces.iter().all(|p| units(p) <= 5), "{pieces:?}");
        assert_eq!(pieces.concat(), text);
        let long = "申込みは令和3年3月31日までです。".repeat(800);
        let pieces = split(&long, 5000);
        assert!(pieces.len() >= 3);
        assert!(pieces.iter().all(|p| units(p) <= 5000));
        assert!(pieces.iter().all(|p| p.ends_with('。')));
        assert_eq!(pieces.concat(), long);
    }

    #[test]
    fn labels_are_cut_with_an_ellipsis() {
        assert_eq!(label("締切はいつですか", 20), "締切はいつですか");
        let l = label(&"あ".repeat(25), 20);
        assert_eq!(l.chars().count(), 20);
        assert!(l.ends_with('…'));
    }

    #[test]
    fn sources_link_to_their_section_when_the_public_url_is_known() {
        let citations = vec![Citation {
            doc_id: "notice-r3-0303".into(),
            title: "通知".into(),
            section: Some("申込期限".into()),
            section_id: Some("deadline".into()),
        }];
        let s = sources(&citations, Some("https://portal.example.jp"));
        assert_eq!(s[0].label, "通知（申込期限）");
        assert_eq!(
            s[0].url.as_deref(),
            Some("https://portal.example.jp/kb/notice-r3-0303#deadline")
        );
        assert!(sources(&citations, None)[0].url.is_none());
    }

    #[test]
    fn secrets_are_masked_in_error_text() {
        let e = anyhow::anyhow!("error sending request for url (https://api/bot123:ABC/getMe)");
        assert_eq!(
            masked(&e, "123:ABC"),
            "error sending request for url (https://api/bot***/getMe)"
        );
    }
}
