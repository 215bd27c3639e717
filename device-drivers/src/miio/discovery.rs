//! miIO discovery: a hello sent to the broadcast address (or to one host) is answered by
//! every device with its id; tokens are never revealed once a device is provisioned.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::UdpSocket;

use super::packet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Found {
    pub device_id: u32,
    pub addr: SocketAddr,
}

/// Sends hellos to `targets` (a broadcast address on a LAN, or single devices) every
/// 0.7 s and collects the answers for `duration`.
pub async fn scan(
    bind: SocketAddr,
    targets: &[SocketAddr],
    duration: Duration,
) -> std::io::Result<Vec<Found>> {
    let std_socket = std::net::UdpSocket::bind(bind)?;
    std_socket.set_broadcast(true)?;
    std_socket.set_nonblocking(true)?;
    let socket = UdpSocket::from_std(std_socket)?;
    let mut found = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + duration;
    let mut again = tokio::time::interval(Duration::from_millis(700));
    let mut buf = [0u8; 2048];
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            _ = again.tick() => for t in targets {
                let _ = socket.send_to(&packet::hello(), t).await;
            },
            got = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = got else { continue };
                if let Ok(p) = packet::decode(&buf[..n], &[0; 16]) {
                    if p.payload.is_empty() && !packet::is_hello(&buf[..n]) {
                        found.insert(from, Found { device_id: p.device_id, addr: from });
                    }
                }
            }
        }
    }
    Ok(found.into_values().collect())
}
