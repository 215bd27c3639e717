//! The hub's HTTP and HTTPS listeners: an accept loop that admits each connection through the
//! shared [`Connections`] table, bounds the TLS handshake and the wait for a request head,
//! closes idle connections, and serves HTTP/1.1 and HTTP/2 with hyper.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::Service;

use super::connections::{Connections, InFlight, Slot};
use super::ServedOverTls;

/// What a listener speaks.
#[derive(Clone)]
pub enum Transport {
    Plain,
    Tls(tokio_rustls::TlsAcceptor),
}

/// Binds `addr` for `scheme` ("HTTP", "HTTPS"; port 0 picks one), before the routes are
/// made: they need to know the HTTPS port.
pub async fn bind(addr: SocketAddr, scheme: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for {scheme} on {addr}"))
}

/// Serves `router` on `listener` until `stop` turns true, then finishes the requests in
/// flight. Returns the listener's task.
pub fn serve(
    listener: TcpListener,
    router: Router,
    transport: Transport,
    connections: Arc<Connections>,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let tls = matches!(transport, Transport::Tls(_));
    let scheme = if tls { "HTTPS" } else { "HTTP" };
    tokio::spawn(async move {
        let mut open = JoinSet::new();
        let mut watching = stop.clone();
        let mut warned: Option<Instant> = None;
        loop {
            tokio::select! {
                () = stopped(&mut watching) => break,
                Some(_) = open.join_next(), if !open.is_empty() => {}
                accepted = listener.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        // HTTPS is where staff work, and this machine is the watchdog's probe.
                        let reserved = tls || peer.ip().is_loopback();
                        match connections.admit(peer.ip(), reserved) {
                            Ok(slot) => {
                                open.spawn(connection(
                                    tcp,
                                    peer,
                                    slot,
                                    router.clone(),
                                    transport.clone(),
                                    stop.clone(),
                                ));
                            }
                            Err(why) => tracing::debug!(%peer, ?why, "Connection refused."),
                        }
                    }
                    Err(e) => {
                        // Out of file handles despite the budget (another part of the process
                        // holds them): wait for some to close; say so once a minute at most.
                        if warned.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                            tracing::warn!(error = %e, "{scheme} cannot accept connections.");
                            warned = Some(Instant::now());
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
        drop(listener);
        while open.join_next().await.is_some() {}
    })
}

/// Serves one connection that reached the hub another way than its listeners: a browser
/// carried over the cloud link, `peer` being the browser's own address and `tls` whether it
/// spoke TLS to the relay. It counts against the same limits as a direct connection;
/// `false` when they refuse it.
pub fn serve_carried<I>(
    io: I,
    peer: SocketAddr,
    tls: bool,
    router: Router,
    connections: &Arc<Connections>,
    stop: watch::Receiver<bool>,
) -> bool
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match connections.admit(peer.ip(), false) {
        Ok(slot) => {
            let slot = Arc::new(slot);
            tokio::spawn(serve_io(TokioIo::new(io), peer, tls, slot, router, stop));
            true
        }
        Err(why) => {
            tracing::debug!(%peer, ?why, "A carried connection was refused.");
            false
        }
    }
}

/// Resolves once the hub is stopping (or its stop signal is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    router: Router,
    transport: Transport,
    stop: watch::Receiver<bool>,
) {
    // Chat frames are small and answered at once: Nagle's delay would add tens of ms.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "Cannot set TCP_NODELAY.");
    }
    let slot = Arc::new(slot);
    let io = Tracked {
        tcp,
        _slot: slot.clone(),
    };
    match transport {
        Transport::Plain => serve_io(TokioIo::new(io), peer, false, slot, router, stop).await,
        Transport::Tls(acceptor) => {
            let deadline = slot
                .quiet_deadline()
                .unwrap_or_else(|| Instant::now() + slot.head_timeout());
            let handshake = tokio::select! {
                r = tokio::time::timeout_at(deadline.into(), acceptor.accept(io)) => r,
                () = slot.evicted() => return,
            };
            match handshake {
                Ok(Ok(tls)) => serve_io(TokioIo::new(tls), peer, true, slot, router, stop).await,
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed."),
                Err(_) => tracing::debug!(%peer, "TLS handshake too slow."),
            }
        }
    }
}

async fn serve_io<I>(
    io: TokioIo<I>,
    peer: SocketAddr,
    tls: bool,
    slot: Arc<Slot>,
    router: Router,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let head_timeout = slot.head_timeout();
    let service = {
        let slot = slot.clone();
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(ServedOverTls(tls));
            let in_flight = slot.begin();
            let slot = slot.clone();
            let mut router = router.clone();
            async move {
                let response = router.call(request).await?;
                if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                    slot.hand_off();
                }
                Ok::<_, Infallible>(response.map(|body| Counted {
                    body,
                    _in_flight: in_flight,
                }))
            }
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        // While a request is in flight there is no deadline: look again later.
        let wake = slot
            .quiet_deadline()
            .unwrap_or_else(|| Instant::now() + head_timeout);
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "Connection ended.");
                }
                break;
            }
            () = slot.evicted() => {
                tracing::debug!(%peer, "Connection closed to make room.");
                break;
            }
            () = tokio::time::sleep_until(wake.into()) => {
                if slot.quiet_deadline().is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!(%peer, "Connection closed: quiet too long.");
                    break;
                }
            }
            () = stopped(&mut stop), if !stopping => {
                conn.as_mut().graceful_shutdown();
                stopping = true;
            }
        }
    }
}

/// The socket, holding its place in the table for as long as it is open (past an upgrade
/// to a WebSocket too).
struct Tracked {
    tcp: TcpStream,
    _slot: Arc<Slot>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// A response body that keeps its request in flight until it has been sent, so a long
/// download is not taken for an idle connection.
struct Counted {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The HTTPS acceptor for a PEM chain (leaf first) and key, offering HTTP/2 and HTTP/1.1.
pub fn tls_acceptor(chain_pem: &str, key_pem: &str) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("the TLS certificate is not PEM")?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).context("the TLS key is not PEM")?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the TLS certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
