//! Rules that are arithmetic, not prose: deadlines against a date (read and written in
//! both calendars by `text::dates`), how many card readers a facility may order, and
//! whether a form item is required. The numbers come from the form documents.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use crate::knowledge::{Basis, Deadline, FormField, KnowledgeBase, SourceRef, UnitLimit};
use crate::text::dates::{both_calendars, latest_date_in, wareki};

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
/// Words that say a deadline was moved (「延長されたんですよね？」): a premise to check.
const EXTENDED: &[&str] = &[
    "延長",
    "延期",
    "延び",
    "延ばし",
    "伸び",
    "伸ばし",
    "extended",
    "postponed",
];
/// A deadline named as such: an extension premise is about one only beside these.
const DEADLINE: &[&str] = &[
    "締切",
    "締め切",
    "〆切",
    "期限",
    "期日",
    "しめきり",
    "deadline",
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
    let named = latest_date_in(normalized, deadline.date.year());
    let acts = ACTIONS.iter().any(|w| normalized.contains(w));
    let names_deadline = DEADLINE.iter().any(|w| normalized.contains(w));
    let says_extended = EXTENDED.iter().any(|w| normalized.contains(w)) && names_deadline;
    // 「締切は4月30日ですよね？」: a date said to be the deadline, to confirm or correct.
    // (「申込みの期限は…」: an action before the deadline word only says which deadline.)
    let after_deadline = DEADLINE
        .iter()
        .filter_map(|w| normalized.find(w))
        .min()
        .map_or("", |i| &normalized[i..]);
    let acts_after = ACTIONS.iter().any(|w| after_deadline.contains(w));
    let says_date = named.is_some() && names_deadline && !acts_after && !asks_in_time;
    if !(asks_in_time || says_extended || says_date || (named.is_some() && acts)) {
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
        Some(date) if says_date && !says_extended => {
            if date == deadline.date {
                format!("はい、{}は{when}です。", deadline.label)
            } else {
                format!(
                    "{}は{when}です。資料には、{}を締切とする記載はありません。",
                    deadline.label,
                    both_calendars(date)
                )
            }
        }
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
    // A premise the sources do not bear out is corrected before the answer, but only when no
    // document speaks of an extension at all.
    let text = if says_extended && !mentions_extension(kb) {
        format!("資料には、締切が延長されたという記載はありません。{text}")
    } else {
        text
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
    "空白",
    "空け",
    "未記入",
    "書かずに",
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

/// Whether any document speaks of a deadline being moved.
fn mentions_extension(kb: &KnowledgeBase) -> bool {
    kb.docs().iter().any(|d| {
        std::iter::once(d.body.as_str())
            .chain(d.sections.iter().map(|s| s.body.as_str()))
            .any(|text| EXTENDED.iter().any(|w| text.contains(w)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kanji_numbers() {
        assert_eq!(kanji_number("五"), Some(5));
        assert_eq!(kanji_number("十二"), Some(12));
        assert_eq!(kanji_number("3"), Some(3));
    }
}
