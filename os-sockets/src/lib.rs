//! What the operating system decides about a server's sockets, for the hub and the relay:
//! `TCP_NODELAY` on a listener a library binds (rumqttd), and the open-file limit that
//! bounds how many connections a process can hold; and child processes that end with the
//! server. The workspace's only `unsafe` calls into libc live here.

mod children;
mod limits;
mod nodelay;

pub use children::end_with_parent;
pub use limits::raise_open_file_limit;
pub use nodelay::no_delay_for_accepted;
