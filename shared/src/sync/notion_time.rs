//! Notion timestamps (`last_edited_time`, `created_time`): RFC 3339 strings, minute-granular for
//! pages, databases and blocks. Compared as instants, never as strings.

use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses a Notion timestamp; `None` when absent or malformed.
pub fn parse(raw: Option<&str>) -> Option<OffsetDateTime> {
    raw.and_then(|raw| OffsetDateTime::parse(raw.trim(), &Rfc3339).ok())
}

/// Formats an instant the way Notion filters accept it.
pub fn format(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// `at - overlap`, saturating at the epoch's limits.
pub fn minus(at: OffsetDateTime, overlap: Duration) -> OffsetDateTime {
    let overlap = time::Duration::try_from(overlap).unwrap_or(time::Duration::ZERO);
    at.checked_sub(overlap).unwrap_or(at)
}

/// The later of two optional instants.
pub fn max(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Notion ids arrive with or without dashes: records use the dashed lowercase form of UUIDs and
/// keep anything else as given.
pub fn normalize_id(raw: &str) -> String {
    match uuid::Uuid::parse_str(raw.trim()) {
        Ok(id) => id.hyphenated().to_string(),
        Err(_) => raw.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn parses_notion_timestamps_and_compares_instants() {
        let a = parse(Some("2026-03-01T10:05:00.000Z")).unwrap();
        let b = parse(Some("2026-03-01T11:04:00+01:00")).unwrap();
        assert!(b < a);
        assert_eq!(parse(Some("yesterday")), None);
        assert_eq!(parse(None), None);
        assert_eq!(
            minus(a, Duration::from_secs(120)),
            datetime!(2026-03-01 10:03 UTC)
        );
        assert_eq!(parse(Some(&format(a))), Some(a));
        assert_eq!(max(Some(a), Some(b)), Some(a));
        assert_eq!(max(None, Some(b)), Some(b));
    }

    #[test]
    fn ids_are_dashed_lowercase() {
        assert_eq!(
            normalize_id(
                "59833787 2cf94fdf8782e53db20768a5"
                    .replace(' ', "")
                    .as_str()
            ),
            "59833787-2cf9-4fdf-8782-e53db20768a5"
        );
        assert_eq!(normalize_id("not-a-uuid"), "not-a-uuid");
    }
}
