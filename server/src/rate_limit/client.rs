//! Who the client is: the TCP peer, unless the peer is a trusted proxy, in
//! which case `X-Forwarded-For` says who it forwarded for. A header from
//! anyone else is what the client claims, and a client would claim to be
//! someone new on every attempt.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
};

use app::server_context::ClientAddress;
use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{Extensions, HeaderMap, request::Parts},
    middleware::Next,
    response::Response,
};

use super::{ProxyRange, RateLimiter};
use crate::state::AppState;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The address of the request's client.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Self(match parts.extensions.get::<ClientAddress>() {
            Some(ClientAddress(noted)) => *noted,
            None => state
                .limits
                .client_address(peer(&parts.extensions), &parts.headers),
        }))
    }
}

/// Notes each request's client in its extensions, where server functions
/// find it (`app::server_context::admit`) as handlers do ([`ClientAddr`]).
pub async fn note_client(
    State(limiter): State<RateLimiter>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = limiter.client_address(peer(request.extensions()), request.headers());
    request.extensions_mut().insert(ClientAddress(client));
    next.run(request).await
}

fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

pub(super) fn client_address(
    trusted: &[ProxyRange],
    peer: Option<IpAddr>,
    headers: &HeaderMap,
) -> IpAddr {
    // Served without the peer's address (never by `automat serve`), every
    // request counts as one client: limited together rather than not at all.
    let Some(peer) = peer else {
        return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    };
    let trusts = |ip: &IpAddr| trusted.iter().any(|range| range.0.contains(ip));
    if !trusts(&peer) {
        return peer;
    }
    // Each proxy appends the address it got the request from: read from the
    // right, the first address that is not a trusted proxy is the client.
    let hops: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !trusts(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use axum::http::HeaderMap;

    use super::client_address;
    use crate::rate_limit::ProxyRange;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn the_header_is_not_believed_by_default() {
        let headers = forwarded("198.51.100.7");
        assert_eq!(
            client_address(&[], Some(ip("203.0.113.1")), &headers),
            ip("203.0.113.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let proxies: Vec<ProxyRange> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client claims an address of its own; the proxies appended the real one.
        let headers = forwarded("192.0.2.66, 198.51.100.7, 10.0.0.5");
        assert_eq!(
            client_address(&proxies, Some(ip("10.0.0.1")), &headers),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(&proxies, Some(ip("10.0.0.1")), &HeaderMap::new()),
            ip("10.0.0.1"),
            "no header: the proxy itself"
        );
        assert_eq!(
            client_address(&proxies, Some(ip("10.0.0.1")), &forwarded("nonsense")),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_address(&proxies, Some(ip("203.0.113.9")), &headers),
            ip("203.0.113.9"),
            "a peer outside the trusted ranges is the client"
        );
    }
}
