//! Fault injection: the next N requests fail, hang, or have their cursor treated as expired.

use std::time::Duration;

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer this HTTP status with Notion's error code for it (429/529 carry `Retry-After: 1`).
    Status(u16),
    /// Wait this long, then answer normally (client timeouts).
    Hang(Duration),
    /// The `start_cursor` handed in is treated as expired (400 `validation_error`).
    ExpireCursor,
    /// The request is applied, then answered with this status instead of its result (a write
    /// that timed out at Notion's edge after it was applied).
    StatusAfterApply(u16),
}

/// Applies to the next `count` API requests that match `path_prefix` and `method` (when set).
/// For `ExpireCursor`, only requests that carry a cursor count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub count: u32,
    pub kind: FaultKind,
    pub path_prefix: Option<String>,
    pub method: Option<String>,
}

impl Fault {
    /// The next `count` requests answer `status`.
    pub fn status(status: u16, count: u32) -> Fault {
        Fault {
            count,
            kind: FaultKind::Status(status),
            path_prefix: None,
            method: None,
        }
    }

    /// The next `count` requests wait `duration` first.
    pub fn hang(duration: Duration, count: u32) -> Fault {
        Fault {
            count,
            kind: FaultKind::Hang(duration),
            path_prefix: None,
            method: None,
        }
    }

    /// The next `count` requests are applied but answered `status` (e.g. 504).
    pub fn status_after_apply(status: u16, count: u32) -> Fault {
        Fault {
            count,
            kind: FaultKind::StatusAfterApply(status),
            path_prefix: None,
            method: None,
        }
    }

    /// The next `count` cursors handed in are expired.
    pub fn expire_cursor(count: u32) -> Fault {
        Fault {
            count,
            kind: FaultKind::ExpireCursor,
            path_prefix: None,
            method: None,
        }
    }

    /// Only requests whose path starts with `prefix` (e.g. `/v1/blocks`).
    pub fn on_path(mut self, prefix: &str) -> Fault {
        self.path_prefix = Some(prefix.to_string());
        self
    }

    /// Only requests with this method (case-insensitive).
    pub fn on_method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.count > 0
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| path.starts_with(prefix))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

#[derive(Debug, Default)]
pub struct FaultQueue {
    faults: Vec<Fault>,
}

impl FaultQueue {
    pub fn push(&mut self, fault: Fault) {
        if fault.count > 0 {
            self.faults.push(fault);
        }
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    pub fn pending(&self) -> Vec<Fault> {
        self.faults.clone()
    }

    /// The status or hang fault for this request, consuming one use.
    pub fn take_request_fault(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        self.take(method, path, |k| !matches!(k, FaultKind::ExpireCursor))
    }

    /// Whether the cursor of this request is to be treated as expired, consuming one use.
    pub fn take_cursor_expiry(&mut self, method: &str, path: &str) -> bool {
        self.take(method, path, |k| matches!(k, FaultKind::ExpireCursor))
            .is_some()
    }

    fn take(
        &mut self,
        method: &str,
        path: &str,
        kind: impl Fn(&FaultKind) -> bool,
    ) -> Option<FaultKind> {
        let index = self
            .faults
            .iter()
            .position(|f| kind(&f.kind) && f.matches(method, path))?;
        let fault = &mut self.faults[index];
        fault.count -= 1;
        let kind = fault.kind.clone();
        if fault.count == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order_and_filtered() {
        let mut q = FaultQueue::default();
        q.push(Fault::status(503, 2).on_path("/v1/blocks").on_method("get"));
        q.push(Fault::expire_cursor(1));
        assert_eq!(q.take_request_fault("POST", "/v1/blocks/x"), None);
        assert_eq!(q.take_request_fault("GET", "/v1/pages/x"), None);
        assert_eq!(
            q.take_request_fault("GET", "/v1/blocks/x"),
            Some(FaultKind::Status(503))
        );
        assert_eq!(
            q.take_request_fault("GET", "/v1/blocks/y"),
            Some(FaultKind::Status(503))
        );
        assert_eq!(q.take_request_fault("GET", "/v1/blocks/z"), None);
        assert!(q.take_cursor_expiry("GET", "/v1/users"));
        assert!(!q.take_cursor_expiry("GET", "/v1/users"));
        assert!(q.pending().is_empty());
    }

    #[test]
    fn status_after_apply_is_a_request_fault() {
        let mut q = FaultQueue::default();
        q.push(Fault::status_after_apply(504, 1).on_method("PATCH"));
        assert!(!q.take_cursor_expiry("PATCH", "/v1/blocks/x/children"));
        assert_eq!(
            q.take_request_fault("PATCH", "/v1/blocks/x/children"),
            Some(FaultKind::StatusAfterApply(504))
        );
        assert_eq!(q.take_request_fault("PATCH", "/v1/blocks/x/children"), None);
    }
}
