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
static YEN: LazyLock<Regex> = LazyLock::new(|| re(r"(\d[\d,]*)(万|億)?円"));
static COUNT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(\d+)(台|か月|ヶ月|カ月|ヵ月|日間|桁|件|回|枚|%|つ|位)"));
/// Any number (what is left of a text once its facts are blanked must be in the sources).
pub(super) static NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"\d+"));
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
pub(super) fn with_partials(found: Vec<Fact>) -> HashSet<Fact> {
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
