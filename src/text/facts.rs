//! The facts a text states, in a canonical form the verifier compares: dates in either
//! calendar, times, phone numbers, addresses, counts, amounts and names. Normalised first
//! (NFKC, full-width digits), so 「令和3年3月31日」 and 「2021年3月31日」 are one fact.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::text::contacts::{EMAIL, PHONE, URL};
use crate::text::dates::{ERA_DATES, MONTH_DAYS, WESTERN_DATES, era_year};
use crate::text::normalize;

/// One checkable fact, in a canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fact {
    Date {
        year: Option<i32>,
        month: u32,
        day: u32,
    },
    YearMonth {
        year: i32,
        month: u32,
    },
    Year(i32),
    Time(String),
    Phone(String),
    Email(String),
    Url(String),
    Count(String),
    Yen(String),
    Name(String),
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fact::Date {
                year: Some(y),
                month,
                day,
            } => write!(f, "{y}-{month:02}-{day:02}"),
            Fact::Date {
                year: None,
                month,
                day,
            } => write!(f, "{month}月{day}日"),
            Fact::YearMonth { year, month } => write!(f, "{year}-{month:02}"),
            Fact::Year(y) => write!(f, "{y}年"),
            Fact::Time(t) | Fact::Phone(t) | Fact::Email(t) | Fact::Url(t) | Fact::Count(t) => {
                f.write_str(t)
            }
            Fact::Yen(t) => write!(f, "{t}円"),
            Fact::Name(n) => write!(f, "「{n}」"),
        }
    }
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid regex")
}

static TIME: LazyLock<Regex> =
    LazyLock::new(|| re(r"(\d{1,2}):(\d{2})|(\d{1,2})時(?:(\d{1,2})分|半)?"));
static HOURS: LazyLock<Regex> = LazyLock::new(|| re(r"(\d+)時間"));
static YEN: LazyLock<Regex> = LazyLock::new(|| re(r"(\d[\d,]*)(万|億)?円"));
static COUNT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(\d+)(台|か月|ヶ月|カ月|ヵ月|日間|桁|件|回|枚|%|つ|位)"));
/// Any number (what is left of a text once its facts are blanked must be in the sources).
pub static NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"\d+"));
static LATIN: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z][A-Za-z-]+"));
static KATAKANA: LazyLock<Regex> = LazyLock::new(|| re(r"[ァ-ヴー]{3,}"));

/// The facts of a text, and the text with them blanked (for the leftover-number check).
pub fn facts(text: &str) -> (Vec<Fact>, String) {
    let mut text = normalize(text);
    let mut out = Vec::new();
    let take =
        |regex: &Regex, text: &mut String, f: &mut dyn FnMut(&regex::Captures) -> Vec<Fact>| {
            let mut found = Vec::new();
            for c in regex.captures_iter(text) {
                found.extend(f(&c));
            }
            *text = regex.replace_all(text, " ").into_owned();
            found
        };
    let num = |c: &regex::Captures, i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    out.extend(take(&URL, &mut text, &mut |c| {
        vec![Fact::Url(c[0].trim_end_matches(['.', ')']).to_string())]
    }));
    out.extend(take(&EMAIL, &mut text, &mut |c| {
        vec![Fact::Email(c[0].to_string())]
    }));
    out.extend(take(&PHONE, &mut text, &mut |c| {
        vec![Fact::Phone(c[0].replace('-', ""))]
    }));
    out.extend(take(&ERA_DATES, &mut text, &mut |c| {
        date_facts(era_year(&c[1], &c[2]), num(c, 3), num(c, 4), num(c, 5))
    }));
    out.extend(take(&WESTERN_DATES, &mut text, &mut |c| {
        let year: i32 = c[1].parse().unwrap_or(0);
        date_facts(year, num(c, 2), num(c, 3), num(c, 4))
    }));
    out.extend(take(&MONTH_DAYS, &mut text, &mut |c| {
        let (m, d) = match (num(c, 1), num(c, 2)) {
            (Some(m), Some(d)) => (m, d),
            _ => (num(c, 3).unwrap_or(0), num(c, 4).unwrap_or(0)),
        };
        vec![Fact::Date {
            year: None,
            month: m,
            day: d,
        }]
    }));
    // 24時間 is a length of time, not a time of day.
    out.extend(take(&HOURS, &mut text, &mut |c| {
        vec![Fact::Count(format!("{}時間", &c[1]))]
    }));
    out.extend(take(&TIME, &mut text, &mut |c| {
        let (h, m) = match num(c, 1) {
            Some(h) => (h, num(c, 2).unwrap_or(0)),
            None => (
                num(c, 3).unwrap_or(0),
                if c[0].ends_with('半') {
                    30
                } else {
                    num(c, 4).unwrap_or(0)
                },
            ),
        };
        vec![Fact::Time(format!("{h}:{m:02}"))]
    }));
    out.extend(take(&YEN, &mut text, &mut |c| {
        vec![Fact::Yen(format!(
            "{}{}",
            c[1].replace(',', ""),
            c.get(2).map_or("", |m| m.as_str())
        ))]
    }));
    out.extend(take(&COUNT, &mut text, &mut |c| {
        let unit = match &c[2] {
            "ヶ月" | "カ月" | "ヵ月" => "か月",
            u => u,
        };
        vec![Fact::Count(format!("{}{unit}", &c[1]))]
    }));
    for m in LATIN.find_iter(&text) {
        out.push(Fact::Name(m.as_str().to_string()));
    }
    for m in KATAKANA.find_iter(&text) {
        out.push(Fact::Name(m.as_str().to_string()));
    }
    (out, text)
}

fn date_facts(year: i32, month: Option<u32>, month_to: Option<u32>, day: Option<u32>) -> Vec<Fact> {
    match (month, month_to, day) {
        (Some(month), None, Some(day)) => vec![Fact::Date {
            year: Some(year),
            month,
            day,
        }],
        (Some(month), Some(to), _) => vec![
            Fact::YearMonth { year, month },
            Fact::YearMonth { year, month: to },
        ],
        (Some(month), None, None) => vec![Fact::YearMonth { year, month }],
        _ => vec![Fact::Year(year)],
    }
}

/// A fact set with the partial forms its dates support (3月31日, 2021年3月, 2021年).
pub fn with_partials(found: Vec<Fact>) -> HashSet<Fact> {
    let mut out = HashSet::new();
    for f in found {
        if let Fact::Date {
            year: Some(y),
            month,
            day,
        } = f
        {
            out.insert(Fact::Date {
                year: None,
                month,
                day,
            });
            out.insert(Fact::YearMonth { year: y, month });
            out.insert(Fact::Year(y));
        }
        if let Fact::YearMonth { year, .. } = f {
            out.insert(Fact::Year(year));
        }
        out.insert(f);
    }
    out
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const MONTH: &str =
    "(january|february|march|april|may|june|july|august|september|october|november|december)";

static EN_DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"{MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}})\b)?"
    ))
});
static EN_MONTH_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"{MONTH}\s*(?:-|–|~|to)\s*{MONTH},?\s+(\d{{4}})\b"
    ))
});
static EN_YEAR_MONTH: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"{MONTH},?\s+(\d{{4}})\b")));
static EN_YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"\b((?:19|20)\d{2})\b"));
static EN_TIME: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{1,2}):(\d{2})\b"));
static EN_YEN: LazyLock<Regex> = LazyLock::new(|| re(r"(\d[\d,]*)\s*yen\b"));
/// Numbers written as words: an English version must write them in digits, so that they
/// are checked.
pub static NUMBER_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand|twice)\b",
    )
});

fn month_of(name: &str) -> u32 {
    MONTHS
        .iter()
        .position(|m| *m == name)
        .map_or(0, |i| i as u32 + 1)
}

/// [`facts`] of an English text: dates as "March 31, 2021", "March 31", "March 2021",
/// "May-June 2021"; times as 9:30; phone numbers, addresses and amounts in yen.
pub fn english_facts(text: &str) -> (Vec<Fact>, String) {
    let mut text = normalize(text);
    let mut out = Vec::new();
    let mut take = |regex: &Regex, f: &dyn Fn(&regex::Captures) -> Vec<Fact>| {
        for c in regex.captures_iter(&text) {
            out.extend(f(&c));
        }
        text = regex.replace_all(&text, " ").into_owned();
    };
    take(&URL, &|c| {
        vec![Fact::Url(c[0].trim_end_matches(['.', ')']).to_string())]
    });
    take(&EMAIL, &|c| vec![Fact::Email(c[0].to_string())]);
    take(&PHONE, &|c| vec![Fact::Phone(c[0].replace('-', ""))]);
    take(&EN_MONTH_RANGE, &|c| {
        let year = c[3].parse().unwrap_or(0);
        vec![
            Fact::YearMonth {
                year,
                month: month_of(&c[1]),
            },
            Fact::YearMonth {
                year,
                month: month_of(&c[2]),
            },
        ]
    });
    take(&EN_DATE, &|c| {
        vec![Fact::Date {
            year: c.get(3).and_then(|y| y.as_str().parse().ok()),
            month: month_of(&c[1]),
            day: c[2].parse().unwrap_or(0),
        }]
    });
    take(&EN_YEAR_MONTH, &|c| {
        vec![Fact::YearMonth {
            year: c[2].parse().unwrap_or(0),
            month: month_of(&c[1]),
        }]
    });
    take(&EN_YEAR, &|c| vec![Fact::Year(c[1].parse().unwrap_or(0))]);
    take(&EN_TIME, &|c| {
        let h: u32 = c[1].parse().unwrap_or(0);
        vec![Fact::Time(format!("{h}:{}", &c[2]))]
    });
    take(&EN_YEN, &|c| vec![Fact::Yen(c[1].replace(',', ""))]);
    (out, text)
}

/// How an English version differs from the Japanese text it translates, in the facts a
/// reader acts on: dates, times, phone numbers, addresses, amounts, every other number, and
/// the Latin names (products, QR) of the Japanese. Empty when they agree.
pub fn translation_differences(japanese: &str, english: &str) -> Vec<String> {
    let (ja, ja_rest) = facts(japanese);
    let (en, en_rest) = english_facts(english);
    let strong = |f: &Fact| !matches!(f, Fact::Count(_) | Fact::Name(_));
    let ja_strong: HashSet<&Fact> = ja.iter().filter(|f| strong(f)).collect();
    let en_strong: HashSet<&Fact> = en.iter().filter(|f| strong(f)).collect();
    let mut out = Vec::new();
    for f in &ja_strong {
        if !en_strong.contains(f) {
            out.push(format!("日本語にある {f} が英語にありません"));
        }
    }
    for f in &en_strong {
        if !ja_strong.contains(f) {
            out.push(format!("英語にある {f} が日本語にありません"));
        }
    }
    let numbers = |counts: &[Fact], rest: &str| -> HashSet<String> {
        let mut n: HashSet<String> = NUMBER
            .find_iter(rest)
            .map(|m| m.as_str().trim_start_matches('0').to_string())
            .collect();
        for c in counts {
            if let Fact::Count(c) = c
                && let Some(m) = NUMBER.find(c)
            {
                n.insert(m.as_str().trim_start_matches('0').to_string());
            }
        }
        n
    };
    let ja_numbers = numbers(&ja, &ja_rest);
    let en_numbers = numbers(&en, &en_rest);
    let mut missing: Vec<&String> = ja_numbers.difference(&en_numbers).collect();
    let mut added: Vec<&String> = en_numbers.difference(&ja_numbers).collect();
    missing.sort();
    added.sort();
    for n in missing {
        out.push(format!("日本語にある数 {n} が英語にありません"));
    }
    for n in added {
        out.push(format!("英語にある数 {n} が日本語にありません"));
    }
    let en_text = normalize(english);
    for f in &ja {
        if let Fact::Name(name) = f
            && name.is_ascii()
            && !en_text.contains(name.as_str())
        {
            out.push(format!("日本語にある名前 {name} が英語にありません"));
        }
    }
    if let Some(word) = NUMBER_WORDS.find(&en_text) {
        out.push(format!(
            "英語の「{}」: 照らし合わせられるよう、数は数字で書いてください",
            word.as_str()
        ));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod translation_tests {
    use super::*;

    #[test]
    fn a_faithful_translation_agrees() {
        let ja = "締切は令和3年3月31日（消印有効）です。受付時間は月～金 8:00-18:00、土 9時30分～16:00です。\
                  病院は3台まで、診療所は1台です。0800-0804583 までお電話ください。製品は「Hi-CARA」です。";
        let en = "The deadline is March 31, 2021 (postmarked by). Hours: Monday to Friday 8:00-18:00, \
                  Saturday 9:30-16:00. Hospitals may apply for up to 3 card readers, clinics for 1. \
                  Please call 0800-0804583. The product is \"Hi-CARA\".";
        assert_eq!(translation_differences(ja, en), Vec::<String>::new());
        assert!(translation_differences("令和3年5～6月です。", "In May-June 2021.").is_empty());
        assert!(
            translation_differences("3月31日まで、2か月程度", "until March 31, about 2 months")
                .is_empty()
        );
    }

    #[test]
    fn every_other_fact_is_reported() {
        let ja = "締切は令和3年3月31日です。病院は3台まで。0800-0804583。製品は「Caora」です。";
        for (en, expected) in [
            (
                "The deadline is April 30, 2021. Up to 3. 0800-0804583. Caora.",
                "2021-03-31",
            ),
            (
                "The deadline is March 31, 2021. Up to 2. 0800-0804583. Caora.",
                "数 3",
            ),
            (
                "The deadline is March 31, 2021. Up to 3. 0800-0804584. Caora.",
                "0800080458",
            ),
            (
                "The deadline is March 31, 2021. Up to three. 0800-0804583. Caora.",
                "three",
            ),
            (
                "The deadline is March 31, 2021. Up to 3. 0800-0804583. Kaora.",
                "caora",
            ),
            (
                "The deadline is March 31, 2021, 18:00. Up to 3. 0800-0804583. Caora.",
                "18:00",
            ),
        ] {
            let found = translation_differences(ja, en);
            assert!(
                found.iter().any(|d| d.contains(expected)),
                "{en}: {found:?} should mention {expected}"
            );
        }
    }
}
