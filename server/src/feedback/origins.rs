//! Which web origins may embed the widget and call the vote endpoint: the
//! token's `origins` intersected with the server's `--feedback-origins`
//! allowlist; the CORS and `frame-ancestors` headers that follow from it.

use axum::http::{HeaderMap, HeaderValue, header};

/// The normalised origin of a URL (`--public-url`, a `Referer`): its scheme
/// and authority, without path, query or fragment.
pub fn origin_of_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    normalize_origin(&format!("{scheme}://{}", rest.split(['/', '?', '#']).next()?))
}

/// Whether a normalised origin names the request's `Host` (same scheme
/// aside, this server as the browser reached it).
pub fn names_host(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let authority = origin.split_once("://").map_or("", |(_, authority)| authority);
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

/// `scheme://host[:port]` in lowercase without a trailing slash, if `text` is
/// an http(s) origin. Anything else (paths, spaces, `;`, `*`, quotes) is
/// refused, so a normalised origin is safe inside a CSP or CORS header.
pub fn normalize_origin(text: &str) -> Option<String> {
    let text = text.trim().strip_suffix('/').unwrap_or(text.trim()).to_ascii_lowercase();
    let (scheme, authority) = text.split_once("://")?;
    if !matches!(scheme, "http" | "https") || authority.is_empty() {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (host, Some(port)),
        _ => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'[' | b']' | b':'));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then_some(text)
}

/// The server's allowlist: `*` (any origin) or a list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowlist {
    any: bool,
    origins: Vec<String>,
}

impl Allowlist {
    /// From `--feedback-origins` entries; `*` allows any origin.
    pub fn parse(entries: &[String]) -> Result<Allowlist, String> {
        let mut list = Allowlist::default();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if entry == "*" {
                list.any = true;
            } else {
                list.origins.push(normalize_origin(entry).ok_or_else(|| format!("not a web origin: {entry:?}"))?);
            }
        }
        Ok(list)
    }

    /// Adds an origin (the demo's page).
    pub fn add(&mut self, origin: &str) {
        if let Some(origin) = normalize_origin(origin) {
            self.origins.push(origin);
        }
    }

    /// Whether the server allows `origin` at all (before looking at a token).
    pub fn allows(&self, origin: &str) -> bool {
        self.any || self.origins.iter().any(|o| o == origin)
    }

    /// The origins a token with `token_origins` may be used from.
    pub fn for_token(&self, token_origins: Option<&[String]>) -> Allowed {
        match (token_origins, self.any) {
            (None, true) => Allowed::Any,
            (None, false) => Allowed::List(self.origins.clone()),
            (Some(list), _) => Allowed::List(list.iter().filter(|o| self.allows(o)).cloned().collect()),
        }
    }
}

/// The origins one token may be used from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// Any origin (server allowlist `*`, token names none).
    Any,
    /// Exactly these.
    List(Vec<String>),
}

impl Allowed {
    /// Whether `origin` (normalised) is allowed.
    pub fn contains(&self, origin: &str) -> bool {
        match self {
            Allowed::Any => true,
            Allowed::List(list) => list.iter().any(|o| o == origin),
        }
    }

    /// `Content-Security-Policy` value for the embed page.
    pub fn frame_ancestors(&self) -> String {
        match self {
            Allowed::Any => "frame-ancestors *".to_owned(),
            Allowed::List(list) if list.is_empty() => "frame-ancestors 'none'".to_owned(),
            Allowed::List(list) => format!("frame-ancestors {}", list.join(" ")),
        }
    }
}

/// Where a request comes from, by its `Origin` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No `Origin`: not a browser's cross-site request (a backend, curl).
    NoOrigin,
    /// Plume's own pages (the embed page in its iframe).
    SameOrigin,
    /// Another site, by its normalised origin.
    Site(String),
}

impl Caller {
    /// Classifies a request by its `Origin` and `Host` headers. An `Origin`
    /// that is no web origin (`null`, garbage) is a site no list contains,
    /// except when the browser itself says the request is same-origin
    /// (`Sec-Fetch-Site`, which pages cannot set): the embed page's own form
    /// posts carry `Origin: null` because that page sends no referrer.
    pub fn of(headers: &HeaderMap) -> Caller {
        if headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"same-origin") {
            return Caller::SameOrigin;
        }
        let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
            return Caller::NoOrigin;
        };
        let Some(origin) = normalize_origin(origin) else { return Caller::Site("null".to_owned()) };
        if names_host(&origin, headers) { Caller::SameOrigin } else { Caller::Site(origin) }
    }

    /// The site's origin, if the caller is another site.
    pub fn site(&self) -> Option<&str> {
        match self {
            Caller::Site(origin) => Some(origin),
            _ => None,
        }
    }
}

/// CORS headers letting `origin` read the answer (and send the preflighted request).
pub fn cors_headers(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, DELETE, OPTIONS"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type, authorization"));
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    }
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Allowlist {
        Allowlist::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn origins_are_normalised_or_refused() {
        assert_eq!(normalize_origin("HTTP://LocalHost:8080/").as_deref(), Some("http://localhost:8080"));
        assert_eq!(normalize_origin("https://[::1]:3000").as_deref(), Some("https://[::1]:3000"));
        for bad in ["null", "ftp://x", "https://", "https://a/b", "https://a:port", "https://a 'self'", "*"] {
            assert_eq!(normalize_origin(bad), None, "{bad}");
        }
        assert!(Allowlist::parse(&["https://ok".into(), "bad origin".into()]).is_err());
    }

    #[test]
    fn token_origins_are_intersected_with_the_allowlist() {
        let server = list(&["https://a.example", "https://b.example"]);
        let token = ["https://b.example".to_owned(), "https://evil.example".to_owned()];
        let allowed = server.for_token(Some(&token));
        assert!(allowed.contains("https://b.example"));
        assert!(!allowed.contains("https://evil.example"), "not on the server's list");
        assert!(!allowed.contains("https://a.example"), "not on the token's list");
        assert_eq!(allowed.frame_ancestors(), "frame-ancestors https://b.example");
        assert_eq!(server.for_token(None).frame_ancestors(), "frame-ancestors https://a.example https://b.example");
        assert_eq!(list(&[]).for_token(Some(&token)).frame_ancestors(), "frame-ancestors 'none'");
        assert_eq!(list(&["*"]).for_token(None), Allowed::Any);
        assert!(list(&["*"]).for_token(Some(&token)).contains("https://evil.example"));
        assert!(!list(&["*"]).for_token(Some(&token)).contains("https://c.example"));
    }

    #[test]
    fn callers_are_told_apart_by_origin_and_host() {
        let headers = |origin: Option<&str>| {
            let mut map = HeaderMap::new();
            map.insert(header::HOST, HeaderValue::from_static("127.0.0.1:6006"));
            if let Some(origin) = origin {
                map.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            }
            map
        };
        assert_eq!(Caller::of(&headers(None)), Caller::NoOrigin);
        assert_eq!(Caller::of(&headers(Some("http://127.0.0.1:6006"))), Caller::SameOrigin);
        assert_eq!(Caller::of(&headers(Some("http://127.0.0.1:7000"))), Caller::Site("http://127.0.0.1:7000".into()));
        assert_eq!(Caller::of(&headers(Some("null"))), Caller::Site("null".into()));
        let mut own_form = headers(Some("null"));
        own_form.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert_eq!(Caller::of(&own_form), Caller::SameOrigin);
    }
}
