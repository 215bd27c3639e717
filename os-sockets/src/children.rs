//! Child processes a server starts (the relay's coturn): they end with it.

/// Asks the kernel to send the child SIGTERM when the thread that started it ends
/// (prctl(2) `PR_SET_PDEATHSIG`), so a server killed with SIGKILL leaves no child holding its
/// ports. Start the child from a thread that lives as long as the process (a runtime
/// worker, not a blocking-pool thread, which ends when idle). Elsewhere than Linux: nothing.
#[allow(unsafe_code)]
pub fn end_with_parent(command: &mut std::process::Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt as _;
        // SAFETY: between fork and exec only prctl runs, which is async-signal-safe and
        // touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}
