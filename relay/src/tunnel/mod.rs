//! The relay's public side: browsers connect (HTTP, or HTTPS ending here), the request head
//! names a host, and `<hub id>.<relay host>` is carried byte for byte to that hub over its
//! link, WebSockets included; the relay's own host gets the relay's pages. Nothing a guest
//! sends is kept here: it is forwarded, or refused.

pub mod pages;
pub mod prefixed;
pub mod streams;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tower::Service;

use crate::config::PublicUrl;
use crate::limits::Window;
use crate::registry::Registry;
use pages::Trouble;
use prefixed::Prefixed;
pub use streams::Streams;

/// A request head larger than this is refused (browsers send a few KiB).
const MAX_HEAD: usize = 16 * 1024;
/// How long a browser has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Public {
    pub public: PublicUrl,
    pub registry: Registry,
    pub streams: Streams,
    pub own: Router,
    pub connections: Arc<Window>,
}

impl Public {
    /// Serves browsers on `listener`, through TLS when `tls` is given.
    pub fn serve(
        self,
        listener: TcpListener,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "The public listener cannot accept.");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let this = self.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => this.connection(tcp, peer, false).await,
                        Some(acceptor) => {
                            let handshake =
                                tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(tcp)).await;
                            if let Ok(Ok(stream)) = handshake {
                                this.connection(stream, peer, true).await;
                            }
                        }
                    }
                });
            }
        })
    }

    async fn connection<B>(&self, mut browser: B, peer: SocketAddr, tls: bool)
    where
        B: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Ok(Some(head)) = tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut browser)).await
        else {
            return;
        };
        let (host, accept_language) = host_and_language(&head);
        let lang = pages::language(accept_language.as_deref());
        let refuse = |trouble| pages::response(trouble, lang);
        if !self.connections.allow(peer.ip()) {
            let _ = browser.write_all(refuse(Trouble::Busy).as_bytes()).await;
            return;
        }
        let Some(hub) = host.as_deref().and_then(|h| self.public.hub_of_host(h)) else {
            self.serve_own(Prefixed::new(head, browser), peer).await;
            return;
        };
        let trouble = match self.registry.get(&hub).await {
            // Linked to any node: the broker carries the frames between nodes.
            Ok(Some(r)) if r.online_since.is_some() || self.registry.linked_here(&hub) => None,
            Ok(Some(_)) => Some(Trouble::Offline),
            Ok(None) => Some(Trouble::Unknown),
            Err(e) => {
                tracing::warn!(error = %e, "The registry cannot be read.");
                Some(Trouble::Offline)
            }
        };
        if let Some(trouble) = trouble {
            // The hotel's website keeps its chat button, which tells the guest why it waits.
            let answer = if trouble == Trouble::Offline && is_widget_script(&head) {
                pages::offline_widget(lang)
            } else {
                refuse(trouble)
            };
            let _ = browser.write_all(answer.as_bytes()).await;
            return;
        }
        let silent = refuse(Trouble::Silent);
        if let Err(streams::Refusal::Busy) = self
            .streams
            .carry(hub, &mut browser, head, peer, tls, silent)
            .await
        {
            let _ = browser.write_all(refuse(Trouble::Busy).as_bytes()).await;
        }
    }

    /// The relay's own pages and API, over HTTP/1.1.
    async fn serve_own<B>(&self, io: Prefixed<B>, peer: SocketAddr)
    where
        B: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let router = self.own.clone();
        let service = hyper::service::service_fn(move |mut request| {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            router.clone().call(request)
        });
        let served = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .serve_connection(TokioIo::new(io), service)
            // A hub's link may come as a WebSocket (`/mqtt`).
            .with_upgrades()
            .await;
        if let Err(e) = served {
            tracing::debug!(%peer, error = %e, "A relay page's connection ended.");
        }
    }
}

/// Whether the request is `GET /widget.js` (any query), the chat loader a hotel's website
/// embeds.
fn is_widget_script(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (Some(b"GET"), Some(target)) = (parts.next(), parts.next()) else {
        return false;
    };
    target.split(|&b| b == b'?').next() == Some(b"/widget.js".as_slice())
}

/// Reads up to the end of the request head (`\r\n\r\n`); `None` when the browser closes
/// first or the head is too large. What follows the head stays with the bytes read.
async fn read_head<B: AsyncRead + Unpin>(browser: &mut B) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    loop {
        let n = browser.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        let searched_from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if head[searched_from..].windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(head);
        }
        if head.len() > MAX_HEAD {
            return None;
        }
    }
}

/// The `Host` and `Accept-Language` of a request head.
fn host_and_language(head: &[u8]) -> (Option<String>, Option<String>) {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    if request.parse(head).is_err() {
        return (None, None);
    }
    let find = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(str::to_owned)
    };
    (find("host"), find("accept-language"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widget_script_is_known_by_its_request_line() {
        assert!(is_widget_script(
            b"GET /widget.js HTTP/1.1\r\nHost: x\r\n\r\n"
        ));
        assert!(is_widget_script(b"GET /widget.js?v=2 HTTP/1.1\r\n\r\n"));
        assert!(!is_widget_script(b"POST /widget.js HTTP/1.1\r\n\r\n"));
        assert!(!is_widget_script(b"GET /widget.jsx HTTP/1.1\r\n\r\n"));
        assert!(!is_widget_script(b"garbage"));
    }

    #[tokio::test]
    async fn a_head_is_read_whole_and_its_host_found() {
        let text = b"GET /widget.js HTTP/1.1\r\nHost: abc.relay.localhost:18080\r\nAccept-Language: ru\r\n\r\nrest";
        let mut input: &[u8] = text;
        let head = read_head(&mut input).await.unwrap();
        assert_eq!(head, text.to_vec());
        let (host, lang) = host_and_language(&head);
        assert_eq!(host.as_deref(), Some("abc.relay.localhost:18080"));
        assert_eq!(lang.as_deref(), Some("ru"));
        let mut endless: &[u8] = &[b'a'; MAX_HEAD + 10];
        assert_eq!(read_head(&mut endless).await, None);
        assert_eq!(host_and_language(b"\x00\x01garbage\r\n\r\n"), (None, None));
    }
}
