//! Whether a browser request comes from a page of another site: the `Origin` header (RFC 6454
//! §7; sent by browsers on every WebSocket handshake, RFC 6455 §4.1) against the `Host` the
//! request was sent to (RFC 9110 §7.2). A cookie is not proof enough for a socket: SameSite
//! covers only what the browser deems cross-site.

use axum::http::{header, HeaderMap};

/// The request's `Origin` when it names a page other than one on the host the request was
/// sent to; `None` without an `Origin` (not a browser) or when they match. A present but
/// unreadable `Origin` (`null` from a sandboxed frame, say) is foreign.
pub fn foreign_origin(headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().unwrap_or("null").to_owned();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let same = url::Url::parse(&text).is_ok_and(|u| {
        // Browsers leave the scheme's default port out of both headers.
        let authority = match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => return false,
        };
        host.is_some_and(|h| h.eq_ignore_ascii_case(&authority))
    });
    (!same).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_hubs_own_pages_are_not_foreign_and_others_are() {
        assert_eq!(foreign_origin(&headers(None, "hub.local:8443")), None);
        assert_eq!(
            foreign_origin(&headers(Some("https://hub.local:8443"), "hub.local:8443")),
            None
        );
        assert_eq!(
            foreign_origin(&headers(Some("http://HUB.local"), "hub.local")),
            None
        );
        assert_eq!(
            foreign_origin(&headers(
                Some("http://192.168.1.5:8080"),
                "192.168.1.5:8080"
            )),
            None
        );
        for other in ["https://evil.example", "https://hub.local:9999", "null"] {
            assert_eq!(
                foreign_origin(&headers(Some(other), "hub.local:8443")).as_deref(),
                Some(other)
            );
        }
    }
}
