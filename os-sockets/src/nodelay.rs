//! A socket option on a listener the process does not own: rumqttd binds its listener
//! itself and accepts device connections without `TCP_NODELAY`. Then a small command to a
//! device that has just been acknowledged (a PUBACK in flight) waits for the device's
//! delayed ACK, about 40 ms (Nagle's algorithm, RFC 896, meeting delayed ACKs, RFC 1122
//! §4.2.3.2), and a scenario that waits for each confirmation falls behind. Linux gives an
//! accepted connection its listener's socket options, `TCP_NODELAY` among them, so it is
//! set once on the listener.

use std::net::{IpAddr, SocketAddr};

/// Sets `TCP_NODELAY` on this process's listening socket bound to `addr`, for every
/// connection it accepts from now on. `Ok(false)` when no such listener is open (or off
/// Linux); an error when the kernel refused the option.
#[allow(unsafe_code)]
pub fn no_delay_for_accepted(addr: SocketAddr) -> std::io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        for entry in std::fs::read_dir("/proc/self/fd")? {
            let Ok(fd) = entry?.file_name().to_string_lossy().parse::<libc::c_int>() else {
                continue;
            };
            if listening_on(fd) != Some(addr) {
                continue;
            }
            let one: libc::c_int = 1;
            // SAFETY: `fd` is an open socket of this process (getsockname just answered for
            // it); setsockopt reads an int from a pointer that lives across the call.
            let done = unsafe {
                libc::setsockopt(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_NODELAY,
                    std::ptr::from_ref(&one).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            return if done == 0 {
                Ok(true)
            } else {
                Err(std::io::Error::last_os_error())
            };
        }
    }
    let _ = addr;
    Ok(false)
}

/// The address `fd` listens on, when it is a listening TCP socket.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn listening_on(fd: libc::c_int) -> Option<SocketAddr> {
    let mut accepting: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `accepting`; on a descriptor that
    // is not a socket it fails with ENOTSOCK and writes nothing.
    let asked = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            std::ptr::from_mut(&mut accepting).cast(),
            &mut len,
        )
    };
    if asked != 0 || accepting != 1 {
        return None;
    }
    // SAFETY: sockaddr_storage is plain data for which all zeroes is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: getsockname writes at most `len` bytes into `storage`.
    let named = unsafe { libc::getsockname(fd, std::ptr::from_mut(&mut storage).cast(), &mut len) };
    if named != 0 {
        return None;
    }
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let v4: libc::sockaddr_in = unsafe {
                std::ptr::from_ref(&storage)
                    .cast::<libc::sockaddr_in>()
                    .read()
            };
            let ip = IpAddr::from(u32::from_be(v4.sin_addr.s_addr).to_be_bytes());
            Some(SocketAddr::new(ip, u16::from_be(v4.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let v6: libc::sockaddr_in6 = unsafe {
                std::ptr::from_ref(&storage)
                    .cast::<libc::sockaddr_in6>()
                    .read()
            };
            Some(SocketAddr::new(
                IpAddr::from(v6.sin6_addr.s6_addr),
                u16::from_be(v6.sin6_port),
            ))
        }
        _ => None,
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {

    #[test]
    fn connections_accepted_after_it_have_no_delay() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let before = std::net::TcpStream::connect(addr).unwrap();
        let (early, _) = listener.accept().unwrap();
        assert!(!early.nodelay().unwrap(), "the default is Nagle on");
        assert!(super::no_delay_for_accepted(addr).unwrap());
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap(), "inherited from the listener");
        drop(before);
        let other: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert!(!super::no_delay_for_accepted(other).unwrap());
    }
}
