//! The table of open connections both listeners share: who may open one more, and which
//! quiet connection gives way when the table is full. A stranger on the guest Wi-Fi can open
//! sockets faster than file handles last; these limits keep `/healthz`, sign-in and the
//! staff's HTTPS answering while they try.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// File handles kept out of the connection budget: the store and its WAL, the broker's
/// clients, device links, mDNS, logs.
const FILES_KEPT: u64 = 256;

/// How many connections may be open, and for how long a quiet one stays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectionLimits {
    /// Connections open at once over both listeners (sockets upgraded to WebSockets included).
    pub total: usize,
    /// Of `total`, what plain HTTP from other hosts cannot take: room for HTTPS (the staff)
    /// and for this machine (the watchdog's probe).
    pub reserved: usize,
    /// Connections from one address (an IPv6 /64 counts as one address); loopback excepted.
    pub per_address: usize,
    /// A new connection must have sent a whole request head (and its TLS handshake) by then.
    pub head_timeout: Duration,
    /// A connection with no request in flight is closed after this long.
    pub idle_timeout: Duration,
}

impl ConnectionLimits {
    /// `wanted` connections, fewer if the process may open only `open_files` handles; an
    /// eighth of the total (at least 16) is the reserve.
    pub fn within(
        wanted: usize,
        per_address: usize,
        open_files: u64,
        head_timeout: Duration,
        idle_timeout: Duration,
    ) -> ConnectionLimits {
        let room = usize::try_from(open_files.saturating_sub(FILES_KEPT)).unwrap_or(usize::MAX);
        let total = wanted.min(room).max(32);
        ConnectionLimits {
            total,
            reserved: (total / 8).max(16),
            per_address: per_address.max(1),
            head_timeout,
            idle_timeout,
        }
    }
}

/// One open connection's state, shared by its task, its requests and the table.
#[derive(Debug)]
struct Conn {
    id: u64,
    address: IpAddr,
    in_flight: AtomicUsize,
    /// Whether a request has been served: a connection that never sent one gives way first.
    served: AtomicBool,
    /// Upgraded to a WebSocket: the socket lives on outside HTTP and is never evicted.
    handed_off: AtomicBool,
    /// Milliseconds after the table's epoch when the connection last had nothing in flight.
    quiet_since: AtomicU64,
    close: Notify,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    open: HashMap<u64, Arc<Conn>>,
    per_address: HashMap<IpAddr, usize>,
    refused: u64,
}

/// The shared table. Admit with [`Connections::admit`]; the returned [`Slot`] frees its
/// place when dropped.
pub struct Connections {
    limits: ConnectionLimits,
    epoch: Instant,
    table: Mutex<Table>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The address holds its share, all of it busy.
    AddressFull,
    /// Every slot it may use is busy.
    Full,
}

impl Connections {
    pub fn new(limits: ConnectionLimits) -> Arc<Connections> {
        Arc::new(Connections {
            limits,
            epoch: Instant::now(),
            table: Mutex::new(Table::default()),
        })
    }

    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().open.len()
    }

    /// Connections refused since start.
    pub fn refused(&self) -> u64 {
        self.lock().refused
    }

    /// Admits a connection from `peer`; `reserved` when it may use the reserve (HTTPS, or
    /// this machine). When the address's share or the table is full, the quietest connection
    /// there (one that never finished a request first, then the longest idle) is told to
    /// close and gives its place; with none quiet, the connection is refused.
    pub fn admit(self: &Arc<Self>, peer: IpAddr, reserved: bool) -> Result<Slot, Refusal> {
        let address = address_key(peer);
        let mut table = self.lock();
        let address_full = !peer.is_loopback()
            && table.per_address.get(&address).copied().unwrap_or(0) >= self.limits.per_address;
        if address_full && !evict_quietest(&mut table, |c| c.address == address) {
            table.refused += 1;
            return Err(Refusal::AddressFull);
        }
        let cap = if reserved {
            self.limits.total
        } else {
            self.limits.total.saturating_sub(self.limits.reserved)
        };
        if table.open.len() >= cap && !evict_quietest(&mut table, |_| true) {
            table.refused += 1;
            return Err(Refusal::Full);
        }
        table.next_id += 1;
        let conn = Arc::new(Conn {
            id: table.next_id,
            address,
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            handed_off: AtomicBool::new(false),
            quiet_since: AtomicU64::new(self.now_ms()),
            close: Notify::new(),
        });
        table.open.insert(conn.id, conn.clone());
        *table.per_address.entry(address).or_default() += 1;
        Ok(Slot {
            connections: self.clone(),
            conn,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // The table holds counters only; one a panicking thread left is still usable.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn release(&self, id: u64) {
        let mut table = self.lock();
        if let Some(conn) = table.open.remove(&id) {
            forget_address(&mut table, conn.address);
        }
    }
}

/// Tells the quietest connection `matching` to close and frees its place now.
fn evict_quietest(table: &mut Table, matching: impl Fn(&Conn) -> bool) -> bool {
    let victim = table
        .open
        .values()
        .filter(|c| {
            matching(c)
                && c.in_flight.load(Ordering::Acquire) == 0
                && !c.handed_off.load(Ordering::Acquire)
        })
        .min_by_key(|c| {
            (
                c.served.load(Ordering::Acquire),
                c.quiet_since.load(Ordering::Acquire),
            )
        })
        .map(|c| c.id);
    let Some(conn) = victim.and_then(|id| table.open.remove(&id)) else {
        return false;
    };
    forget_address(table, conn.address);
    conn.close.notify_one();
    true
}

fn forget_address(table: &mut Table, address: IpAddr) {
    if let Some(n) = table.per_address.get_mut(&address) {
        *n -= 1;
        if *n == 0 {
            table.per_address.remove(&address);
        }
    }
}

/// IPv6 hosts pick addresses within their /64 at will: the prefix is the address.
fn address_key(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(_) => peer,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

/// A place in the table, held by the connection's socket for as long as it is open.
pub struct Slot {
    connections: Arc<Connections>,
    conn: Arc<Conn>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Slot").field(&self.conn.id).finish()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.connections.release(self.conn.id);
    }
}

impl Slot {
    /// Marks a request in flight until the returned guard drops (when its response body ends).
    pub fn begin(&self) -> InFlight {
        self.conn.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight {
            connections: self.connections.clone(),
            conn: self.conn.clone(),
        }
    }

    /// How long a new connection may take to send its request head.
    pub fn head_timeout(&self) -> Duration {
        self.connections.limits.head_timeout
    }

    /// The socket now belongs to a WebSocket.
    pub fn hand_off(&self) {
        self.conn.handed_off.store(true, Ordering::Release);
    }

    /// Resolves when the table asked this connection to make room.
    pub async fn evicted(&self) {
        self.conn.close.notified().await
    }

    /// When the connection is due to close if it stays quiet; `None` while a request is in
    /// flight or after a hand-off (look again later).
    pub fn quiet_deadline(&self) -> Option<Instant> {
        let c = &self.conn;
        if c.in_flight.load(Ordering::Acquire) > 0 || c.handed_off.load(Ordering::Acquire) {
            return None;
        }
        let limits = self.connections.limits;
        let allowed = if c.served.load(Ordering::Acquire) {
            limits.idle_timeout
        } else {
            limits.head_timeout
        };
        let since = Duration::from_millis(c.quiet_since.load(Ordering::Acquire));
        Some(self.connections.epoch + since + allowed)
    }
}

/// A request in flight on a connection.
pub struct InFlight {
    connections: Arc<Connections>,
    conn: Arc<Conn>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let c = &self.conn;
        c.served.store(true, Ordering::Release);
        c.quiet_since
            .store(self.connections.now_ms(), Ordering::Release);
        c.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_address: usize) -> ConnectionLimits {
        ConnectionLimits {
            total,
            reserved: 4,
            per_address,
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_over_its_share_takes_the_place_of_its_own_quietest() {
        let table = Connections::new(limits(100, 2));
        let first = table.admit(ip("10.0.0.5"), false).unwrap();
        let busy = table.admit(ip("10.0.0.5"), false).unwrap();
        let _request = busy.begin();
        let third = table.admit(ip("10.0.0.5"), false).unwrap();
        assert_eq!(table.open(), 2, "the first gave its place");
        let _also_busy = third.begin();
        assert_eq!(
            table.admit(ip("10.0.0.5"), false).unwrap_err(),
            Refusal::AddressFull
        );
        assert!(table.admit(ip("10.0.0.6"), false).is_ok());
        drop(first);
        assert_eq!(table.open(), 2, "an evicted slot is not freed twice");
    }

    #[test]
    fn plain_http_from_other_hosts_cannot_take_the_reserve() {
        let table = Connections::new(limits(10, 100));
        let guests: Vec<_> = (0..6)
            .map(|i| {
                let s = table.admit(ip(&format!("10.0.0.{i}")), false).unwrap();
                let r = s.begin();
                (s, r)
            })
            .collect();
        assert_eq!(
            table.admit(ip("10.0.0.99"), false).unwrap_err(),
            Refusal::Full
        );
        let staff: Vec<_> = (0..4)
            .map(|_| table.admit(ip("10.0.0.50"), true).unwrap())
            .collect();
        assert_eq!(table.open(), 10);
        // Full, but the quiet staff connections give way to the next one.
        assert!(table.admit(ip("127.0.0.1"), true).is_ok());
        assert_eq!(table.refused(), 1);
        drop((guests, staff));
    }

    #[test]
    fn a_connection_that_never_sent_a_request_gives_way_before_an_idle_one() {
        let table = Connections::new(limits(2, 100));
        let idle = table.admit(ip("10.0.0.1"), true).unwrap();
        drop(idle.begin());
        let silent = table.admit(ip("10.0.0.2"), true).unwrap();
        let _new = table.admit(ip("10.0.0.3"), true).unwrap();
        assert_eq!(table.open(), 2);
        // The silent one was told to close: its notification is waiting.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(1), silent.evicted())
                .await
                .expect("the silent connection is evicted");
        });
    }

    #[test]
    fn loopback_has_no_per_address_share_and_v6_counts_by_prefix() {
        let table = Connections::new(limits(100, 1));
        let _a = table.admit(ip("127.0.0.1"), true).unwrap();
        let _b = table.admit(ip("127.0.0.1"), true).unwrap();
        let c = table.admit(ip("2001:db8::1"), false).unwrap();
        let _busy = c.begin();
        assert_eq!(
            table.admit(ip("2001:db8::2"), false).unwrap_err(),
            Refusal::AddressFull
        );
        assert!(table.admit(ip("2001:db8:0:1::2"), false).is_ok());
    }

    #[test]
    fn the_budget_stays_under_the_file_limit() {
        let d = Duration::from_secs(1);
        let l = ConnectionLimits::within(4096, 64, 1024, d, d);
        assert_eq!(l.total, 768);
        assert_eq!(l.reserved, 96);
        assert_eq!(ConnectionLimits::within(1024, 64, 65536, d, d).total, 1024);
    }
}
