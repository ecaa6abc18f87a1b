//! Time: Notion's minute-granular timestamps and a controllable offset so tests can make edits land
//! in a later minute without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

/// Wall clock plus an offset in minutes.
#[derive(Debug, Default)]
pub struct Clock {
    offset_minutes: AtomicI64,
}

impl Clock {
    pub fn advance(&self, minutes: i64) {
        self.offset_minutes.fetch_add(minutes, Ordering::SeqCst);
    }

    pub fn now(&self) -> OffsetDateTime {
        let offset = self.offset_minutes.load(Ordering::SeqCst);
        OffsetDateTime::now_utc() + time::Duration::minutes(offset)
    }

    /// Now, rounded down to the minute, in Notion's format.
    pub fn now_minute(&self) -> String {
        format_minute(self.now())
    }

    /// Now with millisecond precision (webhook event timestamps).
    pub fn now_precise(&self) -> String {
        format_millis(self.now())
    }
}

/// `2026-11-23T21:14:00.000Z`: rounded down to the minute, UTC.
pub fn format_minute(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00.000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `2026-11-23T21:14:05.123Z`.
pub fn format_millis(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses an RFC 3339 timestamp or a bare `YYYY-MM-DD` date (midnight UTC).
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    parse_date(s).map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
}

fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day_part = parts.next()?;
    let day: u8 = day_part.get(..2)?.parse().ok()?;
    if day_part.len() != 2 {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Re-renders any parseable timestamp in the minute-rounded format; keeps unparseable input.
pub fn normalize_minute(s: &str) -> String {
    parse_timestamp(s)
        .map(format_minute)
        .unwrap_or_else(|| s.to_string())
}

/// A fixed instant plus minutes: the generator's deterministic timeline.
pub fn base_plus_minutes(minutes: i64) -> String {
    // 2025-01-06T09:00:00Z, a Monday morning.
    let base =
        OffsetDateTime::from_unix_timestamp(1_736_154_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format_minute(base + time::Duration::minutes(minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_rounding_drops_seconds_and_millis() {
        let t = parse_timestamp("2026-11-23T21:14:59.999Z").unwrap();
        assert_eq!(format_minute(t), "2026-11-23T21:14:00.000Z");
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        let t = parse_timestamp("2026-06-27T16:55:59.083+02:00").unwrap();
        assert_eq!(format_minute(t), "2026-06-27T14:55:00.000Z");
    }

    #[test]
    fn bare_dates_parse_as_midnight() {
        assert_eq!(normalize_minute("2021-01-01"), "2021-01-01T00:00:00.000Z");
        assert!(parse_timestamp("2021-13-01").is_none());
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn advancing_the_clock_moves_now() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(5);
        let after = clock.now();
        assert!(after - before >= time::Duration::minutes(5));
    }

    #[test]
    fn base_timeline_is_minute_aligned() {
        assert_eq!(base_plus_minutes(0), "2025-01-06T09:00:00.000Z");
        assert_eq!(base_plus_minutes(61), "2025-01-06T10:01:00.000Z");
    }
}
