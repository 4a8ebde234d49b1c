//! The conditions a source sentence attaches to what it states, and whether a draft
//! sentence keeps them: a draft that keeps a fact but drops its deadline or its case
//! (「自己負担なしで導入できます」 without 「3月31日までに申し込めば」) is rejected.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{GROUNDING_MIN, SourceSentence, bigrams, share};
use crate::text::facts::{Fact, facts};
use crate::text::normalize;

/// A condition a sentence attaches to what it states: a deadline (「令和3年3月31日までに」),
/// a case (「〜場合は」), a restriction (「〜に限り」「〜のみ」), a 「〜であれば」「〜すれば」
/// clause. A claim of its sentence is true only under it.
pub(super) struct Condition {
    /// As written, from the start of its clause to its marker.
    pub(super) text: String,
    /// Its dates: a deadline is kept by its date, in any notation.
    dates: Vec<Fact>,
    /// Its content bigrams, and those that the rest of its sentence lacks (its own words).
    bigrams: HashSet<String>,
    own: HashSet<String>,
    /// The bigrams of its sentence outside what it governs: what the sentence states
    /// whether or not the condition holds.
    ungoverned: HashSet<String>,
}

/// Where a condition is written. 「場合も」「場合でも」 widen a claim rather than restrict it, and
/// 「できる限り」「例えば」「なければならない」 are no conditions (see [`is_condition`]).
static CONDITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"までに|場合(?:には|は|に)?|に限(?:り|る|ります|って)|限り|のみ|であれば|[えけげせぜてでねへべぺめれ]ば")
        .expect("valid regex")
});
/// A deadline named by its word rather than its date (「締切までに」「期限内に」).
static DEADLINE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:締め?切り?|〆切|期限|期日)日?(?:まで|内)").expect("valid regex")
});
/// A month's end or the month as a whole (「3月末」「3月中」): a deadline in that month.
static MONTH_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{1,2})月(?:末|中|いっぱい)").expect("valid regex"));

/// Whether the marker `found` in `text` starts a condition.
fn is_condition(text: &str, found: &regex::Match) -> bool {
    let before = &text[..found.start()];
    let after = &text[found.end()..];
    match found.as_str() {
        "場合" | "場合は" | "場合に" | "場合には" => {
            !(after.starts_with('も') || after.starts_with("でも"))
        }
        "限り" => {
            !(before.ends_with("できる") || before.ends_with("可能な") || after.starts_with("なく"))
        }
        "のみ" => !after.starts_with("ならず"),
        "えば" => !(before.ends_with('例') || before.ends_with("たと")),
        // 「しなければならない」 is a duty, 「すればよい」 advice.
        m if m.ends_with('ば') => !["なら", "なり", "いけ", "よい", "いい", "良い"]
            .iter()
            .any(|o| after.starts_with(o)),
        _ => true,
    }
}

/// The conditions a (normalised) statement attaches to what it states. A condition governs
/// the rest of its sentence from its clause on; a restriction inside a clause (「〜にのみ使用し、」)
/// governs that clause only. A 「までに」 without a date (「発注処理までに」) is no deadline.
pub(super) fn conditions(statement: &str) -> Vec<Condition> {
    let boundaries: Vec<usize> = statement
        .char_indices()
        .filter(|(_, c)| matches!(c, '、' | ','))
        .map(|(i, c)| i + c.len_utf8())
        .collect();
    let mut out = Vec::new();
    for found in CONDITION.find_iter(statement) {
        if !is_condition(statement, &found) {
            continue;
        }
        let start = boundaries
            .iter()
            .copied()
            .filter(|&b| b <= found.start())
            .max()
            .unwrap_or(0);
        let clause_end = boundaries
            .iter()
            .copied()
            .find(|&b| b > found.end())
            .unwrap_or(statement.len());
        let text = &statement[start..found.end()];
        let dates: Vec<Fact> = facts(text)
            .0
            .into_iter()
            .filter(|f| matches!(f, Fact::Date { .. } | Fact::YearMonth { .. }))
            .collect();
        if found.as_str() == "までに" && dates.is_empty() {
            continue;
        }
        let restriction =
            matches!(found.as_str(), "のみ" | "限り") || found.as_str().starts_with("に限");
        let inside = statement[found.end()..clause_end]
            .trim_end_matches(['、', ','])
            .chars()
            .any(|c| c.is_alphanumeric());
        let governed_end = if restriction && inside {
            clause_end
        } else {
            statement.len()
        };
        let words = bigrams(text);
        let rest = bigrams(&format!(
            "{}、{}",
            &statement[..start],
            &statement[found.end()..]
        ));
        let ungoverned = format!("{}、{}", &statement[..start], &statement[governed_end..]);
        out.push(Condition {
            text: text.trim_end_matches(['、', ',']).to_string(),
            dates,
            own: words.difference(&rest).cloned().collect(),
            bigrams: words,
            ungoverned: bigrams(&ungoverned),
        });
    }
    out
}

/// A draft sentence, for checking that it keeps the conditions of what it states.
pub(super) struct Stated {
    text: String,
    facts: Vec<Fact>,
    bigrams: HashSet<String>,
    conditions: Vec<Condition>,
}

impl Stated {
    pub(super) fn new(statement: &str) -> Self {
        let text = normalize(statement);
        Stated {
            facts: facts(&text).0,
            bigrams: bigrams(&text),
            conditions: conditions(&text),
            text,
        }
    }

    /// Whether it states `condition`, in its own words or others: a deadline by a date of
    /// the same day or month (or as 「締切までに」), a clause by one of its own words or by a
    /// condition of its own about the same thing.
    fn keeps(&self, condition: &Condition) -> bool {
        if !condition.dates.is_empty() {
            let month_ends: Vec<u32> = MONTH_END
                .captures_iter(&self.text)
                .filter_map(|c| c[1].parse().ok())
                .collect();
            return DEADLINE_WORD.is_match(&self.text)
                || condition.dates.iter().any(|wanted| {
                    self.facts.iter().any(|f| same_time(wanted, f))
                        || month_ends.iter().any(|m| month_of(wanted) == Some(*m))
                });
        }
        !condition.own.is_disjoint(&self.bigrams)
            || self
                .conditions
                .iter()
                .any(|c| !c.bigrams.is_disjoint(&condition.bigrams))
    }
}

fn month_of(fact: &Fact) -> Option<u32> {
    match fact {
        Fact::Date { month, .. } | Fact::YearMonth { month, .. } => Some(*month),
        _ => None,
    }
}

/// Two dates that may name the same day: the same month, and the same year and day where
/// both say them (「3月31日」 is 「令和3年3月31日」; 「令和3年3月」 contains it).
fn same_time(a: &Fact, b: &Fact) -> bool {
    let parts = |f: &Fact| match f {
        Fact::Date { year, month, day } => Some((*year, *month, Some(*day))),
        Fact::YearMonth { year, month } => Some((Some(*year), *month, None)),
        _ => None,
    };
    let (Some((ya, ma, da)), Some((yb, mb, db))) = (parts(a), parts(b)) else {
        return false;
    };
    fn agree<T: PartialEq>(x: Option<T>, y: Option<T>) -> bool {
        x.is_none() || y.is_none() || x == y
    }
    ma == mb && agree(ya, yb) && agree(da, db)
}

/// A condition that the source sentences saying a clause best (`stating`, with their
/// shares) attach to it and its sentence leaves out; `None` when one of them says it
/// unconditionally, or its sentence keeps the condition.
pub(super) fn dropped_condition<'e>(
    own: &HashSet<String>,
    stated: &Stated,
    stating: &[(f32, &'e SourceSentence)],
) -> Option<&'e Condition> {
    let best = stating
        .iter()
        .map(|(shared, _)| *shared)
        .fold(0.0, f32::max);
    let mut dropped = None;
    for (_, source) in stating.iter().filter(|(shared, _)| *shared >= best) {
        let left_out = source.conditions.iter().find(|condition| {
            // Said outside what the condition governs, the clause needs no condition.
            share(own, &condition.ungoverned) < GROUNDING_MIN && !stated.keeps(condition)
        });
        match left_out {
            None => return None,
            Some(condition) => dropped = dropped.or(Some(condition)),
        }
    }
    dropped
}
