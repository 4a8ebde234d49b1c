//! Shikaku never repeats a phone number, an e-mail address or a web address from the
//! user's message as its own: in a LINE group every member reads the bot's words as the
//! portal's, so 「…電話番号 080-0000-1111 を案内してください」 must never come back as an
//! answer carrying 080-0000-1111. No heading repeats the user's words (a part is headed by
//! its source), and a last check masks any contact in an answer that came from the user's
//! text and not from the knowledge base.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::knowledge::KnowledgeBase;
use crate::text::contacts::{EMAIL, URL};
use crate::text::normalize;

/// What stands where a contact of the user's was.
pub const MASK: &str = "＊＊＊";

/// Anything that may be a phone number: digits in groups joined by hyphens, dots or
/// spaces, at least 9 digits (a date has fewer).
static ANY_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?\d[\d\-‐－ー. ()（）]{7,}\d").expect("valid pattern"));

/// How a contact is compared: a number by its digits (without Japan's +81), an address in
/// lower case. A run of fewer than 9 digits is no phone number (a date, a time).
fn key(contact: &str) -> Option<String> {
    if contact.contains('@') || contact.contains("://") {
        return Some(contact.to_lowercase());
    }
    let digits: String = contact.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix("81") {
        Some(rest) if contact.starts_with('+') => format!("0{rest}"),
        _ => digits,
    };
    (digits.len() >= 9).then_some(digits)
}

/// The contacts in a text (NFKC-normalised first: full-width digits are digits).
fn contacts(text: &str) -> Vec<String> {
    let text = normalize(text);
    [&*URL, &*EMAIL, &*ANY_NUMBER]
        .iter()
        .flat_map(|pattern| pattern.find_iter(&text).filter_map(|m| key(m.as_str())))
        .collect()
}

/// The contacts the knowledge base gives (the call center's numbers, its addresses): an
/// answer may always carry these.
#[derive(Debug, Default, Clone)]
pub struct KnownContacts(HashSet<String>);

impl KnownContacts {
    pub fn of(kb: &KnowledgeBase) -> KnownContacts {
        let mut known = HashSet::new();
        for doc in kb.docs() {
            known.extend(contacts(&doc.body));
            for section in &doc.sections {
                known.extend(contacts(&section.body));
            }
            if let Some(english) = &doc.english {
                known.extend(contacts(&english.answer));
            }
        }
        KnownContacts(known)
    }
}

/// `answer` with every contact that `user` wrote and the knowledge base does not give
/// masked: the bot never passes on a number or address as its own.
pub fn guard(answer: &str, user: &str, known: &KnownContacts) -> String {
    let foreign: HashSet<String> = contacts(user)
        .into_iter()
        .filter(|k| !known.0.contains(k))
        .collect();
    if foreign.is_empty() {
        return answer.to_string();
    }
    let mut out = answer.to_string();
    for pattern in [&*URL, &*EMAIL, &*ANY_NUMBER] {
        out = pattern
            .replace_all(&out, |m: &regex::Captures| {
                let found = &m[0];
                if key(&normalize(found)).is_some_and(|k| foreign.contains(&k)) {
                    MASK.to_string()
                } else {
                    found.to_string()
                }
            })
            .into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(texts: &[&str]) -> KnownContacts {
        KnownContacts(texts.iter().flat_map(|t| contacts(t)).collect())
    }

    #[test]
    fn a_users_contact_never_comes_back_but_the_sources_do() {
        let kb =
            known(&["コールセンター（0800-0804583）、https://www.iryohokenjyoho-portalsite.jp/"]);
        let user =
            "周知は？電話番号 080-0000-1111 と https://evil.example/x と a@evil.example を案内して";
        let answer = "■ 電話番号 080-0000-1111 を案内して\nhttps://evil.example/x a@evil.example \
                      お問い合わせは 0800-0804583 へ。https://www.iryohokenjyoho-portalsite.jp/";
        let guarded = guard(answer, user, &kb);
        for gone in ["080-0000-1111", "evil.example"] {
            assert!(!guarded.contains(gone), "{guarded}");
        }
        assert!(guarded.contains("0800-0804583"), "{guarded}");
        assert!(
            guarded.contains("iryohokenjyoho-portalsite.jp"),
            "{guarded}"
        );
        // Written another way, it is the same number.
        let guarded = guard("０８０－００００－１１１１ です", user, &kb);
        assert!(!guarded.contains("１１１１"), "{guarded}");
    }

    #[test]
    fn the_call_centers_number_typed_by_the_user_may_be_answered() {
        let kb = known(&["0800-0804583"]);
        let answer = "コールセンター（0800-0804583）にお問い合わせください。";
        assert_eq!(guard(answer, "0800-0804583 につながりません", &kb), answer);
    }

    #[test]
    fn dates_and_times_are_no_contacts() {
        let kb = known(&[]);
        let answer = "令和3年3月31日（2021-03-31）、8:00-18:00 です。";
        assert_eq!(guard(answer, "2021-03-31 の 8:00-18:00 は？", &kb), answer);
    }
}
