//! Return URLs: where the browser goes after the connect flow. Only allow-listed URLs are
//! accepted (an open redirect would let anyone bounce users through Relay), and Relay's answer
//! is added to the URL's query.

use url::Url;

/// Why a return URL is refused (secret-free; shown to the app backend).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnUrlError {
    #[error("must be an absolute http or https URL")]
    NotHttp,
    #[error("must not contain a user name or password")]
    HasCredentials,
    #[error("is not in the allow-list (RELAY_RETURN_URL_ALLOWLIST)")]
    NotAllowed,
    #[error("no return URL is allowed: set RELAY_RETURN_URL_ALLOWLIST")]
    EmptyAllowList,
}

/// The allowed return URLs. An entry matches a URL with the same scheme, host and port when
/// - the paths are equal (and, if the entry has a query, the whole URL is equal), or
/// - the entry's path is a prefix of the URL's path on a segment boundary: entry
///   `https://app.example/settings` allows `/settings/notion` but not `/settings-evil`.
///
/// Paths are compared after URL normalisation (`..` and `%2e%2e` segments resolved), so a
/// prefix cannot be escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnUrlAllowList {
    entries: Vec<Url>,
}

impl ReturnUrlAllowList {
    /// Parses the configured entries; entries that are not absolute http(s) URLs are skipped and
    /// returned separately so the caller can log them.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> (Self, Vec<String>) {
        let mut entries = Vec::new();
        let mut invalid = Vec::new();
        for entry in raw {
            let entry = entry.as_ref().trim();
            match Url::parse(entry) {
                Ok(url) if is_http(&url) && !has_credentials(&url) => entries.push(url),
                _ => invalid.push(entry.to_owned()),
            }
        }
        (Self { entries }, invalid)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The parsed return URL, if the allow-list accepts it.
    pub fn check(&self, raw: &str) -> Result<Url, ReturnUrlError> {
        let url = Url::parse(raw.trim()).map_err(|_| ReturnUrlError::NotHttp)?;
        if !is_http(&url) {
            return Err(ReturnUrlError::NotHttp);
        }
        if has_credentials(&url) {
            return Err(ReturnUrlError::HasCredentials);
        }
        if self.entries.is_empty() {
            return Err(ReturnUrlError::EmptyAllowList);
        }
        if self.entries.iter().any(|entry| matches(entry, &url)) {
            Ok(url)
        } else {
            Err(ReturnUrlError::NotAllowed)
        }
    }
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host().is_some()
}

fn has_credentials(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

fn matches(entry: &Url, url: &Url) -> bool {
    if entry.scheme() != url.scheme()
        || entry.host() != url.host()
        || entry.port_or_known_default() != url.port_or_known_default()
    {
        return false;
    }
    if entry.query().is_some() {
        // An entry with a query names one exact URL.
        return entry.path() == url.path() && entry.query() == url.query();
    }
    let prefix = entry.path();
    let path = url.path();
    if path == prefix {
        return true;
    }
    if prefix.ends_with('/') {
        path.starts_with(prefix)
    } else {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// `url` with `pairs` appended to its query (existing parameters kept, fragment untouched).
pub fn with_params(url: &Url, pairs: &[(&str, &str)]) -> Url {
    let mut url = url.clone();
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in pairs {
            query.append_pair(key, value);
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> ReturnUrlAllowList {
        let (list, invalid) = ReturnUrlAllowList::parse(entries);
        assert!(invalid.is_empty(), "{invalid:?}");
        list
    }

    #[test]
    fn exact_matches_and_path_prefixes_on_segment_boundaries() {
        let list = list(&["https://app.example/settings", "http://127.0.0.1:3000/"]);
        assert!(list.check("https://app.example/settings").is_ok());
        assert!(
            list.check("https://app.example/settings?tab=notion")
                .is_ok()
        );
        assert!(list.check("https://app.example/settings/notion#x").is_ok());
        assert_eq!(
            list.check("https://app.example/settings-evil"),
            Err(ReturnUrlError::NotAllowed)
        );
        assert_eq!(
            list.check("https://app.example/other"),
            Err(ReturnUrlError::NotAllowed)
        );
        assert!(list.check("http://127.0.0.1:3000/anything/at/all").is_ok());
    }

    #[test]
    fn scheme_host_and_port_must_match_exactly() {
        let list = list(&["https://app.example/cb"]);
        assert!(list.check("http://app.example/cb").is_err());
        assert!(list.check("https://app.example.evil.com/cb").is_err());
        assert!(list.check("https://evil.com/app.example/cb").is_err());
        assert!(list.check("https://sub.app.example/cb").is_err());
        assert!(list.check("https://app.example:444/cb").is_err());
        assert!(list.check("https://app.example:443/cb").is_ok());
        assert!(list.check("https://APP.example/cb").is_ok());
    }

    #[test]
    fn traversal_and_tricks_cannot_escape_a_prefix() {
        let list = list(&["https://app.example/connect/"]);
        assert!(list.check("https://app.example/connect/done").is_ok());
        assert!(list.check("https://app.example/connect/../admin").is_err());
        assert!(
            list.check("https://app.example/connect/%2e%2e/admin")
                .is_err()
        );
        assert!(
            list.check("https://app.example\\@evil.com/connect/")
                .is_err()
        );
        assert_eq!(
            list.check("https://user:pw@app.example/connect/"),
            Err(ReturnUrlError::HasCredentials)
        );
        assert_eq!(
            list.check("javascript:alert(1)"),
            Err(ReturnUrlError::NotHttp)
        );
        assert_eq!(list.check("/connect/done"), Err(ReturnUrlError::NotHttp));
    }

    #[test]
    fn an_entry_with_a_query_is_one_exact_url() {
        let list = list(&["https://app.example/cb?source=relay"]);
        assert!(list.check("https://app.example/cb?source=relay").is_ok());
        assert!(list.check("https://app.example/cb?source=other").is_err());
        assert!(list.check("https://app.example/cb").is_err());
    }

    #[test]
    fn empty_and_invalid_entries() {
        let (list, invalid) = ReturnUrlAllowList::parse(&["not a url", "ftp://x.example/"]);
        assert_eq!(invalid.len(), 2);
        assert_eq!(
            list.check("https://app.example/"),
            Err(ReturnUrlError::EmptyAllowList)
        );
    }

    #[test]
    fn params_are_appended_to_the_query() {
        let url = Url::parse("https://app.example/cb?tab=1#frag").unwrap();
        let out = with_params(&url, &[("connection_id", "c-1"), ("status", "connected")]);
        assert_eq!(
            out.as_str(),
            "https://app.example/cb?tab=1&connection_id=c-1&status=connected#frag"
        );
        let out = with_params(
            &Url::parse("https://app.example/cb").unwrap(),
            &[("error", "a b")],
        );
        assert_eq!(out.as_str(), "https://app.example/cb?error=a+b");
    }
}
