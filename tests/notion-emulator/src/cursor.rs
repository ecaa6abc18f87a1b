//! Opaque pagination cursors: base64 of (listing scope, position, epoch). A cursor from another
//! listing or from an older epoch (see `Emulator::expire_cursors`) is rejected.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Notion's default and maximum `page_size`.
pub const MAX_PAGE_SIZE: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Which listing the cursor belongs to (`children:<id>`, `search`, ...).
    #[serde(rename = "s")]
    pub scope: String,
    /// Index of the first item of the next page.
    #[serde(rename = "p")]
    pub position: usize,
    /// Cursor epoch at issue time.
    #[serde(rename = "e")]
    pub epoch: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("cursor is not valid")]
    Malformed,
    #[error("cursor belongs to another listing")]
    WrongScope,
    #[error("cursor has expired")]
    Expired,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(raw: &str, scope: &str, current_epoch: u64) -> Result<Cursor, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim())
            .map_err(|_| CursorError::Malformed)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| CursorError::Malformed)?;
        if cursor.scope != scope {
            return Err(CursorError::WrongScope);
        }
        if cursor.epoch != current_epoch {
            return Err(CursorError::Expired);
        }
        Ok(cursor)
    }
}

/// Parses a `page_size` (query string or body): 1..=100, default 100.
pub fn parse_page_size(raw: Option<&serde_json::Value>, location: &str) -> Result<usize, ApiError> {
    let Some(raw) = raw else {
        return Ok(MAX_PAGE_SIZE);
    };
    if raw.is_null() {
        return Ok(MAX_PAGE_SIZE);
    }
    let n = match raw {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    let Some(n) = n else {
        return Err(ApiError::validation(format!(
            "{location} failed validation: {location}.page_size should be a number, instead was `{raw}`."
        )));
    };
    if n > MAX_PAGE_SIZE as i64 {
        return Err(ApiError::validation(format!(
            "{location} failed validation: {location}.page_size should be ≤ `100`, instead was `{n}`."
        )));
    }
    if n < 1 {
        return Err(ApiError::validation(format!(
            "{location} failed validation: {location}.page_size should be ≥ `1`, instead was `{n}`."
        )));
    }
    Ok(n as usize)
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageWindow {
    pub start: usize,
    pub end: usize,
    pub next_cursor: Option<String>,
}

/// Cuts `total` items into the page that `start_cursor` asks for.
pub fn window(total: usize, start: usize, page_size: usize, scope: &str, epoch: u64) -> PageWindow {
    let start = start.min(total);
    let end = (start + page_size).min(total);
    let next_cursor = (end < total).then(|| {
        Cursor {
            scope: scope.to_string(),
            position: end,
            epoch,
        }
        .encode()
    });
    PageWindow {
        start,
        end,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursor_round_trips() {
        let c = Cursor {
            scope: "children:abc".into(),
            position: 200,
            epoch: 3,
        };
        let raw = c.encode();
        assert!(!raw.contains("children"), "cursor must be opaque");
        assert_eq!(Cursor::decode(&raw, "children:abc", 3), Ok(c));
    }

    #[test]
    fn foreign_and_stale_cursors_are_rejected() {
        let raw = Cursor {
            scope: "search".into(),
            position: 1,
            epoch: 0,
        }
        .encode();
        assert_eq!(
            Cursor::decode(&raw, "users", 0),
            Err(CursorError::WrongScope)
        );
        assert_eq!(Cursor::decode(&raw, "search", 1), Err(CursorError::Expired));
        assert_eq!(
            Cursor::decode("%%%", "search", 0),
            Err(CursorError::Malformed)
        );
        assert_eq!(
            Cursor::decode("aGVsbG8", "search", 0),
            Err(CursorError::Malformed)
        );
    }

    #[test]
    fn page_size_bounds() {
        assert_eq!(parse_page_size(None, "body").unwrap(), 100);
        assert_eq!(parse_page_size(Some(&json!(5)), "body").unwrap(), 5);
        assert_eq!(parse_page_size(Some(&json!("7")), "query").unwrap(), 7);
        let err = parse_page_size(Some(&json!(101)), "body").unwrap_err();
        assert_eq!(err.code, "validation_error");
        assert!(err.message.contains("page_size"));
        assert!(parse_page_size(Some(&json!(0)), "body").is_err());
        assert!(parse_page_size(Some(&json!("x")), "query").is_err());
    }

    #[test]
    fn window_hands_out_cursor_until_the_end() {
        let w = window(250, 0, 100, "s", 0);
        assert_eq!((w.start, w.end), (0, 100));
        let c = Cursor::decode(w.next_cursor.as_deref().unwrap(), "s", 0).unwrap();
        let w2 = window(250, c.position, 100, "s", 0);
        assert_eq!((w2.start, w2.end), (100, 200));
        let w3 = window(250, 200, 100, "s", 0);
        assert_eq!((w3.start, w3.end, w3.next_cursor), (200, 250, None));
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_text_never_panics(raw in "\\PC{0,200}") {
            let _ = Cursor::decode(&raw, "search", 0);
        }

        #[test]
        fn any_cursor_round_trips(scope in "[a-z:0-9-]{0,60}", position in 0usize..1_000_000, epoch in 0u64..10) {
            let c = Cursor { scope: scope.clone(), position, epoch };
            proptest::prop_assert_eq!(Cursor::decode(&c.encode(), &scope, epoch), Ok(c));
        }
    }
}
