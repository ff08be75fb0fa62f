//! DNS rebinding: a page on `http://evil.example:6006` whose name later
//! resolves to 127.0.0.1 talks to Plume as if it were its own origin, so the
//! browser lets it read every answer. The one thing it cannot change is the
//! `Host` it sends (`evil.example:6006`), so only names of this server are
//! served; anything else gets a 421 before any handler runs.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::connections::LocalAddr;

/// The host names (without port) this server answers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedHosts {
    /// `--allowed-hosts '*'`: the check is off (a proxy in front checks).
    any: bool,
    /// Lowercase names; IPv6 addresses in brackets, as in a `Host` header.
    names: Vec<String>,
}

impl AllowedHosts {
    /// `localhost`, `127.0.0.1`, `[::1]`, the bound address (unless it is
    /// `0.0.0.0`/`::`), the host of `public_url`, and `extra` (names, with or
    /// without a port; `*` turns the check off).
    pub fn new(bind: IpAddr, public_url: Option<&str>, extra: &[String]) -> Result<AllowedHosts, String> {
        let mut hosts = AllowedHosts { any: false, names: vec![] };
        for name in ["localhost", "127.0.0.1", "[::1]"] {
            hosts.names.push(name.to_owned());
        }
        if !bind.is_unspecified() {
            hosts.names.push(ip_host(bind));
        }
        if let Some(url) = public_url {
            let uri: axum::http::Uri = url.trim().parse().map_err(|_| format!("--public-url is not a URL: {url:?}"))?;
            let host = uri.host().filter(|_| matches!(uri.scheme_str(), Some("http" | "https")));
            hosts
                .names
                .push(host.ok_or_else(|| format!("--public-url must be http(s)://host[:port]: {url:?}"))?.into());
        }
        for entry in extra.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if entry == "*" {
                hosts.any = true;
                continue;
            }
            let name = host_of(entry).ok_or_else(|| format!("--allowed-hosts: not a host name: {entry:?}"))?;
            hosts.names.push(name);
        }
        for name in &mut hosts.names {
            name.make_ascii_lowercase();
        }
        Ok(hosts)
    }

    /// Whether `authority` (`host[:port]`, from `Host` or the request URI)
    /// names this server: a listed name, or `local_ip`, the address the
    /// request came in on (a rebinding page only controls names, not IP
    /// addresses; this lets probes and colleagues use the machine's IP with
    /// `--host 0.0.0.0`). The port is not compared: a rebinding page can only
    /// reach the port it names anyway.
    pub fn allows(&self, authority: &str, local_ip: Option<IpAddr>) -> bool {
        let Some(host) = host_of(authority) else { return false };
        self.any
            || self.names.iter().any(|name| name.eq_ignore_ascii_case(&host))
            || local_ip.is_some_and(|ip| !ip.is_unspecified() && ip_host(ip) == host)
    }
}

/// `host` of `host[:port]` (IPv6 in brackets), if it is a valid authority without user info.
fn host_of(authority: &str) -> Option<String> {
    let parsed: Authority = authority.parse().ok()?;
    (!parsed.as_str().contains('@') && !parsed.host().is_empty()).then(|| parsed.host().to_owned())
}

/// An IP address as it appears in a `Host` header.
fn ip_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Middleware for every route: 421 unless every name the request gives for
/// this server (`Host`, and the URI's authority for HTTP/2 or absolute-form
/// requests) is allowed; 400 when it gives none.
pub async fn check(State(hosts): State<Arc<AllowedHosts>>, request: Request, next: Next) -> Response {
    let local_ip = request.extensions().get::<LocalAddr>().map(|local| local.0.ip());
    let refusal = {
        let given = request.headers().get_all(header::HOST).iter().map(|v| v.to_str().unwrap_or("\u{fffd}"));
        let mut names = given.chain(request.uri().authority().map(Authority::as_str)).peekable();
        if names.peek().is_none() {
            Some((StatusCode::BAD_REQUEST, "A Host header is required\n"))
        } else if !names.all(|name| hosts.allows(name, local_ip)) {
            let reason = "This server does not answer to that Host name (see --allowed-hosts)\n";
            Some((StatusCode::MISDIRECTED_REQUEST, reason))
        } else {
            None
        }
    };
    match refusal {
        Some(refusal) => refusal.into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(public_url: Option<&str>, extra: &[&str]) -> AllowedHosts {
        let extra: Vec<String> = extra.iter().map(|e| (*e).to_owned()).collect();
        AllowedHosts::new("127.0.0.1".parse().unwrap(), public_url, &extra).unwrap()
    }

    #[test]
    fn loopback_names_are_allowed_with_any_port() {
        let allowed = hosts(None, &[]);
        for name in ["localhost", "localhost:6006", "127.0.0.1:6006", "[::1]:6006", "[::1]", "LOCALHOST:1"] {
            assert!(allowed.allows(name, None), "{name}");
        }
        for name in ["evil.example", "evil.example:6006", "127.0.0.2:6006", "localhost.evil:6006", "", "a@localhost"] {
            assert!(!allowed.allows(name, None), "{name}");
        }
    }

    #[test]
    fn public_url_and_listed_hosts_are_allowed() {
        let allowed = hosts(Some("https://Plume.Example.com/base/"), &["plume.internal:8080", "10.0.0.5", "[fd00::1]"]);
        for name in ["plume.example.com", "plume.example.com:443", "plume.internal", "10.0.0.5:6006", "[fd00::1]:1"] {
            assert!(allowed.allows(name, None), "{name}");
        }
        assert!(!allowed.allows("example.com", None));
        assert!(hosts(None, &["*"]).allows("anything.example", None));
    }

    #[test]
    fn the_servers_own_addresses_are_names_of_it() {
        let allowed = AllowedHosts::new("192.168.1.5".parse().unwrap(), None, &[]).unwrap();
        assert!(allowed.allows("192.168.1.5:6006", None));
        let any = AllowedHosts::new("0.0.0.0".parse().unwrap(), None, &[]).unwrap();
        assert!(!any.allows("0.0.0.0:6006", None));
        // Bound to every address: the one a request came in on names the server.
        let pod: IpAddr = "10.1.2.3".parse().unwrap();
        assert!(any.allows("10.1.2.3:6006", Some(pod)));
        assert!(!any.allows("10.1.2.4:6006", Some(pod)));
        assert!(!any.allows("evil.example:6006", Some(pod)));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(AllowedHosts::new("127.0.0.1".parse().unwrap(), Some("plume.example"), &[]).is_err());
        assert!(AllowedHosts::new("127.0.0.1".parse().unwrap(), None, &["not a host".into()]).is_err());
    }
}
