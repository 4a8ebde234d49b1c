//! The call center's business hours, in Japan time: which moments are open, when it opens
//! next, and how to say so. Defaults: Mon–Fri 8:00–18:00, Sat 8:00–16:00; closed on
//! Sundays, national holidays and from 12/29 to 1/3. A TOML file can change them.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::Deserialize;

use crate::assistant::Language;

/// Opening hours of one weekday: `[open, close)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub open: NaiveTime,
    pub close: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    /// Monday first; `None` is closed.
    pub days: [Option<Span>; 7],
    pub closed_on_holidays: bool,
    /// Closed from this month/day to that one, across the new year (12/29–1/3).
    pub year_end: Option<((u32, u32), (u32, u32))>,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

impl Default for BusinessHours {
    fn default() -> Self {
        let weekday = Some(Span {
            open: hm(8, 0),
            close: hm(18, 0),
        });
        BusinessHours {
            days: [
                weekday,
                weekday,
                weekday,
                weekday,
                weekday,
                Some(Span {
                    open: hm(8, 0),
                    close: hm(16, 0),
                }),
                None,
            ],
            closed_on_holidays: true,
            year_end: Some(((12, 29), (1, 3))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursFile {
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: String,
    sunday: String,
    national_holidays: String,
    /// "MM-DD..MM-DD", or "none".
    year_end: String,
}

fn parse_span(key: &str, value: &str) -> Result<Option<Span>> {
    if value.trim() == "closed" {
        return Ok(None);
    }
    let parse = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M");
    match value.split_once('-') {
        Some((a, b)) => match (parse(a), parse(b)) {
            (Ok(open), Ok(close)) if open < close => Ok(Some(Span { open, close })),
            _ => bail!(
                "{key}: expected \"HH:MM-HH:MM\" (opening before closing) or \"closed\", got {value:?}"
            ),
        },
        None => bail!("{key}: expected \"HH:MM-HH:MM\" or \"closed\", got {value:?}"),
    }
}

fn parse_month_day(key: &str, value: &str) -> Result<(u32, u32)> {
    let bad = || anyhow::anyhow!("{key}: expected \"MM-DD..MM-DD\" or \"none\", got {value:?}");
    let (m, d) = value.trim().split_once('-').ok_or_else(bad)?;
    let (m, d): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    NaiveDate::from_ymd_opt(2024, m, d).ok_or_else(bad)?;
    Ok((m, d))
}

impl BusinessHours {
    /// Reads a TOML file; every problem names the key.
    pub fn load(path: &Path) -> Result<BusinessHours> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the business hours {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("business hours {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<BusinessHours> {
        let f: HoursFile = toml::from_str(text)?;
        let days = [
            parse_span("monday", &f.monday)?,
            parse_span("tuesday", &f.tuesday)?,
            parse_span("wednesday", &f.wednesday)?,
            parse_span("thursday", &f.thursday)?,
            parse_span("friday", &f.friday)?,
            parse_span("saturday", &f.saturday)?,
            parse_span("sunday", &f.sunday)?,
        ];
        let closed_on_holidays = match f.national_holidays.trim() {
            "closed" => true,
            "open" => false,
            other => bail!("national_holidays: expected \"closed\" or \"open\", got {other:?}"),
        };
        let year_end = match f.year_end.trim() {
            "none" => None,
            range => {
                let (a, b) = range.split_once("..").ok_or_else(|| {
                    anyhow::anyhow!(
                        "year_end: expected \"MM-DD..MM-DD\" or \"none\", got {range:?}"
                    )
                })?;
                Some((
                    parse_month_day("year_end", a)?,
                    parse_month_day("year_end", b)?,
                ))
            }
        };
        Ok(BusinessHours {
            days,
            closed_on_holidays,
            year_end,
        })
    }

    /// Whether the whole day is closed (holiday, year end).
    fn closed_day(&self, day: NaiveDate) -> bool {
        if self.closed_on_holidays && holiday(day).is_some() {
            return true;
        }
        if let Some(((fm, fd), (tm, td))) = self.year_end {
            let md = (day.month(), day.day());
            let (from, to) = ((fm, fd), (tm, td));
            let inside = if from <= to {
                md >= from && md <= to
            } else {
                md >= from || md <= to
            };
            if inside {
                return true;
            }
        }
        false
    }

    fn span(&self, day: NaiveDate) -> Option<Span> {
        if self.closed_day(day) {
            return None;
        }
        self.days[day.weekday().num_days_from_monday() as usize]
    }

    /// Whether the call center is open at `at` (Japan time).
    pub fn is_open(&self, at: NaiveDateTime) -> bool {
        self.span(at.date())
            .is_some_and(|s| at.time() >= s.open && at.time() < s.close)
    }

    /// The next opening at or after `at` (Japan time), within a year.
    pub fn next_open(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        if self.is_open(at) {
            return Some(at);
        }
        let mut day = at.date();
        for _ in 0..370 {
            if let Some(span) = self.span(day) {
                let open = day.and_time(span.open);
                if open >= at {
                    return Some(open);
                }
            }
            day += Duration::days(1);
        }
        None
    }

    /// The open hours in words: 「平日8:00〜18:00、土曜8:00〜16:00」, or in English
    /// "weekdays 8:00-18:00, Saturday 8:00-16:00".
    pub fn describe(&self, language: Language) -> String {
        let en = language == Language::En;
        let fmt = |s: Span| {
            let dash = if en { "-" } else { "〜" };
            format!(
                "{}{dash}{}",
                s.open.format("%-H:%M"),
                s.close.format("%-H:%M")
            )
        };
        let named = |ja: &str, english: &str, s: Span| {
            if en {
                format!("{english} {}", fmt(s))
            } else {
                format!("{ja}{}", fmt(s))
            }
        };
        let weekdays = &self.days[..5];
        let mut parts = Vec::new();
        if weekdays.iter().all(|d| *d == weekdays[0]) {
            if let Some(s) = weekdays[0] {
                parts.push(named("平日", "weekdays", s));
            }
        } else {
            let names = [
                ("月曜", "Monday"),
                ("火曜", "Tuesday"),
                ("水曜", "Wednesday"),
                ("木曜", "Thursday"),
                ("金曜", "Friday"),
            ];
            for ((ja, english), d) in names.iter().zip(weekdays) {
                if let Some(s) = d {
                    parts.push(named(ja, english, *s));
                }
            }
        }
        if let Some(s) = self.days[5] {
            parts.push(named("土曜", "Saturday", s));
        }
        if let Some(s) = self.days[6] {
            parts.push(named("日曜", "Sunday", s));
        }
        // Only the open hours: the notice states those (月～金 8:00-18:00、土 8:00-16:00); the
        // closed days are this service's configuration, used to compute, not to quote.
        parts.join(if en { ", " } else { "、" })
    }
}

/// Japan's national holiday on `day`, by the Act on National Holidays as amended to 2020
/// (with the Olympic moves of 2020 and 2021), including substitute holidays (振替休日) and
/// days between two holidays (国民の休日). Equinox days by the usual formula (1980–2099).
pub fn holiday(day: NaiveDate) -> Option<&'static str> {
    if let Some(name) = named_holiday(day) {
        return Some(name);
    }
    // 振替休日: the first non-holiday after a run of holidays that includes a Sunday.
    let mut back = day.pred_opt()?;
    while named_holiday(back).is_some() {
        if back.weekday() == Weekday::Sun {
            return Some("振替休日");
        }
        back = back.pred_opt()?;
    }
    // 国民の休日: a weekday between two holidays.
    if day.weekday() != Weekday::Sun
        && named_holiday(day.pred_opt()?).is_some()
        && named_holiday(day.succ_opt()?).is_some()
    {
        return Some("国民の休日");
    }
    None
}

fn nth_monday(year: i32, month: u32, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, n).expect("valid date")
}

fn equinox(year: i32, base: f64) -> u32 {
    let y = f64::from(year - 1980);
    (base + 0.242194 * y - (y / 4.0).floor()).floor() as u32
}

fn named_holiday(day: NaiveDate) -> Option<&'static str> {
    let (y, m, d) = (day.year(), day.month(), day.day());
    let is = |month: u32, date: u32| m == month && d == date;
    let monday = |month: u32, n: u8| day == nth_monday(y, month, n);
    let name = match () {
        _ if is(1, 1) => "元日",
        _ if monday(1, 2) => "成人の日",
        _ if is(2, 11) => "建国記念の日",
        _ if y >= 2020 && is(2, 23) => "天皇誕生日",
        _ if is(3, equinox(y, 20.8431)) => "春分の日",
        _ if is(4, 29) => "昭和の日",
        _ if is(5, 3) => "憲法記念日",
        _ if is(5, 4) => "みどりの日",
        _ if is(5, 5) => "こどもの日",
        _ if y == 2020 && is(7, 23) || y == 2021 && is(7, 22) => "海の日",
        _ if y != 2020 && y != 2021 && monday(7, 3) => "海の日",
        _ if y == 2020 && is(8, 10) || y == 2021 && is(8, 8) => "山の日",
        _ if y != 2020 && y != 2021 && is(8, 11) => "山の日",
        _ if monday(9, 3) => "敬老の日",
        _ if is(9, equinox(y, 23.2488)) => "秋分の日",
        _ if y == 2020 && is(7, 24) || y == 2021 && is(7, 23) => "スポーツの日",
        _ if y != 2020 && y != 2021 && monday(10, 2) => "スポーツの日",
        _ if is(11, 3) => "文化の日",
        _ if is(11, 23) => "勤労感謝の日",
        _ => return None,
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn holidays_of_2021_and_2026_are_known() {
        for (d, name) in [
            ("2021-01-01", "元日"),
            ("2021-01-11", "成人の日"),
            ("2021-02-23", "天皇誕生日"),
            ("2021-03-20", "春分の日"),
            ("2021-07-22", "海の日"),
            ("2021-07-23", "スポーツの日"),
            ("2021-08-08", "山の日"),
            ("2021-08-09", "振替休日"),
            ("2021-09-20", "敬老の日"),
            ("2021-09-23", "秋分の日"),
            ("2026-05-06", "振替休日"),
            ("2026-09-22", "国民の休日"),
            ("2026-11-23", "勤労感謝の日"),
        ] {
            assert_eq!(holiday(date(d)), Some(name), "{d}");
        }
        for d in ["2021-03-03", "2021-10-11", "2026-11-24", "2026-09-24"] {
            assert_eq!(holiday(date(d)), None, "{d}");
        }
    }

    #[test]
    fn saturday_closes_at_sixteen_and_sunday_is_closed() {
        let h = BusinessHours::default();
        // 2021-03-06 is a Saturday.
        assert!(h.is_open(at("2021-03-06 15:59")));
        assert!(!h.is_open(at("2021-03-06 16:00")));
        assert!(!h.is_open(at("2021-03-07 10:00")));
        assert_eq!(
            h.next_open(at("2021-03-06 16:00")),
            Some(at("2021-03-08 08:00"))
        );
        // Weekdays: 8:00 opens, 18:00 closes.
        assert!(!h.is_open(at("2021-03-08 07:59")));
        assert!(h.is_open(at("2021-03-08 08:00")));
        assert!(!h.is_open(at("2021-03-08 18:00")));
        assert_eq!(
            h.next_open(at("2021-03-08 18:00")),
            Some(at("2021-03-09 08:00"))
        );
    }

    #[test]
    fn holidays_and_the_year_end_are_closed() {
        let h = BusinessHours::default();
        // 2021-03-20 (春分の日) is a Saturday; the next opening is Monday.
        assert!(!h.is_open(at("2021-03-20 10:00")));
        assert_eq!(
            h.next_open(at("2021-03-19 18:30")),
            Some(at("2021-03-22 08:00"))
        );
        // 12/29 to 1/3 closed, across the year; 2022-01-04 is a Tuesday.
        assert!(h.is_open(at("2021-12-28 17:59")));
        assert!(!h.is_open(at("2021-12-29 09:00")));
        assert!(!h.is_open(at("2022-01-03 09:00")));
        assert_eq!(
            h.next_open(at("2021-12-28 18:00")),
            Some(at("2022-01-04 08:00"))
        );
    }

    #[test]
    fn the_default_hours_read_as_the_contact_faq_states_them() {
        assert_eq!(
            BusinessHours::default().describe(Language::Ja),
            "平日8:00〜18:00、土曜8:00〜16:00"
        );
        assert_eq!(
            BusinessHours::default().describe(Language::En),
            "weekdays 8:00-18:00, Saturday 8:00-16:00"
        );
    }

    #[test]
    fn a_hours_file_is_checked_key_by_key() {
        let ok = "monday = \"09:00-17:00\"\ntuesday = \"09:00-17:00\"\nwednesday = \"09:00-17:00\"\n\
                  thursday = \"09:00-17:00\"\nfriday = \"09:00-17:00\"\nsaturday = \"closed\"\n\
                  sunday = \"closed\"\nnational_holidays = \"open\"\nyear_end = \"none\"\n";
        let h = BusinessHours::parse(ok).unwrap();
        assert!(!h.is_open(at("2021-03-20 10:00")), "Saturday closed");
        assert!(
            h.is_open(at("2021-11-23 10:00")),
            "open on a holiday (a Tuesday)"
        );
        let bad = ok.replace("\"09:00-17:00\"\ntuesday", "\"17:00-09:00\"\ntuesday");
        let err = BusinessHours::parse(&bad).unwrap_err().to_string();
        assert!(err.contains("monday"), "{err}");
        let err = BusinessHours::parse(&ok.replace("\"none\"", "\"12/29-1/3\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("year_end"), "{err}");
    }
}
