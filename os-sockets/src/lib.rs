//! What the operating system decides about a server's sockets, for the hub and the relay:
//! `TCP_NODELAY` on a listener a library binds (rumqttd), and the open-file limit that
//! bounds how many connections a process can hold. The workspace's only `unsafe` calls
//! into libc for sockets live here.

mod limits;
mod nodelay;

pub use limits::raise_open_file_limit;
pub use nodelay::no_delay_for_accepted;
