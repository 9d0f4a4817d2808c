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
//! first refusal is logged once. The short time slice needs no privilege.

use std::{sync::OnceLock, time::Duration};

/// The nice value favoured threads get (normal is 0; lower runs first).
/// Linux weighs a runnable thread at nice -10 about nine times one at 0.
pub const FAVOURED_NICE: i32 = -10;

/// The time slice favoured threads ask for: the shortest Linux grants.
/// Weight decides how much CPU a thread gets, the slice how soon: since
/// Linux 6.12 a waking thread whose slice is shorter than the running one's
/// takes the core at once, where otherwise it waits for that thread's slice
/// to end (1.4 ms on two cores), once per statement crossing. Favoured
/// threads run for microseconds at a time, so the short slice costs them
/// nothing. Older kernels ignore it.
pub const FAVOURED_SLICE: Duration = Duration::from_micros(100);

/// Whether this process could favour its threads: `None` until it tried.
static FAVOURING: OnceLock<bool> = OnceLock::new();

/// Favours the calling thread, if the process may.
pub fn favour_current_thread() {
    note(imp::favour(imp::current_thread_id()).map(|()| 1));
}

/// Favours every thread of this process whose name starts with `prefix`
/// (Linux names are at most 15 bytes), if the process may.
pub fn favour_threads_named(prefix: &str) {
    note(imp::threads_named(prefix).and_then(|threads| {
        for &thread in &threads {
            match imp::favour(thread) {
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

#[cfg(target_os = "linux")]
mod imp {
    use std::io;

    use super::{FAVOURED_NICE, FAVOURED_SLICE};

    pub type ThreadId = libc::pid_t;

    pub const NO_SUCH_THREAD: i32 = libc::ESRCH;

    pub fn current_thread_id() -> ThreadId {
        // SAFETY: gettid takes no arguments and cannot fail.
        unsafe { libc::gettid() }
    }

    /// Gives `thread` the favoured nice value and time slice (on Linux both
    /// belong to a thread, named by its id). Where the nice value is refused
    /// the slice is still set, and the refusal returned.
    pub fn favour(thread: ThreadId) -> io::Result<()> {
        let mut attr = scheduling_of(thread)?;
        let normal_nice = attr.sched_nice;
        attr.sched_policy = libc::SCHED_OTHER as u32;
        attr.sched_flags = 0;
        attr.sched_runtime = u64::try_from(FAVOURED_SLICE.as_nanos()).unwrap_or(u64::MAX);
        attr.sched_nice = FAVOURED_NICE;
        match set_scheduling(thread, &attr) {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
                attr.sched_nice = normal_nice;
                set_scheduling(thread, &attr)?;
                Err(e)
            }
            outcome => outcome,
        }
    }

    /// The scheduling attributes of `thread`; for a normal thread its nice
    /// value and (since Linux 6.12; 0 before) its time slice in `sched_runtime`.
    pub fn scheduling_of(thread: ThreadId) -> io::Result<libc::sched_attr> {
        let size = std::mem::size_of::<libc::sched_attr>();
        // SAFETY: sched_attr is plain integers, valid when zeroed.
        let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
        // SAFETY: the kernel writes at most `size` bytes into `attr`.
        let done = unsafe {
            libc::syscall(
                libc::SYS_sched_getattr,
                thread,
                &mut attr as *mut libc::sched_attr,
                size as libc::c_uint,
                0 as libc::c_uint,
            )
        };
        match done {
            0 => Ok(attr),
            _ => Err(io::Error::last_os_error()),
        }
    }

    pub fn set_scheduling(thread: ThreadId, attr: &libc::sched_attr) -> io::Result<()> {
        let mut attr = *attr;
        attr.size = std::mem::size_of::<libc::sched_attr>() as u32;
        // SAFETY: the kernel reads `attr.size` bytes from `attr`.
        match unsafe {
            libc::syscall(
                libc::SYS_sched_setattr,
                thread,
                &attr as *const libc::sched_attr,
                0 as libc::c_uint,
            )
        } {
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

    pub fn favour(_: ThreadId) -> io::Result<()> {
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

    /// The time slice of `thread`; zero where the kernel keeps none per
    /// thread (before Linux 6.12, which also ignores the one asked for).
    fn slice_of(thread: imp::ThreadId) -> Duration {
        Duration::from_nanos(imp::scheduling_of(thread).unwrap().sched_runtime)
    }

    /// Gives `thread` a normal-length slice (where the kernel keeps one), so
    /// that a test sees favouring shorten it whatever the thread inherited.
    /// Returns whether the kernel keeps slices per thread.
    fn give_normal_slice(thread: imp::ThreadId) -> bool {
        let normal = Duration::from_millis(3);
        let mut attr = imp::scheduling_of(thread).unwrap();
        attr.sched_flags = 0;
        attr.sched_runtime = normal.as_nanos() as u64;
        imp::set_scheduling(thread, &attr).unwrap();
        match slice_of(thread) {
            slice if slice == Duration::ZERO => false,
            slice => {
                assert_eq!(slice, normal);
                true
            }
        }
    }

    #[test]
    fn the_calling_thread_is_favoured_where_allowed() {
        std::thread::spawn(|| {
            let me = imp::current_thread_id();
            let nice = nice_of(me);
            let slices_kept = give_normal_slice(me);
            favour_current_thread();
            assert_eq!(nice_of(me), expected(nice));
            if slices_kept {
                assert_eq!(slice_of(me), FAVOURED_SLICE);
            }
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
        let nice = nice_of(thread);
        let slices_kept = give_normal_slice(thread);
        let me = imp::current_thread_id();
        let my_slice = slice_of(me);
        assert_eq!(imp::threads_named("favour-me").unwrap(), vec![thread]);
        favour_threads_named("favour-me");
        assert_eq!(nice_of(thread), expected(nice));
        if slices_kept {
            assert_eq!(slice_of(thread), FAVOURED_SLICE);
        }
        // Nothing else was touched.
        assert_eq!(nice_of(me), 0);
        assert_eq!(slice_of(me), my_slice);
        drop(stop);
        named.join().unwrap();
    }
}
