//! `device-emulator`: runs one emulated device for tests and demos.
//!
//! ```text
//! device-emulator tuya --id ID --key KEY --version 3.4 [--listen 127.0.0.1:0]
//!     [--dps '{"1":false}'] [--announce ADDR:PORT] [--announce-ip IP] [--probe ADDR:PORT]
//!     [--idle-timeout SECS]
//! ```
//! It prints `listening ADDR` (and `probe ADDR`) on stdout, then reads commands on stdin:
//! `press {"1":true}` (the device's own button: the change is pushed to the client) and
//! `dps` (prints `dps {…}`). It stops on end of input or a signal.
//!
//! ```text
//! device-emulator miio --token HEX32 --did N [--model M] [--props '{"power":"off"}']
//!     [--listen 127.0.0.1:0]
//! ```
//! prints `listening ADDR`; stdin `press {…}` changes properties, `props` prints them.
//!
//! ```text
//! device-emulator ewelink --id ID [--key DEVICEKEY] [--type plug] [--state '{"switch":"off"}']
//!     [--listen 127.0.0.1:0] [--mdns IFACE --mdns-ip IP]
//! ```
//! (no `--key`: DIY mode) prints `listening ADDR`; stdin `press {…}`, `state`.
//!
//! ```text
//! device-emulator scan tuya|miio|ewelink [--bind IP] [--app-ip IP] [--broadcast IP] [--iface NAME] [--secs N]
//! ```
//! runs our own LAN discovery once (what the hub does when an admin clicks "discover"),
//! printing `found {…}` per device, then `done`; tests run it inside a network namespace.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use device_drivers::emulator::tuya::{self, TuyaDevice};
use device_drivers::tuya::{crypto, Version};
use tokio::io::{AsyncBufReadExt, BufReader};

fn usage() -> ! {
    eprintln!("usage: device-emulator scan tuya|miio|ewelink [--bind IP] [--app-ip IP] [--broadcast IP] [--iface NAME] [--secs N]");
    eprintln!("usage: device-emulator ewelink --id ID [--key DEVICEKEY] [--type plug] [--state JSON] [--listen ADDR] [--mdns IFACE --mdns-ip IP]");
    eprintln!("usage: device-emulator miio --token HEX32 --did N [--model M] [--props JSON] [--listen ADDR]");
    eprintln!("usage: device-emulator tuya --id ID --key KEY --version 3.1|3.3|3.4|3.5 [--listen ADDR] [--dps JSON] [--announce ADDR] [--announce-ip IP] [--probe ADDR] [--idle-timeout SECS]");
    std::process::exit(2)
}

fn options(args: &[String]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let Some(name) = flag.strip_prefix("--") else {
            usage()
        };
        let Some(value) = it.next() else { usage() };
        out.insert(name.to_owned(), value.clone());
    }
    out
}

fn parse<T: std::str::FromStr>(opts: &HashMap<String, String>, name: &str) -> Option<T> {
    opts.get(name).map(|v| {
        v.parse().unwrap_or_else(|_| {
            eprintln!("device-emulator: --{name} {v:?} is not valid");
            std::process::exit(2)
        })
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((protocol, rest)) = args.split_first() else {
        usage()
    };
    if protocol == "scan" {
        return run_scan(rest).await;
    }
    let opts = options(rest);
    match protocol.as_str() {
        "tuya" => run_tuya(&opts).await,
        "miio" => run_miio(&opts).await,
        "ewelink" => run_ewelink(&opts).await,
        _ => usage(),
    }
}

async fn run_tuya(opts: &HashMap<String, String>) {
    let id = opts.get("id").cloned().unwrap_or_else(|| usage());
    let key = opts
        .get("key")
        .map(|k| {
            crypto::parse_local_key(k).unwrap_or_else(|e| {
                eprintln!("device-emulator: {e}");
                std::process::exit(2)
            })
        })
        .unwrap_or_else(|| usage());
    let version = opts
        .get("version")
        .and_then(|v| Version::parse(v))
        .unwrap_or_else(|| usage());
    let dps = json_option(opts, "dps").unwrap_or_default();
    let mut device = TuyaDevice::new(&id, key, version, dps);
    if let Some(listen) = parse::<SocketAddr>(opts, "listen") {
        device.listen = listen;
    }
    device.announce_to = parse(opts, "announce");
    device.announce_ip = parse(opts, "announce-ip");
    device.probe_listen = parse(opts, "probe");
    if let Some(secs) = parse::<u64>(opts, "idle-timeout") {
        device.idle_timeout = Duration::from_secs(secs);
    }
    let running = listening(tuya::start(device).await);
    say(&format!("listening {}", running.addr));
    if let Some(probe) = running.probe_addr {
        say(&format!("probe {probe}"));
    }
    serve_stdin(
        "dps",
        |changes| running.press(changes),
        || running.dps(),
        |line| {
            if line == "connections" {
                say(&format!("connections {}", running.connections()));
            }
        },
    )
    .await;
}

async fn run_miio(opts: &HashMap<String, String>) {
    use device_drivers::emulator::miio::{self, MiioDevice};
    let token = opts
        .get("token")
        .map(|t| {
            device_drivers::miio::packet::parse_token(t).unwrap_or_else(|e| {
                eprintln!("device-emulator: {e}");
                std::process::exit(2)
            })
        })
        .unwrap_or_else(|| usage());
    let props = json_option(opts, "props").unwrap_or_default();
    let device = MiioDevice {
        device_id: parse(opts, "did").unwrap_or(0x0512_3456),
        token,
        model: opts
            .get("model")
            .cloned()
            .unwrap_or_else(|| "chuangmi.plug.m1".into()),
        props,
        listen: parse(opts, "listen").unwrap_or(LOOPBACK),
    };
    let running = listening(miio::start(device).await);
    say(&format!("listening {}", running.addr));
    serve_stdin(
        "props",
        |changes| running.press(changes),
        || running.props(),
        |_| {},
    )
    .await;
}

async fn run_ewelink(opts: &HashMap<String, String>) {
    use device_drivers::emulator::ewelink::{self, EwelinkDevice};
    let state = json_option(opts, "state").unwrap_or_else(|| serde_json::json!({"switch": "off", "startup": "off", "pulse": "off", "pulseWidth": 500, "rssi": -60}).as_object().cloned().unwrap_or_default());
    let announce = opts.get("mdns").map(|iface| {
        let ip = parse(opts, "mdns-ip").unwrap_or_else(|| usage());
        (vec![iface.clone()], ip)
    });
    let device = EwelinkDevice {
        device_id: opts.get("id").cloned().unwrap_or_else(|| usage()),
        devicekey: opts.get("key").cloned(),
        device_type: opts.get("type").cloned().unwrap_or_else(|| "plug".into()),
        state,
        listen: parse(opts, "listen").unwrap_or(LOOPBACK),
        announce,
    };
    let running = listening(ewelink::start(device).await);
    say(&format!("listening {}", running.addr));
    serve_stdin(
        "state",
        |changes| running.press(changes),
        || running.state(),
        |_| {},
    )
    .await;
}

async fn run_scan(args: &[String]) {
    use std::net::{IpAddr, Ipv4Addr};
    let Some((brand, rest)) = args.split_first() else {
        usage()
    };
    let opts = options(rest);
    let bind: Ipv4Addr = parse(&opts, "bind").unwrap_or(Ipv4Addr::UNSPECIFIED);
    let app_ip: Option<Ipv4Addr> = parse(&opts, "app-ip");
    let broadcast: Ipv4Addr = parse(&opts, "broadcast").unwrap_or(Ipv4Addr::BROADCAST);
    let secs = Duration::from_secs(parse(&opts, "secs").unwrap_or(4));
    let found: Vec<serde_json::Value> = match brand.as_str() {
        "tuya" => {
            let config = device_drivers::tuya::discovery::ScanConfig::lan(app_ip, broadcast);
            device_drivers::tuya::discovery::scan(&config, secs)
                .await
                .into_iter()
                .filter_map(|a| serde_json::to_value(a).ok())
                .collect()
        }
        "miio" => {
            let targets = [SocketAddr::new(
                IpAddr::V4(broadcast),
                device_drivers::miio::PORT,
            )];
            device_drivers::miio::discovery::scan(
                SocketAddr::new(IpAddr::V4(bind), 0),
                &targets,
                secs,
            )
            .await
            .unwrap_or_else(|e| {
                eprintln!("device-emulator: {e}");
                std::process::exit(1)
            })
            .into_iter()
            .filter_map(|f| serde_json::to_value(f).ok())
            .collect()
        }
        "ewelink" => {
            let interfaces: Vec<String> = opts.get("iface").cloned().into_iter().collect();
            device_drivers::ewelink::discovery::scan(&interfaces, secs)
                .await
                .unwrap_or_else(|e| {
                    eprintln!("device-emulator: {e}");
                    std::process::exit(1)
                })
                .into_iter()
                .filter_map(|f| serde_json::to_value(f).ok())
                .collect()
        }
        _ => usage(),
    };
    for f in found {
        say(&format!("found {f}"));
    }
    say("done");
}

/// Where an emulator listens unless told: loopback, a port of the system's choosing.
const LOOPBACK: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// A started emulator, or the reason it could not listen (and exit).
fn listening<T>(started: std::io::Result<T>) -> T {
    started.unwrap_or_else(|e| {
        eprintln!("device-emulator: cannot listen: {e}");
        std::process::exit(1)
    })
}

/// A `--name` option holding a JSON object.
fn json_option(
    opts: &HashMap<String, String>,
    name: &str,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    opts.get(name).map(|d| {
        serde_json::from_str(d).unwrap_or_else(|e| {
            eprintln!("device-emulator: --{name} is not a JSON object: {e}");
            std::process::exit(2)
        })
    })
}

/// Reads commands on stdin until it ends or a signal: `press {…}` (the device's own
/// controls), `<word>` (prints `<word> {…}`, the device's data), others to `other`.
async fn serve_stdin(
    word: &str,
    press: impl Fn(serde_json::Map<String, serde_json::Value>),
    dump: impl Fn() -> serde_json::Map<String, serde_json::Value>,
    other: impl Fn(&str),
) {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Ok(Some(line)) = line else { return };
                let line = line.trim();
                if let Some(json) = line.strip_prefix("press ") {
                    match serde_json::from_str(json) {
                        Ok(changes) => press(changes),
                        Err(e) => eprintln!("device-emulator: press needs a JSON object: {e}"),
                    }
                } else if line == word {
                    say(&format!("{word} {}", serde_json::Value::Object(dump())));
                } else {
                    other(line);
                }
            }
            _ = tokio::signal::ctrl_c() => return,
        }
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
