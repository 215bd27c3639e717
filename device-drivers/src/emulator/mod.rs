//! Device emulators: each protocol spoken from the device's side, with configurable keys,
//! versions and data points. Tests use them as peers, and `hub demo` runs a few per brand
//! on loopback. They are real network servers, not mocks of our own client.

pub mod ewelink;
pub mod miio;
pub mod mqtt;
pub mod smartthings;
pub mod tuya;

/// Serves `app` on `listener` until the returned sender is dropped.
pub(crate) fn serve_http(
    listener: tokio::net::TcpListener,
    app: axum::Router,
) -> tokio::sync::watch::Sender<()> {
    let (stop, mut stopped) = tokio::sync::watch::channel(());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.changed().await;
            })
            .await;
    });
    stop
}
