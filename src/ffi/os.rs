//! Calls into the C library that the safe standard library does not offer.
//!
//! Kept here so that every `unsafe` block of the crate lives under `src/ffi/`.

/// Registers [`crate::rng::on_fork_child`] to run in the child after every
/// `fork()`, so thread RNGs reseed there. Called once per process.
pub(crate) fn register_fork_child_handler() {
    // SAFETY: `pthread_atfork` only stores the three function pointers; the
    // child handler is a plain `extern "C" fn` with no arguments that performs
    // one atomic increment, which is async-signal-safe as POSIX requires.
    let rc = unsafe { libc::pthread_atfork(None, None, Some(crate::rng::on_fork_child)) };
    // The only documented failure is ENOMEM at registration; without the
    // handler a forked child would reuse its parent's stream, so fail loudly
    // (the panic is caught at the C boundary and reported as an internal error).
    assert_eq!(rc, 0, "pthread_atfork failed: the RNG cannot detect fork");
}

#[cfg(test)]
mod tests {
    use crate::rng::{NoiseRng, with_secure_rng};
    use std::io::{Read, Write};

    /// Parent and child draw from the thread RNG after `fork()`; their next bytes differ.
    /// Without reseeding they would be identical (the child inherits the buffered state).
    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot call fork")]
    fn parent_and_child_draw_different_bytes_after_fork() {
        // Seed and buffer the stream before forking.
        with_secure_rng(|r| r.next_u64()).unwrap();
        let (mut reader, mut writer) = std::io::pipe().unwrap();
        // SAFETY: the child only draws from the RNG, writes 8 bytes to a pipe
        // and calls `_exit`; it never returns into the test harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let child = with_secure_rng(|r| r.next_u64()).unwrap_or(0);
            let _ = writer.write_all(&child.to_le_bytes());
            // SAFETY: `_exit` ends the child immediately without running the
            // parent's atexit handlers or test-harness destructors.
            unsafe { libc::_exit(0) };
        }
        drop(writer);
        let parent = with_secure_rng(|r| r.next_u64()).unwrap();
        let mut buf = [0u8; 8];
        reader.read_exact(&mut buf).unwrap();
        let mut status = 0;
        // SAFETY: waits for the child created above; `status` is a valid out-pointer.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        let child = u64::from_le_bytes(buf);
        assert_ne!(child, 0, "child failed to draw");
        assert_ne!(parent, child, "child reused the parent's RNG stream");
    }
}
