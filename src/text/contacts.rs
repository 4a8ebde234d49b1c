//! Phone numbers, e-mail addresses and web addresses as Shikaku finds them in text.
//!
//! Four jobs need four strictnesses, kept side by side so that whoever changes one sees
//! the others:
//! - a field the user fills in (the handoff form): the whole field is one number (hyphens
//!   optional) or one address (any characters but `@` and spaces);
//! - a fact in prose (the verifier): a number written with its area-code hyphen, an ASCII
//!   address, a URL;
//! - the call center's number as the contact FAQ writes it;
//! - what analytics masks: anything that may be a number (`+81` too) or an address,
//!   but not a date such as 2021-03-31.

use std::sync::LazyLock;

use regex::{NoExpand, Regex};

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid contact pattern")
}

/// A web address in prose.
pub static URL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+"));
/// An e-mail address in prose.
pub static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"));
/// A phone number in prose, its area code followed by a hyphen: 0800-0804583, 03-1234-5678.
pub static PHONE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?-u:\b)0\d{1,4}-\d{1,4}-?\d{3,4}(?-u:\b)"));

/// Whether a whole (normalised) field is a phone number: 03-1234-5678, 0312345678. A
/// Japanese number has 10 or 11 digits, so a field of 12 (a My Number) is never one. The
/// handoff's API schema says the same (`routes/handoff.rs`).
pub fn is_phone_number(field: &str) -> bool {
    static WHOLE_PHONE: LazyLock<Regex> = LazyLock::new(|| regex(r"^0(?:\d-?){8,9}\d$"));
    WHOLE_PHONE.is_match(field)
}

/// Whether a whole field is an e-mail address (a local part of at most 64 characters).
pub fn is_email_address(field: &str) -> bool {
    static WHOLE_EMAIL: LazyLock<Regex> =
        LazyLock::new(|| regex(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"));
    WHOLE_EMAIL.is_match(field)
}

/// The first phone number of a text written as a notice lists one, with hyphens:
/// 0800-0804583, 03-1234-5678.
pub fn listed_phone_number(text: &str) -> Option<&str> {
    static LISTED: LazyLock<Regex> =
        LazyLock::new(|| regex(r"0\d{1,4}(?:-\d{1,4}-\d{3,4}|-\d{5,8})\b"));
    LISTED.find(text).map(|m| m.as_str())
}

/// `text` (NFKC-normalised, so that full-width digits are digits) with every e-mail
/// address, then every phone number, replaced by `mask`.
pub fn masked(text: &str, mask: &str) -> String {
    static ANY_EMAIL: LazyLock<Regex> =
        LazyLock::new(|| regex(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"));
    // Japanese numbers start with 0 (or +81); a date like 2021-03-31 is not one.
    static ANY_PHONE: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(\+81[\d-]{8,}\d|0\d[\d-]{7,}\d)"));
    let text = ANY_EMAIL.replace_all(text, NoExpand(mask));
    ANY_PHONE.replace_all(&text, NoExpand(mask)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_number_has_10_or_11_digits() {
        for phone in [
            "03-1234-5678",
            "0312345678",
            "0800-0804583",
            "090-1234-5678",
            "0120-123-456",
        ] {
            assert!(is_phone_number(phone), "{phone}");
        }
        // 12 digits (a My Number's length), 13, 9, a leading hyphen, two hyphens in a row.
        for not in [
            "05773808-1170",
            "0123-4567-89012",
            "012345678",
            "-0312345678",
            "03--12345678",
            "03-1234-5678-",
        ] {
            assert!(!is_phone_number(not), "{not}");
        }
    }
}
