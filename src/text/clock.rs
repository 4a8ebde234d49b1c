//! Japan's clock. Deadlines, business hours and the analytics' days are all Japanese
//! dates, whatever the server's own time zone: this is the one place that knows the offset.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// Japan Standard Time: UTC+09:00 all year (Japan has no daylight saving).
pub const JAPAN: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+9 is a valid offset"),
};

/// Now in Japan, as a wall-clock time.
pub fn now_in_japan() -> NaiveDateTime {
    Utc::now().with_timezone(&JAPAN).naive_local()
}

/// Today in Japan.
pub fn today_in_japan() -> NaiveDate {
    now_in_japan().date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japan_is_nine_hours_ahead_of_utc() {
        let utc = chrono::DateTime::parse_from_rfc3339("2026-11-23T16:00:00Z").unwrap();
        let japan = utc.with_timezone(&JAPAN);
        assert_eq!(japan.to_rfc3339(), "2026-11-24T01:00:00+09:00");
    }
}
