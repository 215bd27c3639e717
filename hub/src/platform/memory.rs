//! Keeping the resident set small on glibc. Each argon2id hash (sign-in, set-up, invites)
//! takes a 19 MiB block; glibc then raises its mmap threshold and keeps later blocks of
//! that size in the heap, where they stay resident after use (tens of MiB after a few
//! sign-ins). A fixed threshold sends large blocks to mmap, and freeing them returns the
//! memory to the system at once.

/// Lets go of the binary's machine code that start-up touched and the running hub may never
/// touch again (migrations, the local CA, the route table, the demo's set-up): some 13 MiB
/// of a 17 MiB binary is resident once the hub is ready. The pages are the file's, clean,
/// and come back from the page cache on their next use (a minor fault), as they would
/// after the kernel reclaimed them under memory pressure; only code is released
/// (`r-xp` mappings of our own executable), never data, whose pages may have been
/// written. Returns the bytes released.
#[allow(unsafe_code)]
pub fn release_start_up_code() -> usize {
    #[cfg(target_os = "linux")]
    {
        let Ok(exe) = std::fs::read_link("/proc/self/exe") else {
            return 0;
        };
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return 0;
        };
        let mut released = 0;
        for line in maps.lines() {
            // "start-end perms offset dev inode path"
            let mut fields = line.split_whitespace();
            let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
                continue;
            };
            let path = fields.nth(3).map(std::path::Path::new);
            if perms != "r-xp" || path != Some(exe.as_path()) {
                continue;
            }
            let Some((start, end)) = range.split_once('-').and_then(|(a, b)| {
                Some((
                    usize::from_str_radix(a, 16).ok()?,
                    usize::from_str_radix(b, 16).ok()?,
                ))
            }) else {
                continue;
            };
            // SAFETY: a private, read-only and executable mapping of our own file is never
            // written, so dropping its pages loses nothing: they are read again from the
            // file when next executed. No Rust object lives in it.
            let ok = unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED)
            };
            if ok == 0 {
                released += end - start;
            }
        }
        released
    }
    #[cfg(not(target_os = "linux"))]
    0
}

/// How often the allocator's free pages go back to the system.
pub const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Hands the allocator's free pages back to the system (malloc_trim(3)). After a burst (a
/// switch pressed hundreds of times a second) the heap keeps its high-water mark, free but
/// resident (`cargo bench -p hub --bench writes`). Walks the free lists, a millisecond or
/// so on a hub's heap.
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
/// call with no pointers (the other `unsafe` block is the code release above; the sockets'
/// are in the `os-sockets` crate).
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
