//! The hub's own addresses on the LAN: where discovery broadcasts, and where guests'
//! phones reach the guest pages.

/// Where guests' phones reach the guest pages: plain HTTP on the hub's LAN addresses (its
/// local CA is for staff devices; `hub.local` fails on some Android browsers), or the one
/// address it listens on; loopback when there is no other.
pub fn guest_addresses(http: std::net::SocketAddr) -> Vec<String> {
    lan_origins("http", http)
}

/// Where staff devices and the lobby kiosk reach the hub's HTTPS (camera and microphone
/// need a secure page): `https://<LAN address>:<port>`, as [`guest_addresses`] finds them.
pub fn secure_addresses(https: std::net::SocketAddr) -> Vec<String> {
    lan_origins("https", https)
}

fn lan_origins(scheme: &str, http: std::net::SocketAddr) -> Vec<String> {
    let port = http.port();
    let mut ips: Vec<std::net::IpAddr> = if http.ip().is_unspecified() {
        if_addrs::get_if_addrs()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| !i.is_loopback() && i.ip().is_ipv4())
            .map(|i| i.ip())
            .collect()
    } else {
        vec![http.ip()]
    };
    if ips.is_empty() {
        ips.push(std::net::Ipv4Addr::LOCALHOST.into());
    }
    ips.into_iter()
        .map(|ip| std::net::SocketAddr::new(ip, port))
        .map(|a| format!("{scheme}://{a}"))
        .collect()
}

/// The hub's own IPv4 address on the LAN and where to broadcast there: the first
/// interface of `interfaces` (or any but loopback when none are named) with its subnet
/// broadcast, so discovery stays on the chosen network; unspecified and 255.255.255.255
/// when there is none.
pub fn ipv4(interfaces: &[String]) -> (std::net::Ipv4Addr, std::net::Ipv4Addr) {
    if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback() && (interfaces.is_empty() || interfaces.contains(&i.name)))
        .find_map(|i| match i.addr {
            // From the address and mask: a `brd` is not always configured.
            if_addrs::IfAddr::V4(v4) => Some((
                v4.ip,
                std::net::Ipv4Addr::from(u32::from(v4.ip) | !u32::from(v4.netmask)),
            )),
            if_addrs::IfAddr::V6(_) => None,
        })
        .unwrap_or((
            std::net::Ipv4Addr::UNSPECIFIED,
            std::net::Ipv4Addr::BROADCAST,
        ))
}

/// Whether the box has a way out: a default route in the kernel's IPv4 table
/// (`/proc/net/route`, destination `00000000`) or IPv6 table (`/proc/net/ipv6_route`,
/// prefix `::/0` on an interface other than `lo`). False when neither can be read.
pub fn has_default_route() -> bool {
    let v4 = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    let v4 = v4.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 2 && f[1] == "00000000" && f[0] != "lo"
    });
    let v6 = std::fs::read_to_string("/proc/net/ipv6_route").unwrap_or_default();
    let v6 = v6.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() == 10 && f[0] == "0".repeat(32) && f[1] == "00" && f[9] != "lo"
    });
    v4 || v6
}
