//! Keeping the resident set small on glibc. Each argon2id hash (sign-in, set-up, invites)
//! takes a 19 MiB block; glibc then raises its mmap threshold and keeps later blocks of
//! that size in the heap, where they stay resident after use (tens of MiB after a few
//! sign-ins). A fixed threshold sends large blocks to mmap, and freeing them returns the
//! memory to the system at once.

/// How often the allocator's free pages go back to the system.
pub const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Hands the allocator's free pages back to the system (malloc_trim(3)). After a burst (a
/// switch pressed hundreds of times a second) the heap keeps its high-water mark, free but
/// resident: about 13 MiB on top of an idle hub's 12 MiB of heap (`cargo bench -p hub
/// --bench writes`). Walks the free lists, a millisecond or so on a hub's heap.
#[allow(unsafe_code)]
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only returns the allocator's own free memory; no pointers.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

/// Large allocations go straight to mmap; called once, first thing in `main`. A plain C
/// call with no pointers (the other `unsafe` is the file limit's, in `files.rs`).
#[allow(unsafe_code)]
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // M_MMAP_THRESHOLD = -3 in glibc's malloc.h; setting it also turns off the dynamic
        // adjustment. 256 KiB is glibc's own upper default for small programs.
        const M_MMAP_THRESHOLD: libc::c_int = -3;
        // SAFETY: mallopt only changes allocator tuning; it is called before any threads.
        let ok = unsafe { libc::mallopt(M_MMAP_THRESHOLD, 256 * 1024) };
        if ok != 1 {
            eprintln!("hub: could not tune the allocator (mallopt); memory use may be higher");
        }
    }
}
