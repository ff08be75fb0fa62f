//! Who the client is, for the per-IP rate limits: the TCP peer, unless the
//! peer is a reverse proxy the operator trusts (`--trusted-proxies`), in
//! which case `X-Forwarded-For` says who it forwards for.
//!
//! `X-Forwarded-For` is a list that every proxy appends its own peer to, so
//! only its right end is written by proxies we trust; anything to the left
//! may be made up by the client. The client is therefore the right-most
//! address that is *not* a trusted proxy. Without trusted proxies the header
//! is ignored altogether, so a client can't pick its own rate-limit bucket.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use ipnet::IpNet;

/// The header proxies name the client in.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The address ranges of the reverse proxies whose `X-Forwarded-For` counts.
/// Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// These ranges.
    pub fn new(ranges: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(ranges.into())
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(&ip))
    }

    /// The client's address: `peer`, or, when `peer` is a trusted proxy, the
    /// right-most `X-Forwarded-For` entry that is not one (the left-most
    /// entry when all are). An entry that is not an address ends the walk at
    /// the proxy that wrote it.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let mut client = peer?;
        if !self.trusts(client) {
            return Some(client);
        }
        let hops = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        Some(client)
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|address| address.ip()))
}

/// A `--trusted-proxies` entry: a CIDR range (`10.0.0.0/8`, `fd00::/8`) or
/// a single address.
pub fn parse_range(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("not an address range (CIDR like 10.0.0.0/8) or address: {text:?}"))
}

/// Extractor: the client's address as [`TrustedProxies::client_ip`] sees
/// it; `None` when the server does not know the peer.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp
where
    TrustedProxies: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(TrustedProxies::from_ref(state).client_ip(peer(&parts.extensions), &parts.headers)))
    }
}

/// The TCP peer of a request, from its extensions.
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append(FORWARDED_FOR, value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_peers() {
        let none = TrustedProxies::default();
        assert_eq!(none.client_ip(ip("10.0.0.1"), &headers(&["1.2.3.4"])), ip("10.0.0.1"));
        let proxies = TrustedProxies::new(vec![parse_range("10.0.0.0/8").unwrap(), parse_range("::1").unwrap()]);
        assert_eq!(proxies.client_ip(ip("192.0.2.7"), &headers(&["1.2.3.4"])), ip("192.0.2.7"));
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &headers(&["1.2.3.4"])), ip("1.2.3.4"));
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &headers(&[])), ip("10.0.0.1"));
        assert_eq!(proxies.client_ip(None, &headers(&["1.2.3.4"])), None);
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let proxies = TrustedProxies::new(vec![parse_range("10.0.0.0/8").unwrap()]);
        // The client made up "6.6.6.6"; our proxies saw 1.2.3.4 connect.
        let forwarded = headers(&["6.6.6.6, 1.2.3.4", "10.0.0.2"]);
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &forwarded), ip("1.2.3.4"));
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &headers(&["10.0.0.3, 10.0.0.2"])), ip("10.0.0.3"));
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &headers(&["1.2.3.4:5678"])), ip("1.2.3.4"));
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &headers(&["1.2.3.4, junk, 10.0.0.2"])), ip("10.0.0.2"));
    }

    #[test]
    fn ranges_parse_as_cidrs_or_addresses() {
        assert!(parse_range("10.0.0.0/8").is_ok());
        assert!(parse_range("fd00::/8").is_ok());
        assert_eq!(parse_range("127.0.0.1").unwrap().prefix_len(), 32);
        assert!(parse_range("proxy.local").is_err());
    }
}
