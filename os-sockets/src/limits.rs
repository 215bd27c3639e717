//! The process's open-file limit, which bounds how many connections it can hold.

/// Raises the soft `RLIMIT_NOFILE` to the hard one (as systemd's `LimitNOFILE=` or the shell's
/// `ulimit -Hn` allows; getrlimit(2)) and returns the soft limit now in force. Without an
/// answer from the kernel, 1,024: the usual default.
#[allow(unsafe_code)]
pub fn raise_open_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit through a valid pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit reads one rlimit through a valid pointer.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = raised.rlim_cur;
        } else {
            tracing::debug!("The open-file limit stays at {}.", limit.rlim_cur);
        }
    }
    // rlim_t is 32 bits wide on 32-bit ARM and 64 elsewhere.
    #[allow(clippy::useless_conversion)]
    u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX)
}
