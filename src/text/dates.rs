//! Dates as Japanese texts write them: 令和3年3月31日, 2021年3月31日, 2021/3/31, 3月31日, 3/31.
//!
//! Two readers need them. The rules read the one complete date a question names
//! ([`date_in`]); the verifier reads every date a draft or a source states, partial ones
//! (令和3年3月) and ranges (令和3年5～6月) included, so its patterns ([`ERA_DATES`],
//! [`WESTERN_DATES`], [`MONTH_DAYS`]) are looser. Both are built from the same notations
//! and share the era arithmetic, which is also what writes dates back ([`wareki`]).

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

/// An era year: 令和3年, 平成31年, 令和元年 (groups: the era, its year).
const ERA_YEAR: &str = r"(令和|平成)(元|\d{1,2})年";
/// A month and day in kanji notation: 3月31日 (groups: month, day).
const KANJI_MONTH_DAY: &str = r"(\d{1,2})月(\d{1,2})日";

fn regex(parts: &[&str]) -> Regex {
    Regex::new(&parts.concat()).expect("valid date pattern")
}

/// The western year of an era year as [`ERA_YEAR`] matches it (`元` is the first year):
/// 令和 3 → 2021, 平成 元 → 1989.
pub fn era_year(era: &str, year: &str) -> i32 {
    let n = if year == "元" {
        1
    } else {
        year.parse().unwrap_or(0)
    };
    let base = if era == "令和" { 2018 } else { 1988 };
    base + n
}

/// `2021-03-31` → `令和3年3月31日`. Heisei before 2019-05-01, Reiwa from then.
pub fn wareki(date: NaiveDate) -> String {
    let reiwa = NaiveDate::from_ymd_opt(2019, 5, 1).expect("valid date");
    let (era, first_year) = if date >= reiwa {
        ("令和", 2019)
    } else {
        ("平成", 1989)
    };
    let n = date.year() - first_year + 1;
    let year = if n == 1 {
        "元".to_string()
    } else {
        n.to_string()
    };
    format!("{era}{year}年{}月{}日", date.month(), date.day())
}

/// `2021-03-31` → `March 31, 2021`, for answers in English.
pub fn english_date(date: NaiveDate) -> String {
    format!("{} {}, {}", date.format("%B"), date.day(), date.year())
}

/// `令和3年3月31日（2021年3月31日）`: both calendars, so nobody has to convert.
pub fn both_calendars(date: NaiveDate) -> String {
    format!(
        "{}（{}年{}月{}日）",
        wareki(date),
        date.year(),
        date.month(),
        date.day()
    )
}

/// A complete era date (groups: era, year, month, day).
static COMPLETE_ERA_DATE: LazyLock<Regex> = LazyLock::new(|| regex(&[ERA_YEAR, KANJI_MONTH_DAY]));
/// A complete western date: 2021年3月31日, 2021/3/31, 2021-03-31 (groups: year, month, day).
static COMPLETE_WESTERN_DATE: LazyLock<Regex> =
    LazyLock::new(|| regex(&[r"(\d{4})(?:年|/|-)(\d{1,2})(?:月|/|-)(\d{1,2})日?"]));
/// A month and day: 3月31日 (groups 1, 2) or 3/31 that is not part of a longer
/// slash-separated number (groups 3, 4).
static COMPLETE_MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    regex(&[
        KANJI_MONTH_DAY,
        r"|(?:^|[^\d/])(\d{1,2})/(\d{1,2})(?:$|[^\d/])",
    ])
});

/// The first complete date written in a (normalised) question, era dates first, then
/// western ones, then a month and day, which gets `default_year`. `None` also for a date
/// that does not exist (2月30日).
pub fn date_in(normalized: &str, default_year: i32) -> Option<NaiveDate> {
    let num = |s: &str| s.parse::<u32>().ok();
    if let Some(c) = COMPLETE_ERA_DATE.captures(normalized) {
        return NaiveDate::from_ymd_opt(era_year(&c[1], &c[2]), num(&c[3])?, num(&c[4])?);
    }
    if let Some(c) = COMPLETE_WESTERN_DATE.captures(normalized) {
        return NaiveDate::from_ymd_opt(c[1].parse().ok()?, num(&c[2])?, num(&c[3])?);
    }
    let c = COMPLETE_MONTH_DAY.captures(normalized)?;
    let (m, d) = match (c.get(1), c.get(2)) {
        (Some(m), Some(d)) => (m.as_str(), d.as_str()),
        _ => (c.get(3)?.as_str(), c.get(4)?.as_str()),
    };
    NaiveDate::from_ymd_opt(default_year, num(m)?, num(d)?)
}

/// The latest complete date written in a (normalised) question: of 「締切は3月31日ですが、
/// 4月1日に郵送しても」 the one the user asks about is the later.
pub fn latest_date_in(normalized: &str, default_year: i32) -> Option<NaiveDate> {
    let mut latest = None;
    let mut rest = normalized;
    while let Some(date) = date_in(rest, default_year) {
        latest = latest.max(Some(date));
        // Go on after the first place where a date begins (a digit or an era).
        let skip = rest
            .char_indices()
            .skip(1)
            .find(|(i, c)| {
                c.is_ascii_digit() && !rest[..*i].ends_with(|p: char| p.is_ascii_digit())
                    || rest[*i..].starts_with("令和")
                    || rest[*i..].starts_with("平成")
            })
            .map(|(i, _)| i);
        match skip {
            Some(i) => rest = &rest[i..],
            None => break,
        }
    }
    latest
}

/// An era date, complete or not, or a range of months: 令和3年, 令和3年3月, 令和3年3月31日,
/// 令和3年5～6月 (groups: era, year, month, last month of a range, day).
pub static ERA_DATES: LazyLock<Regex> = LazyLock::new(|| {
    regex(&[
        ERA_YEAR,
        r"(?:(\d{1,2})(?:[～~-](\d{1,2}))?月(?:(\d{1,2})日)?)?",
    ])
});
/// A western date, complete or not, or a range of months: 2021年, 2021年3月, 2021/3/31,
/// 2021年5～6月 (groups: year, month, last month of a range, day).
pub static WESTERN_DATES: LazyLock<Regex> = LazyLock::new(|| {
    regex(&[
        r"(?-u:\b)(\d{4})(?:年|/|-)",
        r"(?:(\d{1,2})(?:[～~-](\d{1,2}))?(?:月|/|-)?(?:(\d{1,2})日?)?)?",
    ])
});
/// A month and day without a year: 3月31日 (groups 1, 2) or 3/31 (groups 3, 4).
pub static MONTH_DAYS: LazyLock<Regex> =
    LazyLock::new(|| regex(&[KANJI_MONTH_DAY, r"|(?-u:\b)(\d{1,2})/(\d{1,2})(?-u:\b)"]));

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_latest_of_several_dates() {
        let latest = |t: &str| latest_date_in(t, 2021);
        assert_eq!(
            latest("締切は3月31日ですが、4月1日に郵送しても大丈夫ですか"),
            Some(d(2021, 4, 1))
        );
        assert_eq!(latest("令和3年3月31日に郵送"), Some(d(2021, 3, 31)));
        assert_eq!(latest("2021/3/20と3/25"), Some(d(2021, 3, 25)));
        assert_eq!(latest("締切はいつ"), None);
    }

    #[test]
    fn converts_eras() {
        assert_eq!(wareki(d(2021, 3, 31)), "令和3年3月31日");
        assert_eq!(wareki(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(wareki(d(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(
            both_calendars(d(2020, 11, 30)),
            "令和2年11月30日（2020年11月30日）"
        );
        assert_eq!(era_year("令和", "元"), 2019);
        assert_eq!(era_year("平成", "31"), 2019);
    }

    #[test]
    fn reads_dates_in_every_notation() {
        assert_eq!(date_in("令和3年4月2日に郵送", 2000), Some(d(2021, 4, 2)));
        assert_eq!(date_in("令和元年5月7日", 2000), Some(d(2019, 5, 7)));
        assert_eq!(date_in("2021年3月30日", 2000), Some(d(2021, 3, 30)));
        assert_eq!(date_in("2021/3/30に出した", 2000), Some(d(2021, 3, 30)));
        assert_eq!(date_in("4月2日に郵送したら", 2021), Some(d(2021, 4, 2)));
        assert_eq!(date_in("3/31に投函", 2021), Some(d(2021, 3, 31)));
        assert_eq!(date_in("2月30日", 2021), None);
        assert_eq!(date_in("締切は？", 2021), None);
    }
}
