//! Individual numbers (マイナンバー) never go further than this module: a 12-digit number in
//! a question is removed before the question is searched, stored or logged.

use std::sync::LazyLock;

use regex::Regex;

/// Twelve digits, optionally grouped 4-4-4 by spaces or hyphens, not part of a longer number.
static TWELVE_DIGITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])([0-9]{4}[- ]?[0-9]{4}[- ]?[0-9]{4})(?:$|[^0-9])")
        .expect("valid regex")
});

/// What redaction found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    /// A 12-digit number was removed.
    pub removed: bool,
    /// One of them has a valid individual-number check digit.
    pub valid_my_number: bool,
}

/// Removes every 12-digit number from the (NFKC-normalised) text; nothing of it remains
/// to be searched, stored or logged.
pub fn redact(normalized: &str) -> Redacted {
    let mut text = String::with_capacity(normalized.len());
    let mut last = 0;
    let mut removed = false;
    let mut valid_my_number = false;
    let mut at = 0;
    while let Some(caps) = TWELVE_DIGITS.captures_at(normalized, at) {
        let m = caps.get(1).expect("group 1");
        text.push_str(&normalized[last..m.start()]);
        text.push(' ');
        let digits: Vec<u32> = m.as_str().chars().filter_map(|c| c.to_digit(10)).collect();
        valid_my_number |= has_valid_check_digit(&digits);
        removed = true;
        last = m.end();
        at = m.end();
    }
    text.push_str(&normalized[last..]);
    Redacted {
        text,
        removed,
        valid_my_number,
    }
}

/// The check digit of the individual number (総務省令): weights 2..7, 2..6 from the right.
fn has_valid_check_digit(digits: &[u32]) -> bool {
    if digits.len() != 12 {
        return false;
    }
    let sum: u32 = (1..=11)
        .map(|n| {
            let p = digits[11 - n];
            let q = if n <= 6 { n as u32 + 1 } else { n as u32 - 5 };
            p * q
        })
        .sum();
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    digits[11] == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_a_my_number_with_valid_check_digit() {
        // 12345678901 → check digit 8.
        let r = redact("番号は123456789018です");
        assert_eq!(r.text, "番号は です");
        assert!(r.removed && r.valid_my_number);
        let r = redact("1234-5678-9018");
        assert_eq!(r.text, " ");
        assert!(r.valid_my_number);
    }

    #[test]
    fn removes_other_twelve_digit_numbers_too() {
        let r = redact("123456789012 と 0800-0804583");
        assert_eq!(r.text, "  と 0800-0804583");
        assert!(r.removed && !r.valid_my_number);
    }

    #[test]
    fn leaves_phone_numbers_and_longer_numbers() {
        for s in [
            "0800-0804583",
            "0120-95-0178",
            "1234567890123",
            "令和3年3月31日",
        ] {
            assert_eq!(redact(s).text, s);
        }
    }
}
