//! Individual numbers (マイナンバー) never go further than this module: a 12-digit number in
//! a question is removed before the question is searched, stored or logged.

use std::ops::Range;

/// What stands where a number was removed from a stored text.
pub const REMOVED: &str = "［番号削除］";

/// What may stand between the digit groups of one number as people type them: anything
/// that is neither a letter nor a digit nor an opening bracket — spaces and line breaks,
/// hyphens and dashes, dots, slashes, closing brackets, commas and 、, colons, 〜 — and ー
/// (what input methods give for a hyphen). Unicode's invisible format characters (zero-width space, soft hyphen, BOM…)
/// are neither, so they count as separators too: whatever only looks different is folded,
/// not listed.
fn is_separator(c: char) -> bool {
    digit(c).is_none() && (!c.is_alphanumeric() || matches!(c, 'ー' | 'ｰ')) && !opens(c)
}

/// An opening bracket or quote starts an aside, never the next group of the same number:
/// 「0120-95-0178（「4→2」の順）」 is a phone number and a menu choice.
fn opens(c: char) -> bool {
    matches!(
        c,
        '(' | '（' | '「' | '『' | '【' | '〔' | '［' | '｛' | '〈' | '《' | '[' | '{' | '“' | '‘'
    )
}

/// Most separator characters between two digit groups of one number (four spaces, or
/// 「 〜 」 between groups, are typed; a sentence between two numbers has letters in it).
const MAX_GAP: usize = 8;

/// The code point of digit zero of every run of decimal digits (Unicode's `Nd`: each run
/// is 0–9 in order). Generated from Unicode 14's data with Python's `unicodedata`, and the
/// runs Unicode 15 and 16 added.
const DIGIT_ZEROS: &[u32] = &[
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0, 0x11C50, 0x11D50,
    0x11DA0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1CCF0, 0x1D7CE, 0x1D7D8,
    0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E5F1, 0x1E950, 0x1FBF0,
];

/// The value of a digit as a person reads it: every decimal digit of every script
/// (ASCII, full-width, Arabic-Indic, Devanagari, Khmer, mathematical bold…), kanji
/// (〇一二…九, 零), and other characters that fold to one digit (¹, ①).
fn digit(c: char) -> Option<u32> {
    let code = c as u32;
    if c.is_ascii() {
        return c.to_digit(10);
    }
    if let Some(zero) = DIGIT_ZEROS
        .iter()
        .rev()
        .find(|&&z| z <= code)
        .filter(|&&z| code - z < 10)
    {
        return Some(code - zero);
    }
    match c {
        '〇' | '零' => return Some(0),
        '一' => return Some(1),
        '二' => return Some(2),
        '三' => return Some(3),
        '四' => return Some(4),
        '五' => return Some(5),
        '六' => return Some(6),
        '七' => return Some(7),
        '八' => return Some(8),
        '九' => return Some(9),
        _ => {}
    }
    if c.is_numeric() {
        use unicode_normalization::UnicodeNormalization;
        let mut folded = std::iter::once(c).nfkc();
        if let (Some(d), None) = (folded.next(), folded.next()) {
            return d.to_digit(10);
        }
    }
    None
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
                Some(m) if is_date_and_time(text, &run[k..=m]) => k = m + 1,
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

/// A date with its time, 「2021/03/31 12:00」 or 「21-03-31 12:00:00」: twelve digits that
/// are no number of a person (a deadline question needs its date).
fn is_date_and_time(text: &str, groups: &[(Range<usize>, Vec<u32>)]) -> bool {
    let lengths: Vec<usize> = groups.iter().map(|g| g.1.len()).collect();
    let value = |i: usize| groups[i].1.iter().fold(0, |n, d| n * 10 + d);
    let (year, month, day) = match lengths.as_slice() {
        [4, 2, 2, 2, 2] => (value(0), value(1), value(2)),
        [2, 2, 2, 2, 2, 2] => (2000 + value(0), value(1), value(2)),
        _ => return false,
    };
    let time_gap = &text[groups[3].0.end..groups[4].0.start];
    (1900..=2099).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && value(3) < 24
        && value(4) < 60
        && (time_gap == ":" || time_gap == "：")
}

/// The lines (from 1) where a 12-digit number starts in `text`.
pub fn lines_with_numbers(text: &str) -> Vec<usize> {
    let mut lines: Vec<usize> = spans(text)
        .iter()
        .map(|(range, _)| text[..range.start].matches('\n').count() + 1)
        .collect();
    lines.dedup();
    lines
}

/// Whether a text holds a 12-digit number: where one is refused rather than removed (a
/// contact, a tag, a display name, a request id).
pub fn holds_number(text: &str) -> bool {
    !spans(text).is_empty()
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

/// A text the service sends back to whoever called it, which may quote what they sent (an
/// error's message or detail: a JSON parser's complaint quotes the value, a refusal names
/// the tag). Made only by [`Shown::new`], which replaces every 12-digit number: a refusal
/// never echoes a My Number back, whoever builds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Shown(String);

impl Shown {
    pub fn new(text: &str) -> Shown {
        Shown(replace(text, REMOVED).text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
            // What only looks different: other separators, invisible characters, digits
            // of other scripts.
            "8731、4962、0587",
            "8731\u{200B}4962\u{200B}0587",
            "87\u{200B}3149620587",
            "8731\u{00AD}4962\u{00AD}0587",
            "8731〜4962〜0587",
            "8731 〜 4962 〜 0587",
            "8731:4962:0587",
            "8731    4962    0587",
            "8731\u{FEFF}-4962-0587",
            "៨៧៣១៤៩៦២០៥៨៧",
            "𝟖𝟕𝟑𝟏𝟒𝟗𝟔𝟐𝟎𝟓𝟖𝟕",
            "８７３１\u{3000}４９６２\u{3000}０５８７",
            "⁸⁷³¹⁴⁹⁶²⁰⁵⁸⁷",
        ] {
            let (text, removed) = scrub(s);
            assert!(removed, "{s:?}");
            let left = text.chars().filter(|c| digit(*c).is_some()).count();
            assert!(left < 12, "{s:?} → {text:?}");
            assert!(!text.contains("4962"), "{s:?} → {text:?}");
        }
    }

    #[test]
    fn a_shown_text_never_echoes_a_number() {
        let shown = Shown::new("invalid value: string \"8731-4962-0587\", expected up or down");
        assert_eq!(
            shown.as_str(),
            "invalid value: string \"［番号削除］\", expected up or down"
        );
        assert_eq!(
            serde_json::to_value(&shown).unwrap(),
            serde_json::json!(shown.as_str())
        );
        assert_eq!(Shown::new("0120-95-0178").as_str(), "0120-95-0178");
    }

    #[test]
    fn every_decimal_digit_has_its_value() {
        assert!(
            DIGIT_ZEROS.windows(2).all(|w| w[0] + 10 <= w[1]),
            "sorted runs"
        );
        for &zero in DIGIT_ZEROS {
            for value in 0..10 {
                let c = char::from_u32(zero + value).unwrap();
                assert!(c.is_numeric(), "{:X}", zero + value);
                assert_eq!(digit(c), Some(value), "{:X}", zero + value);
            }
        }
        // Letters and marks next to digits are no digits.
        for c in ['a', 'Ａ', '年', 'ー', '、', '\u{200B}'] {
            assert_eq!(digit(c), None, "{c:?}");
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
            "2021/03/31 12:00に申し込みました",
            "21-03-31 12:00:00",
            "医療機関等コード 1234567、電話 03-1234-5678",
        ] {
            assert_eq!(redact(s).text, s);
        }
    }
}
