//! The scheduling priority of the threads a write transaction runs on.
//!
//! On SQLite a write transaction holds the one writer's turn from its first
//! statement to its commit, and every statement crosses two threads: the
//! one driving the transaction and the connection's own. On a busy machine
//! each crossing waits for a core behind whatever else is runnable (a
//! fleet's telemetry, page renders), and the turn is held for all those
//! waits while every settlement queues behind it. Favoured, those threads
//! get a core first; they mostly sleep, so they take little from the rest.
//!
//! Raising a thread's priority needs `CAP_SYS_NICE` (or `LimitNICE=` in a
//! systemd unit). Without it the threads keep the normal priority, and the
//! first refusal is logged once.

use std::sync::OnceLock;

/// The nice value favoured threads get (normal is 0; lower runs first).
/// Linux weighs a runnable thread at nice -10 about nine times one at 0.
pub const FAVOURED_NICE: i32 = -10;

/// Whether this process could favour its threads: `None` until it tried.
static FAVOURING: OnceLock<bool> = OnceLock::new();

/// Favours the calling thread, if the process may.
pub fn favour_current_thread() {
    note(imp::set_nice(imp::current_thread_id(), FAVOURED_NICE).map(|()| 1));
}

/// Favours every thread of this process whose name starts with `prefix`
/// (Linux names are at most 15 bytes), if the process may.
pub fn favour_threads_named(prefix: &str) {
    note(imp::threads_named(prefix).and_then(|threads| {
        for &thread in &threads {
            match imp::set_nice(thread, FAVOURED_NICE) {
                // It ended since it was listed: nothing left to favour.
                Err(e) if e.raw_os_error() == Some(imp::NO_SUCH_THREAD) => {}
                outcome => outcome?,
            }
        }
        Ok(threads.len())
    }));
}

/// `Some(true)` once a thread was favoured, `Some(false)` when the
/// operating system refused, `None` before any try.
pub fn favouring() -> Option<bool> {
    FAVOURING.get().copied()
}

fn note(outcome: std::io::Result<usize>) {
    match outcome {
        Ok(0) => {}
        Ok(_) => {
            FAVOURING.get_or_init(|| true);
        }
        Err(e) => {
            if FAVOURING.set(false).is_ok() {
                tracing::info!(
                    error = %e,
                    "the database's write path keeps the normal thread priority: raising it needs CAP_SYS_NICE"
                );
            }
        }
    }
}

// The workspace denies unsafe code; thread ids and nice values are only
// reachable through libc.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod imp {
    use std::io;

    pub type ThreadId = libc::pid_t;

    pub const NO_SUCH_THREAD: i32 = libc::ESRCH;

    pub fn current_thread_id() -> ThreadId {
        // SAFETY: gettid takes no arguments and cannot fail.
        unsafe { libc::gettid() }
    }

    /// On Linux the nice value belongs to a thread, named by its id.
    pub fn set_nice(thread: ThreadId, nice: i32) -> io::Result<()> {
        let who = libc::id_t::try_from(thread).map_err(io::Error::other)?;
        // SAFETY: plain system call on integers.
        match unsafe { libc::setpriority(libc::PRIO_PROCESS, who, nice) } {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        }
    }

    pub fn threads_named(prefix: &str) -> io::Result<Vec<ThreadId>> {
        let mut found = Vec::new();
        for task in std::fs::read_dir("/proc/self/task")? {
            let task = task?;
            // A thread that ended meanwhile has no name to read.
            let Ok(name) = std::fs::read_to_string(task.path().join("comm")) else {
                continue;
            };
            if name.trim_end().starts_with(prefix)
                && let Some(id) = task.file_name().to_str().and_then(|id| id.parse().ok())
            {
                found.push(id);
            }
        }
        Ok(found)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;

    pub type ThreadId = u64;

    pub const NO_SUCH_THREAD: i32 = 0;

    pub fn current_thread_id() -> ThreadId {
        0
    }

    pub fn set_nice(_: ThreadId, _: i32) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    pub fn threads_named(_: &str) -> io::Result<Vec<ThreadId>> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The nice value of `thread`, as the kernel reports it.
    fn nice_of(thread: imp::ThreadId) -> i32 {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{thread}/stat")).unwrap();
        // Fields after the name (in parentheses, which may hold spaces):
        // state is field 3, nice field 19.
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        after_name.split(' ').nth(16).unwrap().parse().unwrap()
    }

    /// What the kernel allows this process: favoured where it may raise a
    /// thread's priority, unchanged (and the refusal remembered) where not.
    fn expected(before: i32) -> i32 {
        match favouring() {
            Some(true) => FAVOURED_NICE,
            Some(false) => before,
            None => panic!("favouring was tried and not noted"),
        }
    }

    #[test]
    fn the_calling_thread_is_favoured_where_allowed() {
        std::thread::spawn(|| {
            let me = imp::current_thread_id();
            let before = nice_of(me);
            favour_current_thread();
            assert_eq!(nice_of(me), expected(before));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn threads_are_found_and_favoured_by_name() {
        let (tell, told) = std::sync::mpsc::channel();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let named = std::thread::Builder::new()
            .name("favour-me-7".into())
            .spawn(move || {
                tell.send(imp::current_thread_id()).unwrap();
                let _ = stopped.recv();
            })
            .unwrap();
        let thread = told.recv().unwrap();
        let before = nice_of(thread);
        assert_eq!(imp::threads_named("favour-me").unwrap(), vec![thread]);
        favour_threads_named("favour-me");
        assert_eq!(nice_of(thread), expected(before));
        // Nothing else was touched.
        assert_eq!(nice_of(imp::current_thread_id()), 0);
        drop(stop);
        named.join().unwrap();
    }
}
