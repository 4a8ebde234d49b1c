//! Rules that are arithmetic, not prose: Japanese eras, deadlines against a date, and how
//! many card readers a facility may order. The numbers come from the form documents.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use crate::knowledge::{Basis, Deadline, FormField, KnowledgeBase, SourceRef, UnitLimit};

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

static REIWA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(令和|平成)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日").expect("regex")
});
static WESTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4})(?:年|/|-)(\d{1,2})(?:月|/|-)(\d{1,2})日?").expect("regex")
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{1,2})月(\d{1,2})日|(?:^|[^\d/])(\d{1,2})/(\d{1,2})(?:$|[^\d/])")
        .expect("regex")
});

/// A date written in the question, if any. Without a year, `default_year` is used.
pub fn date_in(normalized: &str, default_year: i32) -> Option<NaiveDate> {
    let num = |s: &str| s.parse::<u32>().ok();
    if let Some(c) = REIWA.captures(normalized) {
        let n = if &c[2] == "元" {
            1
        } else {
            c[2].parse::<i32>().ok()?
        };
        let base = if &c[1] == "令和" { 2018 } else { 1988 };
        return NaiveDate::from_ymd_opt(base + n, num(&c[3])?, num(&c[4])?);
    }
    if let Some(c) = WESTERN.captures(normalized) {
        return NaiveDate::from_ymd_opt(c[1].parse().ok()?, num(&c[2])?, num(&c[3])?);
    }
    let c = MONTH_DAY.captures(normalized)?;
    let (m, d) = match (c.get(1), c.get(2)) {
        (Some(m), Some(d)) => (m.as_str(), d.as_str()),
        _ => (c.get(3)?.as_str(), c.get(4)?.as_str()),
    };
    NaiveDate::from_ymd_opt(default_year, num(m)?, num(d)?)
}

/// An answer computed by a rule, with the sources of the numbers it used.
#[derive(Debug, Clone)]
pub struct RuleAnswer {
    pub text: String,
    pub sources: Vec<SourceRef>,
}

/// Words that ask whether something is (still) in time.
const IN_TIME: &[&str] = &[
    "間に合",
    "まだ申",
    "今から申",
    "今からでも",
    "今でも申",
    "過ぎ",
    "遅れても",
    "受け付けてもら",
    "受付してもら",
    "有効ですか",
];
/// Things one does before a deadline; with a date in the question they ask "in time?".
const ACTIONS: &[&str] = &[
    "郵送",
    "投函",
    "発送",
    "送っ",
    "送れ",
    "出し",
    "出せ",
    "申込",
    "申し込",
    "申請",
    "回答",
];

/// "Am I in time?" — against today, or against the date the question names.
pub fn deadline_answer(
    kb: &KnowledgeBase,
    normalized: &str,
    today: NaiveDate,
) -> Option<RuleAnswer> {
    let asks_in_time = IN_TIME.iter().any(|w| normalized.contains(w));
    let deadline = pick_deadline(kb, normalized)?;
    let named = date_in(normalized, deadline.date.year());
    let acts = ACTIONS.iter().any(|w| normalized.contains(w));
    if !(asks_in_time || (named.is_some() && acts)) {
        return None;
    }
    let mut when = both_calendars(deadline.date);
    if let Some(time) = &deadline.time {
        when.push(' ');
        when.push_str(time);
    }
    if deadline.basis == Basis::Postmark {
        when.push_str("消印有効");
    }
    let text = match named {
        Some(date) => {
            let what = if deadline.basis == Basis::Postmark {
                "の消印"
            } else {
                ""
            };
            if date <= deadline.date {
                format!(
                    "{}は{when}です。{}{what}であれば、締切に間に合います。",
                    deadline.label,
                    both_calendars(date)
                )
            } else {
                format!(
                    "{}は{when}です。{}{what}では締切を過ぎているため、間に合いません。",
                    deadline.label,
                    both_calendars(date)
                )
            }
        }
        None => {
            let days = (deadline.date - today).num_days();
            let status = match days {
                d if d > 0 => format!(
                    "本日（{}）時点では、まだ間に合います（締切まであと{d}日です）。",
                    wareki(today)
                ),
                0 => format!(
                    "本日（{}）が締切日です。本日中であれば、まだ間に合います。",
                    wareki(today)
                ),
                _ => format!(
                    "本日（{}）時点で締切を過ぎているため、間に合いません。",
                    wareki(today)
                ),
            };
            format!("{}は{when}です。{status}", deadline.label)
        }
    };
    Some(RuleAnswer {
        text,
        sources: deadline.sources.clone(),
    })
}

/// The deadline a question is about: the one whose keywords it uses most, else the default.
fn pick_deadline<'a>(kb: &'a KnowledgeBase, normalized: &str) -> Option<&'a Deadline> {
    let hits = |d: &Deadline| {
        d.keywords
            .iter()
            .filter(|k| normalized.contains(k.as_str()))
            .count()
    };
    let best = kb
        .deadlines()
        .filter(|d| !d.default)
        .map(|d| (hits(d), d))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, _)| *n)
        .map(|(_, d)| d);
    best.or_else(|| kb.deadlines().find(|d| d.default))
}

static UNITS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d+|[一二三四五六七八九十]+)台").expect("regex"));

fn kanji_number(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let digit = |c: char| "一二三四五六七八九".find(c).map(|i| i as u32 / 3 + 1);
    match s.chars().collect::<Vec<_>>().as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', c] => Some(10 + digit(*c)?),
        [c, '十'] => Some(digit(*c)? * 10),
        [a, '十', b] => Some(digit(*a)? * 10 + digit(*b)?),
        _ => None,
    }
}

/// "病院で5台" → up to 3: the limit for the facility type the question names.
pub fn units_answer(kb: &KnowledgeBase, normalized: &str) -> Option<RuleAnswer> {
    if !normalized.contains('台') {
        return None;
    }
    let limit: &UnitLimit = kb
        .unit_limits()
        .filter_map(|l| {
            let longest = l
                .aliases
                .iter()
                .filter(|a| normalized.contains(a.as_str()))
                .map(|a| a.chars().count())
                .max()?;
            Some((longest, l))
        })
        .max_by_key(|(len, _)| *len)?
        .1;
    let asked = UNITS.captures(normalized).and_then(|c| kanji_number(&c[1]));
    let (f, max) = (&limit.facility, limit.max_units);
    let allowance = if max == 1 {
        format!("{f}が申し込める顔認証付きカードリーダーは1台です。")
    } else {
        format!("{f}は顔認証付きカードリーダーを最高{max}台まで申し込めます。")
    };
    let text = match asked {
        Some(n) if n > max => format!("{allowance}{n}台は申し込めません。"),
        Some(n) if n >= 1 => format!("{allowance}{n}台の申込みは可能です。"),
        _ => allowance,
    };
    Some(RuleAnswer {
        text,
        sources: limit.sources.clone(),
    })
}

/// Words that ask whether a form item must be filled in.
const ASKS_REQUIRED: &[&str] = &[
    "必須",
    "書かないと",
    "書かなくて",
    "記入しないと",
    "記入しなくて",
    "空欄",
    "省略",
];

/// "Is the メールアドレス field required?" — answered from the form's own marks.
pub fn field_answer(kb: &KnowledgeBase, normalized: &str) -> Option<RuleAnswer> {
    if !ASKS_REQUIRED.iter().any(|w| normalized.contains(w)) {
        return None;
    }
    // The longest field name the question uses; a name's part before 「（」 counts too.
    let field: &FormField = kb
        .docs()
        .iter()
        .flat_map(|d| &d.form.fields)
        .filter_map(|f| {
            let core = f.name.split('（').next().unwrap_or(&f.name);
            let generic =
                core.chars().count() < 4 || f.name.starts_with("顔認証付きカードリーダー");
            let len = if normalized.contains(f.name.as_str()) {
                f.name.chars().count()
            } else if !generic && normalized.contains(core) {
                core.chars().count()
            } else {
                return None;
            };
            Some((len, f))
        })
        .max_by_key(|(len, _)| *len)?
        .1;
    let mut text = if field.required {
        format!("「{}」は「必須」の項目です。", field.name)
    } else {
        format!(
            "「{}」には「必須」の表示はありませんが、申請書に記入欄がある項目です。",
            field.name
        )
    };
    if !field.values.is_empty() {
        text.push_str(&format!("選択肢は「{}」です。", field.values.join("」「")));
    }
    if let Some(note) = &field.note {
        text.push_str(note);
    }
    Some(RuleAnswer {
        text,
        sources: field.sources.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
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

    #[test]
    fn kanji_numbers() {
        assert_eq!(kanji_number("五"), Some(5));
        assert_eq!(kanji_number("十二"), Some(12));
        assert_eq!(kanji_number("3"), Some(3));
    }
}
