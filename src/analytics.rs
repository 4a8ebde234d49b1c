//! What users could not get answered, for editors: questions that got no answer or a 👎
//! (a request for a person, or about one's own application, is not a gap in the knowledge
//! base), as the assistant understood them (a follow-up with its topic), grouped by
//! similarity (character bigrams, so 「締切はいつ」 and
//! 「しめきりはいつですか」 after normalisation fall together); the most asked questions;
//! and per day (Japan time) the answer, handoff and 👍 rates. Phone numbers and e-mail
//! addresses are masked (a My Number is never stored in the first place).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate};
use serde::Serialize;

use crate::text::clock::JAPAN;
use crate::text::csv::Sheet;
use crate::text::{contacts, normalize};

/// Two questions are one group when their bigram sets overlap this much (Jaccard), or
/// when the shorter one's bigrams are mostly in the longer one (a question with more
/// words around it).
const SAME_GROUP: f32 = 0.45;
const CONTAINED: f32 = 0.75;
/// Containment counts only for questions of at least this many bigrams.
const CONTAINED_MIN: usize = 4;
/// Examples shown per group, and groups and top questions listed.
const EXAMPLES: usize = 3;
const LISTED: usize = 30;

/// One user question with what became of it.
#[derive(Debug, Clone)]
pub struct QuestionRow {
    pub text: String,
    /// The question as the assistant understood it, when that differs (a follow-up).
    pub understood_as: Option<String>,
    /// RFC 3339, UTC.
    pub at: String,
    /// The answer's outcome (`None`: forwarded to an agent, not answered by the bot).
    pub outcome: Option<String>,
    /// 👍/👎 on the answer.
    pub rating: Option<String>,
    /// The answer's writer (`small_talk` is left out of the lists).
    pub writer: Option<String>,
    /// The answer as the user saw it.
    pub answer: Option<String>,
    /// What the user wrote with a 👎.
    pub comment: Option<String>,
    /// The notice sections the answer cited (`doc-id#section-id`).
    pub sources: Vec<String>,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Day {
    pub date: NaiveDate,
    pub questions: u32,
    pub answered: u32,
    pub no_answer: u32,
    pub handoff: u32,
    pub tickets: u32,
    pub up: u32,
    pub down: u32,
    /// answered / questions the bot answered (not those forwarded to an agent).
    pub answer_rate: Option<f32>,
    /// tickets opened / questions.
    pub handoff_rate: Option<f32>,
    /// 👍 / (👍 + 👎).
    pub up_rate: Option<f32>,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Reasons {
    pub no_answer: usize,
    pub down: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub count: usize,
    pub reasons: Reasons,
    /// The most recent wordings, masked.
    pub examples: Vec<String>,
}

/// An answer a user rated 👎, with what they wrote: where 「この回答を直す」 starts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Disliked {
    /// RFC 3339, UTC.
    pub at: String,
    /// Masked, as all users' texts here.
    pub question: String,
    pub answer: String,
    pub comment: Option<String>,
    /// The notice sections the answer cited (`doc-id#section-id`).
    pub sources: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Top {
    pub question: String,
    pub count: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<Day>,
    pub unanswered: Vec<Group>,
    /// Newest first.
    pub disliked: Vec<Disliked>,
    pub top: Vec<Top>,
}

fn day_of(at: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&JAPAN).date_naive())
}

/// Phone numbers and e-mail addresses replaced by ＊＊＊ (in the normalised text, where
/// full-width digits are digits).
pub fn mask(text: &str) -> String {
    let text = unicode_normalization::UnicodeNormalization::nfkc(text).collect::<String>();
    contacts::masked(&text, "＊＊＊")
}

/// The question folded for comparison: normalised, without spaces and punctuation.
fn key(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn bigrams(key: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() == 1 {
        return HashSet::from([(chars[0], ' ')]);
    }
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

fn similar(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> bool {
    let inter = a.intersection(b).count() as f32;
    let union = (a.len() + b.len()) as f32 - inter;
    let smaller = a.len().min(b.len());
    (union > 0.0 && inter / union >= SAME_GROUP)
        || (smaller >= CONTAINED_MIN && inter / smaller as f32 >= CONTAINED)
}

fn rate(part: u32, whole: u32) -> Option<f32> {
    (whole > 0).then(|| part as f32 / whole as f32)
}

/// The report over `[from, to]` (Japan dates) of `rows` and the tickets opened at
/// `tickets` (RFC 3339 times).
pub fn report(rows: &[QuestionRow], tickets: &[String], from: NaiveDate, to: NaiveDate) -> Report {
    let mut days: BTreeMap<NaiveDate, Day> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            (
                date,
                Day {
                    date,
                    ..Day::default()
                },
            )
        })
        .collect();
    for t in tickets {
        if let Some(day) = day_of(t).and_then(|d| days.get_mut(&d)) {
            day.tickets += 1;
        }
    }
    // Unanswered groups: (representative bigrams, group), newest question first.
    let mut groups: Vec<(HashSet<(char, char)>, Group)> = Vec::new();
    let mut counts: HashMap<String, (usize, String)> = HashMap::new();
    let mut disliked = Vec::new();
    for row in rows.iter().rev() {
        let Some(day) = day_of(&row.at).and_then(|d| days.get_mut(&d)) else {
            continue;
        };
        day.questions += 1;
        let down = row.rating.as_deref() == Some("down");
        match row.outcome.as_deref() {
            Some("answered") => day.answered += 1,
            Some("no_answer") => day.no_answer += 1,
            Some("handoff") => day.handoff += 1,
            _ => {}
        }
        match row.rating.as_deref() {
            Some("up") => day.up += 1,
            Some("down") => day.down += 1,
            _ => {}
        }
        // Greetings and thanks are neither a question to add to the knowledge base nor one
        // the bot failed; nor is what a user wrote to the agent who had the conversation.
        // A follow-up (「薬局の場合は？」) is listed as understood, with its topic.
        let asked = mask(row.understood_as.as_deref().unwrap_or(&row.text));
        let k = key(&asked);
        if k.is_empty() || row.writer.as_deref() == Some("small_talk") || row.outcome.is_none() {
            continue;
        }
        if down && disliked.len() < LISTED {
            disliked.push(Disliked {
                at: row.at.clone(),
                question: asked.clone(),
                // The bot's own words, from the knowledge base: shown as the user saw them.
                answer: row.answer.clone().unwrap_or_default(),
                comment: row.comment.as_deref().map(mask),
                sources: row.sources.clone(),
            });
        }
        counts
            .entry(k.clone())
            .or_insert_with(|| (0, asked.clone()))
            .0 += 1;
        // A handoff answers a request for a person or about one's own case: not a gap.
        let no_answer = row.outcome.as_deref() == Some("no_answer");
        if !(no_answer || down) {
            continue;
        }
        let grams = bigrams(&k);
        let group = match groups.iter_mut().find(|(rep, _)| similar(rep, &grams)) {
            Some((_, g)) => g,
            None => {
                groups.push((
                    grams,
                    Group {
                        count: 0,
                        reasons: Reasons::default(),
                        examples: Vec::new(),
                    },
                ));
                &mut groups.last_mut().expect("just pushed").1
            }
        };
        group.count += 1;
        group.reasons.no_answer += usize::from(no_answer);
        group.reasons.down += usize::from(down);
        if group.examples.len() < EXAMPLES && !group.examples.contains(&asked) {
            group.examples.push(asked);
        }
    }
    for day in days.values_mut() {
        let bot_answered = day.answered + day.no_answer + day.handoff;
        day.answer_rate = rate(day.answered, bot_answered);
        day.handoff_rate = rate(day.tickets, day.questions);
        day.up_rate = rate(day.up, day.up + day.down);
    }
    let mut unanswered: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();
    unanswered.sort_by_key(|g| std::cmp::Reverse(g.count));
    unanswered.truncate(LISTED);
    let mut top: Vec<Top> = counts
        .into_values()
        .map(|(count, question)| Top { question, count })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then(a.question.cmp(&b.question)));
    top.truncate(LISTED);
    Report {
        from,
        to,
        days: days.into_values().collect(),
        unanswered,
        disliked,
        top,
    }
}

/// The report as CSV (UTF-8 with BOM, for Excel): the days, then the unanswered groups.
pub fn csv(report: &Report) -> String {
    let pct = |r: Option<f32>| r.map(|r| format!("{:.1}", r * 100.0)).unwrap_or_default();
    let mut sheet = Sheet::new();
    sheet.plain([
        "日付",
        "質問数",
        "回答",
        "回答なし",
        "引き継ぎ提案",
        "問い合わせ票",
        "👍",
        "👎",
        "回答率(%)",
        "引き継ぎ率(%)",
        "👍率(%)",
    ]);
    for d in &report.days {
        sheet.plain([
            d.date.to_string(),
            d.questions.to_string(),
            d.answered.to_string(),
            d.no_answer.to_string(),
            d.handoff.to_string(),
            d.tickets.to_string(),
            d.up.to_string(),
            d.down.to_string(),
            pct(d.answer_rate),
            pct(d.handoff_rate),
            pct(d.up_rate),
        ]);
    }
    sheet.blank();
    sheet.plain(["件数", "回答なし", "👎", "質問の例"]);
    for g in &report.unanswered {
        // The examples are what users typed: the whole row is quoted.
        sheet.quoted([
            g.count.to_string(),
            g.reasons.no_answer.to_string(),
            g.reasons.down.to_string(),
            g.examples.join(" / "),
        ]);
    }
    sheet.finish()
}

/// The last `days` days up to `today` (Japan time): the first and last day, and the first
/// day's midnight in Japan as the RFC 3339 UTC time the database compares with.
pub fn window(days: u32, today: NaiveDate) -> anyhow::Result<(NaiveDate, NaiveDate, String)> {
    let from = today - chrono::Days::new(u64::from(days.max(1)) - 1);
    let since = chrono::DateTime::parse_from_rfc3339(&format!("{from}T00:00:00+09:00"))?
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Ok((from, today, since))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str, at: &str, outcome: Option<&str>, rating: Option<&str>) -> QuestionRow {
        QuestionRow {
            text: text.into(),
            understood_as: None,
            at: at.into(),
            outcome: outcome.map(str::to_string),
            rating: rating.map(str::to_string),
            writer: None,
            answer: None,
            comment: None,
            sources: Vec::new(),
        }
    }

    #[test]
    fn phone_numbers_and_e_mail_addresses_are_masked() {
        assert_eq!(
            mask("０３－１２３４－５６７８かtaro@example.jpに連絡を"),
            "＊＊＊か＊＊＊に連絡を"
        );
        assert_eq!(mask("令和3年3月31日まで"), "令和3年3月31日まで");
        assert_eq!(mask("2021-03-31までですか"), "2021-03-31までですか");
        assert_eq!(mask("09012345678です"), "＊＊＊です");
    }

    #[test]
    fn similar_unanswered_questions_are_grouped_and_days_are_counted_in_japan_time() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let rows = vec![
            row(
                "駐車場はありますか",
                "2026-11-23T01:00:00Z",
                Some("no_answer"),
                None,
            ),
            row(
                "駐車場はありますか？",
                "2026-11-23T02:00:00Z",
                Some("no_answer"),
                None,
            ),
            row(
                "駐車場ありますか",
                "2026-11-23T03:00:00Z",
                Some("answered"),
                Some("down"),
            ),
            row(
                "締切はいつ",
                "2026-11-23T04:00:00Z",
                Some("answered"),
                Some("up"),
            ),
            row(
                "担当者と話したい",
                "2026-11-23T16:00:00Z",
                Some("handoff"),
                None,
            ),
        ];
        let tickets = vec!["2026-11-23T16:01:00Z".to_string()];
        let r = report(&rows, &tickets, d("2026-11-23"), d("2026-11-24"));
        // Parking, and nothing else: asking for a person is not a question left unanswered.
        assert_eq!(r.unanswered.len(), 1, "{:?}", r.unanswered);
        let parking = &r.unanswered[0];
        assert_eq!(parking.count, 3);
        assert_eq!(parking.reasons.no_answer, 2);
        assert_eq!(parking.reasons.down, 1);
        // 16:00 UTC is the next day in Japan.
        assert_eq!(r.days[0].questions, 4);
        assert_eq!(r.days[0].answer_rate, Some(0.5));
        assert_eq!(r.days[0].up_rate, Some(0.5));
        assert_eq!(r.days[1].questions, 1);
        assert_eq!(r.days[1].tickets, 1);
        assert_eq!(r.top[0].count, 2); // the same wording, punctuation aside
        let csv = csv(&r);
        assert!(csv.starts_with('\u{feff}') && csv.contains("2026-11-23,4,2,2,0,0,1,1,50.0"));
    }

    #[test]
    fn small_talk_is_left_out_and_disliked_answers_keep_their_comment_masked() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut thanks = row(
            "ありがとう",
            "2026-11-23T01:00:00Z",
            Some("no_answer"),
            None,
        );
        thanks.writer = Some("small_talk".into());
        let mut disliked = row(
            "締切はいつ",
            "2026-11-23T02:00:00Z",
            Some("answered"),
            Some("down"),
        );
        disliked.answer = Some("3月31日です。".into());
        disliked.comment = Some("03-1234-5678に電話したい".into());
        disliked.sources = vec!["filing-notes#deadline".into()];
        let to_agent = row("まだでしょうか", "2026-11-23T03:00:00Z", None, None);
        let r = report(
            &[thanks, disliked, to_agent],
            &[],
            d("2026-11-23"),
            d("2026-11-23"),
        );
        assert!(r.top.iter().all(|t| t.question != "まだでしょうか"));
        assert_eq!(r.unanswered.len(), 1, "{:?}", r.unanswered);
        assert_eq!(r.unanswered[0].examples, ["締切はいつ"]);
        assert!(r.top.iter().all(|t| t.question != "ありがとう"));
        assert_eq!(r.disliked.len(), 1);
        let d = &r.disliked[0];
        assert_eq!(
            (d.question.as_str(), d.answer.as_str()),
            ("締切はいつ", "3月31日です。")
        );
        assert_eq!(d.comment.as_deref(), Some("＊＊＊に電話したい"));
        assert_eq!(d.sources, ["filing-notes#deadline"]);
    }

    #[test]
    fn a_follow_up_is_listed_as_understood() {
        let d = NaiveDate::parse_from_str("2026-11-23", "%Y-%m-%d").unwrap();
        let mut follow_up = row(
            "薬局の場合は？",
            "2026-11-23T01:00:00Z",
            Some("no_answer"),
            None,
        );
        follow_up.understood_as = Some("駐車場について、薬局の場合は？".into());
        let r = report(&[follow_up], &[], d, d);
        // Masked as every user text here (NFKC: the full-width ？ is ?).
        assert_eq!(r.unanswered[0].examples, ["駐車場について、薬局の場合は?"]);
        assert_eq!(r.top[0].question, "駐車場について、薬局の場合は?");
    }
}
