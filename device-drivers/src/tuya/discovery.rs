//! Tuya LAN discovery: devices announce themselves by UDP (3.1 clear JSON on 6666,
//! encrypted on 6667) and 3.5 devices answer a `REQ_DEVINFO` probe sent to port 7000.
//! `decode_announcement` is the sans-IO decoder; `scan` listens and probes for a while.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::UdpSocket;

use super::crypto;
use super::frame::{self, Frame, Seal};
use super::{cmd, TuyaError, Version};

/// What a device says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    pub id: String,
    pub ip: IpAddr,
    pub version: Option<Version>,
    pub product_key: Option<String>,
    /// The TCP port, when not the standard 6668 (only emulators say so; real devices
    /// always listen on 6668 and never send it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

impl Announcement {
    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.port.unwrap_or(super::PORT))
    }
}

/// Decodes one discovery datagram: a 55AA frame (clear or ECB under the UDP key), a
/// 6699 frame (GCM under the UDP key), or a bare ECB blob. `from` fills in a missing ip.
pub fn decode_announcement(bytes: &[u8], from: IpAddr) -> Result<Announcement, TuyaError> {
    let key = crypto::udp_key();
    let json = if bytes.starts_with(&frame::PREFIX_6699.to_be_bytes()) {
        decode_frame(bytes, Seal::Gcm(&key))?.payload
    } else if bytes.starts_with(&frame::PREFIX_55AA.to_be_bytes()) {
        let payload = decode_frame(bytes, Seal::Crc)?.payload;
        if payload.first() == Some(&b'{') {
            payload
        } else {
            crypto::ecb_decrypt(&key, &payload)?
        }
    } else {
        crypto::ecb_decrypt(&key, bytes)?
    };
    // Some 3.5 devices put four zero bytes before the JSON.
    let start = json
        .iter()
        .position(|b| *b == b'{')
        .ok_or(TuyaError::Malformed("announcement is not JSON"))?;
    let v: serde_json::Value = serde_json::from_slice(&json[start..])
        .map_err(|_| TuyaError::Malformed("announcement is not JSON"))?;
    let id = v
        .get("gwId")
        .and_then(|x| x.as_str())
        .filter(|s| !s.is_empty() && s.len() <= 64)
        .ok_or(TuyaError::Malformed("announcement without gwId"))?;
    let ip = v
        .get("ip")
        .and_then(|x| x.as_str())
        .and_then(|s| s.parse().ok())
        .unwrap_or(from);
    Ok(Announcement {
        id: id.to_owned(),
        ip,
        version: v
            .get("version")
            .and_then(|x| x.as_str())
            .and_then(Version::parse),
        product_key: v
            .get("productKey")
            .and_then(|x| x.as_str())
            .map(|s| s.chars().take(64).collect()),
        port: v
            .get("port")
            .and_then(|x| x.as_u64())
            .and_then(|p| u16::try_from(p).ok()),
    })
}

fn decode_frame(bytes: &[u8], seal: Seal<'_>) -> Result<Frame, TuyaError> {
    frame::decode(bytes, seal, true)?
        .map(|(f, _)| f)
        .ok_or(TuyaError::Malformed("truncated announcement"))
}

/// An announcement as a device sends it (6699 under the UDP key; readable by every
/// client version, the JSON says which protocol the device speaks).
pub fn encode_announcement(a: &Announcement, seq: u32) -> Vec<u8> {
    let mut json = serde_json::json!({
        "ip": a.ip.to_string(),
        "gwId": a.id,
        "active": 2,
        "ablilty": 0,
        "encrypt": true,
        "productKey": a.product_key.clone().unwrap_or_default(),
        "version": a.version.map(Version::as_str).unwrap_or("3.3"),
        "token": true,
        "wf_cfg": true,
    });
    if let Some(port) = a.port {
        json["port"] = port.into();
    }
    let key = crypto::udp_key();
    let f = Frame {
        seq,
        cmd: cmd::UDP_NEW,
        retcode: Some(0),
        payload: json.to_string().into_bytes(),
    };
    frame::encode(&f, Seal::Gcm(&key), rand::random())
}

/// The 3.5 app's probe: `REQ_DEVINFO` with the app's own address, when known (devices
/// answer the sender's address otherwise).
pub fn encode_probe(app_ip: Option<IpAddr>) -> Vec<u8> {
    let key = crypto::udp_key();
    let json = match app_ip {
        Some(ip) => serde_json::json!({"from": "app", "ip": ip.to_string()}),
        None => serde_json::json!({"from": "app"}),
    };
    let f = Frame {
        seq: 0,
        cmd: cmd::REQ_DEVINFO,
        retcode: None,
        payload: json.to_string().into_bytes(),
    };
    frame::encode(&f, Seal::Gcm(&key), rand::random())
}

/// Whether a datagram is a discovery probe (what the emulator answers).
pub fn is_probe(bytes: &[u8]) -> bool {
    let key = crypto::udp_key();
    matches!(frame::decode(bytes, Seal::Gcm(&key), false), Ok(Some((f, _))) if f.cmd == cmd::REQ_DEVINFO)
}

/// Where to listen and whom to ask.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Local address to bind (0.0.0.0 on a LAN).
    pub bind: IpAddr,
    /// Ports to listen on for announcements (6666, 6667, 7000 on a LAN).
    pub ports: Vec<u16>,
    /// Where to send the probe (the subnet broadcast on port 7000 on a LAN), and the
    /// address devices should answer to, when known.
    pub probe: Option<(SocketAddr, Option<IpAddr>)>,
    /// Extra unicast probe targets (e.g. emulators on loopback).
    pub unicast: Vec<SocketAddr>,
}

impl ScanConfig {
    /// Listens on every interface; probes `broadcast`, asking for answers at `app_ip`.
    pub fn lan(app_ip: Option<Ipv4Addr>, broadcast: Ipv4Addr) -> ScanConfig {
        ScanConfig {
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ports: vec![6666, 6667, 7000],
            probe: Some((
                SocketAddr::new(IpAddr::V4(broadcast), 7000),
                app_ip.map(IpAddr::V4),
            )),
            unicast: Vec::new(),
        }
    }
}

fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = std::net::UdpSocket::bind(addr)?;
    socket.set_broadcast(true)?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket)
}

/// Which probes a listening socket sends.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Listen,
    /// Port 7000: the broadcast probe goes out from here, as the app does.
    Broadcast,
    /// The ephemeral socket: unicast probes, answered to their source.
    Unicast,
}

/// Listens for `duration`, probing at the start and every 0.7 s, and returns every
/// device heard, once each. A port that cannot be bound is skipped (and logged).
pub async fn scan(config: &ScanConfig, duration: Duration) -> Vec<Announcement> {
    let mut sockets = Vec::new();
    for port in &config.ports {
        match bind_udp(SocketAddr::new(config.bind, *port)) {
            Ok(s) => sockets.push((
                s,
                if *port == 7000 {
                    Role::Broadcast
                } else {
                    Role::Listen
                },
            )),
            Err(e) => tracing::warn!(port, error = %e, "Cannot listen for Tuya announcements."),
        }
    }
    if !config.unicast.is_empty() {
        if let Ok(s) = bind_udp(SocketAddr::new(config.bind, 0)) {
            sockets.push((s, Role::Unicast));
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Announcement>(256);
    let mut readers = Vec::new();
    for (socket, role) in sockets {
        let tx = tx.clone();
        let config = config.clone();
        readers.push(tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            let mut again = tokio::time::interval(Duration::from_millis(700));
            loop {
                tokio::select! {
                    got = socket.recv_from(&mut buf) => {
                        let Ok((n, from)) = got else { continue };
                        if is_probe(&buf[..n]) { continue; }
                        match decode_announcement(&buf[..n], from.ip()) {
                            Ok(a) => { let _ = tx.send(a).await; }
                            Err(e) => tracing::debug!(%from, error = %e, "Not a Tuya announcement."),
                        }
                    }
                    _ = again.tick() => match role {
                        Role::Listen => {}
                        Role::Broadcast => if let Some((target, app_ip)) = config.probe {
                            let _ = socket.send_to(&encode_probe(app_ip), target).await;
                        },
                        Role::Unicast => for target in &config.unicast {
                            let _ = socket.send_to(&encode_probe(None), *target).await;
                        },
                    },
                }
            }
        }));
    }
    drop(tx);
    let mut found: BTreeMap<String, Announcement> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + duration;
    while let Ok(Some(a)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        found.insert(a.id.clone(), a);
    }
    for r in readers {
        r.abort();
    }
    found.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn announcements_round_trip() {
        let a = Announcement {
            id: "bf0123456789abcdefghij".into(),
            ip: "10.99.0.2".parse().unwrap(),
            version: Some(Version::V34),
            product_key: Some("keyabc".into()),
            port: Some(16668),
        };
        let back = decode_announcement(&encode_announcement(&a, 3), "10.0.0.9".parse().unwrap());
        assert_eq!(back.unwrap(), a);
        assert!(is_probe(&encode_probe(Some("10.99.0.1".parse().unwrap()))));
        assert!(is_probe(&encode_probe(None)));
    }

    proptest! {
        #[test]
        fn garbage_datagrams_are_errors(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_announcement(&bytes, "127.0.0.1".parse().unwrap());
            let _ = is_probe(&bytes);
        }
    }
}
