//! Individual numbers (マイナンバー) never go further than this module: a 12-digit number in
//! a question is removed before the question is searched, stored or logged.

use std::ops::Range;

/// What stands where a number was removed from a stored text.
pub const REMOVED: &str = "［番号削除］";

/// Characters that may stand between the digits of one number: spaces and line breaks,
/// hyphens and dashes (and ー, which Japanese input methods produce for a hyphen), dots,
/// slashes, brackets, commas.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '‐'
                | '‑'
                | '‒'
                | '–'
                | '—'
                | '―'
                | '−'
                | 'ー'
                | 'ｰ'
                | '－'
                | '.'
                | '．'
                | '・'
                | '･'
                | '/'
                | '／'
                | '('
                | ')'
                | '（'
                | '）'
                | ','
                | '，'
                | '_'
                | '＿'
        )
}

/// Most separator characters between two digits of one number.
const MAX_GAP: usize = 3;

/// The value of a digit in any script: ASCII and full-width, Arabic-Indic and Persian,
/// Devanagari, Bengali, Thai, and kanji (〇一二…九, 零).
fn digit(c: char) -> Option<u32> {
    let from = |zero: char| Some(c as u32 - zero as u32);
    match c {
        '0'..='9' => from('0'),
        '０'..='９' => from('０'),
        '٠'..='٩' => from('٠'),
        '۰'..='۹' => from('۰'),
        '०'..='९' => from('०'),
        '০'..='৯' => from('০'),
        '๐'..='๙' => from('๐'),
        '〇' | '零' => Some(0),
        _ => "一二三四五六七八九"
            .chars()
            .position(|k| k == c)
            .map(|i| i as u32 + 1),
    }
}

/// What redaction found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    /// A 12-digit number was removed.
    pub removed: bool,
    /// One of them has a valid individual-number check digit.
    pub valid_my_number: bool,
}

/// Where a text holds a 12-digit number: any 12 digits, in any script, with up to
/// [`MAX_GAP`] separators between any two, as consecutive groups of a longer run of digits
/// too (「0800-0804583 8731 4962 0587」 holds one). A group of more than 12 digits is another
/// kind of number.
fn spans(text: &str) -> Vec<(Range<usize>, Vec<u32>)> {
    // Runs of digit groups: (byte range, digits) per group.
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut runs: Vec<Vec<(Range<usize>, Vec<u32>)>> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some(d) = digit(chars[i].1) else {
            i += 1;
            continue;
        };
        let start = chars[i].0;
        let mut digits = vec![d];
        let mut j = i + 1;
        while j < chars.len() {
            match digit(chars[j].1) {
                Some(d) => digits.push(d),
                None => break,
            }
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |c| c.0);
        // Is this group joined to the previous one by a short gap of separators?
        let joined = runs
            .last()
            .and_then(|run| run.last())
            .is_some_and(|(prev, _)| {
                let gap = &text[prev.end..start];
                !gap.is_empty() && gap.chars().count() <= MAX_GAP && gap.chars().all(is_separator)
            });
        if !joined {
            runs.push(Vec::new());
        }
        runs.last_mut().expect("a run").push((start..end, digits));
        i = j;
    }
    let mut out = Vec::new();
    for run in runs {
        let mut k = 0;
        while k < run.len() {
            let mut total = 0;
            let mut found = None;
            for (m, (_, digits)) in run.iter().enumerate().skip(k) {
                total += digits.len();
                if total == 12 {
                    found = Some(m);
                    break;
                }
                if total > 12 {
                    break;
                }
            }
            match found {
                Some(m) => {
                    let digits = run[k..=m].iter().flat_map(|g| g.1.clone()).collect();
                    out.push((run[k].0.start..run[m].0.end, digits));
                    k = m + 1;
                }
                None => k += 1,
            }
        }
    }
    out
}

/// Removes every 12-digit number from the text (a space where it stood): what the assistant
/// reads. Nothing of it remains to be searched, stored or logged.
pub fn redact(text: &str) -> Redacted {
    replace(text, " ")
}

/// A text to store, log or show with every 12-digit number replaced by [`REMOVED`], and
/// whether one was.
pub fn scrub(text: &str) -> (String, bool) {
    let r = replace(text, REMOVED);
    (r.text, r.removed)
}

fn replace(text: &str, with: &str) -> Redacted {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut valid_my_number = false;
    let found = spans(text);
    for (range, digits) in &found {
        out.push_str(&text[last..range.start]);
        out.push_str(with);
        valid_my_number |= has_valid_check_digit(digits);
        last = range.end;
    }
    out.push_str(&text[last..]);
    Redacted {
        text: out,
        removed: !found.is_empty(),
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
    fn every_form_of_twelve_digits_is_removed() {
        for s in [
            "873149620587",
            "8731-4962-0587",
            "8731ー4962ー0587",
            "8731.4962.0587",
            "8731/4962/0587",
            "8731–4962–0587",
            "8731\t4962\t0587",
            "8731\n4962\n0587",
            "(8731)4962-0587",
            "873 149 620 587",
            "8 7 3 1 4 9 6 2 0 5 8 7",
            "八七三一四九六二〇五八七",
            "٨٧٣١٤٩٦٢٠٥٨٧",
            "８７３１－４９６２－０５８７",
            "番号は 8731 4962 0587 です",
            "0800-0804583 8731 4962 0587",
        ] {
            let (text, removed) = scrub(s);
            assert!(removed, "{s:?}");
            let left: String = text.chars().filter(|c| digit(*c).is_some()).collect();
            assert!(left.len() < 12, "{s:?} → {text:?}");
            assert!(!text.contains("4962"), "{s:?} → {text:?}");
        }
    }

    #[test]
    fn leaves_phone_numbers_and_longer_numbers() {
        for s in [
            "0800-0804583",
            "0120-95-0178",
            "1234567890123",
            "令和3年3月31日",
            "0800-0804583（通話無料）、0120-95-0178",
            "月～金 8:00-18:00、土 8:00-16:00",
            "一般の医療機関",
        ] {
            assert_eq!(redact(s).text, s);
        }
    }
}
