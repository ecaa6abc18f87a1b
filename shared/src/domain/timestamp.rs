//! Time as stored: `OffsetDateTime` in the domain, unix milliseconds in storage keys and indexes.

use time::OffsetDateTime;

/// The current time, truncated to milliseconds so that a value survives a round trip through
/// storage unchanged.
pub fn now() -> OffsetDateTime {
    truncate_to_millis(OffsetDateTime::now_utc())
}

/// Unix milliseconds of `at` (saturating: dates outside ±292 million years do not occur here).
pub fn to_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The instant `millis` after the unix epoch; out-of-range values clamp to the epoch's limits.
pub fn from_millis(millis: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).unwrap_or(
        if millis < 0 {
            OffsetDateTime::UNIX_EPOCH
        } else {
            time::PrimitiveDateTime::MAX.assume_utc()
        },
    )
}

/// Drops sub-millisecond precision.
pub fn truncate_to_millis(at: OffsetDateTime) -> OffsetDateTime {
    from_millis(to_millis(at))
}

/// `at + ttl`, saturating.
pub fn after(at: OffsetDateTime, ttl: std::time::Duration) -> OffsetDateTime {
    let millis = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    from_millis(to_millis(at).saturating_add(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip() {
        let at = now();
        assert_eq!(from_millis(to_millis(at)), at);
        assert_eq!(to_millis(OffsetDateTime::UNIX_EPOCH), 0);
    }

    #[test]
    fn after_adds_ttl() {
        let at = from_millis(1_000);
        assert_eq!(
            to_millis(after(at, std::time::Duration::from_millis(1_500))),
            2_500
        );
    }
}
