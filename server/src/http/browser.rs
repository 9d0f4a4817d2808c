//! What protects a browser's session from other sites: state-changing
//! requests that ride on the session cookie must come from the store's own
//! pages (cross-site request forgery), and every response carries the
//! security headers (content security policy, no framing, no sniffing,
//! referrer policy, HSTS behind HTTPS).

use axum::{
    extract::{Request, State},
    http::{
        HeaderMap, HeaderName, HeaderValue, Method, StatusCode,
        header::{
            CONTENT_SECURITY_POLICY, COOKIE, HOST, ORIGIN, REFERER, REFERRER_POLICY,
            STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
        },
    },
    middleware::Next,
    response::{IntoResponse, Response},
};
use reqwest::Url;

use crate::{http::error::ApiError, web_sessions::COOKIE_NAME};

/// Where the store's pages live, as browsers see it.
#[derive(Debug, Clone)]
pub struct BrowserPolicy {
    /// The origin of `AUTOMAT_PUBLIC_URL`.
    public_origin: reqwest::Url,
}

impl BrowserPolicy {
    /// From the store's public URL (`AUTOMAT_PUBLIC_URL`).
    pub fn new(public_url: &str) -> anyhow::Result<Self> {
        let parsed = Url::parse(public_url)
            .map_err(|e| anyhow::anyhow!("AUTOMAT_PUBLIC_URL {public_url:?} is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            anyhow::bail!(
                "AUTOMAT_PUBLIC_URL {public_url:?} must be an http:// or https:// address"
            );
        }
        let mut public_origin = parsed;
        public_origin.set_path("/");
        public_origin.set_query(None);
        public_origin.set_fragment(None);
        Ok(Self { public_origin })
    }

    /// The address of `path` (e.g. `/machines/vm-001`) as shoppers reach it.
    pub fn public_url(&self, path: &str) -> String {
        self.public_origin
            .join(path.trim_start_matches('/'))
            .map_or_else(|_| self.public_origin.to_string(), String::from)
    }

    /// Served over HTTPS: the session cookie is `Secure` and HSTS is sent.
    pub fn https(&self) -> bool {
        self.public_origin.scheme() == "https"
    }

    /// Whether `origin` (an `Origin` header, or a `Referer`'s origin) is the
    /// store's own: the public URL's, or that of the address the request was
    /// sent to (its `Host`), which a page of another site cannot choose.
    fn is_own(&self, origin: &Url, host: Option<&str>) -> bool {
        if origin.origin() == self.public_origin.origin() {
            return true;
        }
        host.and_then(|host| Url::parse(&format!("{}://{host}", origin.scheme())).ok())
            .is_some_and(|requested| requested.origin() == origin.origin())
    }
}

/// Refuses a state-changing request (anything but GET, HEAD, OPTIONS) that
/// carries the session cookie but comes from another site's page. Browsers
/// send `Origin` with every such request (`Referer` is the fallback); a
/// request with neither is refused too. Requests with a bearer token are not
/// affected: a browser never attaches one on its own (unlike HTTP Basic
/// credentials, which it does, so those are no exemption), and another site's
/// script cannot send one here without a CORS grant this store never gives.
pub async fn refuse_cross_site_writes(
    State(policy): State<BrowserPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let exempt = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || crate::http::auth::bearer_token(headers).is_some()
        || !carries_session_cookie(headers);
    if exempt {
        return next.run(request).await;
    }
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    match sender_origin(headers) {
        Some(origin) if policy.is_own(&origin, host) => next.run(request).await,
        sender => {
            let from = sender.map_or_else(
                || "a page that did not say where it is".to_owned(),
                |origin| origin.origin().ascii_serialization(),
            );
            tracing::warn!(path = %request.uri().path(), from, "refused a cross-site request");
            ApiError::new(
                StatusCode::FORBIDDEN,
                "not_allowed",
                format!(
                    "refused: this request came from {from}, not from the store's own pages \
                     (cross-site requests cannot act on a signed-in session)"
                ),
            )
            .into_response()
        }
    }
}

/// Whether the request carries the web session cookie.
pub(crate) fn carries_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| {
            pair.trim()
                .split_once('=')
                .is_some_and(|(name, _)| name == COOKIE_NAME)
        })
}

/// The page the request was sent from: its `Origin`, else its `Referer`'s
/// origin. `Origin: null` (a sandboxed or privacy-sensitive context) names none.
fn sender_origin(headers: &HeaderMap) -> Option<Url> {
    let header = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let url = match header(ORIGIN) {
        Some(origin) => Url::parse(origin).ok(),
        None => header(REFERER).and_then(|referer| Url::parse(referer).ok()),
    }?;
    url.origin().is_tuple().then_some(url)
}

/// Adds the security headers to every response. A page's own
/// `Content-Security-Policy` (with the nonce of its inline scripts, set while
/// rendering) is kept; every other response gets the policy without one.
pub async fn security_headers(
    State(policy): State<BrowserPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(CONTENT_SECURITY_POLICY)
        && let Ok(csp) = HeaderValue::from_str(&app::content_security_policy(None, &[]))
    {
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Old browsers that do not know `frame-ancestors`.
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Links in the store's pages (a reset-password page's token among them)
    // never reach another site in a `Referer`.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if policy.https() {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_store_own_origins_are_the_public_url_and_the_requested_host() {
        let policy = BrowserPolicy::new("https://shop.example.com/store?x=1").unwrap();
        let own =
            |origin: &str, host: Option<&str>| policy.is_own(&Url::parse(origin).unwrap(), host);
        assert!(own("https://shop.example.com", None));
        assert!(
            own("https://SHOP.example.com:443", None),
            "default port, any case"
        );
        assert!(own("http://127.0.0.1:3000", Some("127.0.0.1:3000")));
        assert!(
            !own("http://shop.example.com", None),
            "another scheme is another origin"
        );
        assert!(!own("https://shop.example.com.evil.example", None));
        assert!(!own("https://evil.example", Some("127.0.0.1:3000")));
        assert!(!own("http://127.0.0.1:3001", Some("127.0.0.1:3000")));
    }

    #[test]
    fn the_sender_is_named_by_origin_then_referer() {
        let origin = |pairs: &[(HeaderName, &str)]| {
            sender_origin(&headers(pairs)).map(|u| u.origin().ascii_serialization())
        };
        assert_eq!(
            origin(&[
                (ORIGIN, "https://evil.example"),
                (REFERER, "https://shop.example.com/")
            ]),
            Some("https://evil.example".into())
        );
        assert_eq!(
            origin(&[(REFERER, "https://shop.example.com/cart?x=1")]),
            Some("https://shop.example.com".into())
        );
        assert_eq!(origin(&[(ORIGIN, "null")]), None);
        assert_eq!(origin(&[]), None);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let with = |cookie: &str| carries_session_cookie(&headers(&[(COOKIE, cookie)]));
        assert!(with("a=1; automat_session=abc"));
        assert!(!with("automat_session_other=abc; a=1"));
        assert!(!carries_session_cookie(&HeaderMap::new()));
    }

    #[test]
    fn a_public_url_must_be_a_web_address() {
        assert!(BrowserPolicy::new("shop.example.com").is_err());
        assert!(BrowserPolicy::new("ftp://shop.example.com").is_err());
        assert!(
            BrowserPolicy::new("https://shop.example.com")
                .unwrap()
                .https()
        );
        assert!(!BrowserPolicy::new("http://127.0.0.1:3000").unwrap().https());
    }

    #[test]
    fn a_page_is_addressed_at_the_public_origin() {
        let policy = BrowserPolicy::new("https://shop.example.com/ignored?x=1").unwrap();
        assert_eq!(
            policy.public_url("/machines/vm-001"),
            "https://shop.example.com/machines/vm-001"
        );
        assert_eq!(
            BrowserPolicy::new("http://127.0.0.1:3000")
                .unwrap()
                .public_url("machines/vm-002"),
            "http://127.0.0.1:3000/machines/vm-002"
        );
    }
}
