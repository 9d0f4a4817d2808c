//! The thread the store's device-driven database work runs on.
//!
//! On SQLite a write transaction holds the one writer's turn from its first
//! statement to its commit, and each statement is a round trip to the
//! connection's own thread and back. On the server's runtime the way back
//! waits until a worker thread finishes what it is busy with: under a
//! fleet's telemetry, parsing hundreds of JSON reports. Every machine's
//! settlement waits for that turn meanwhile. On a thread of its own the
//! transaction's task is woken by the operating system the moment its
//! statement is done, as a thread that mostly sleeps is; favoured where the
//! process may ([`domain::thread_priority`]), it also gets a core first.

use std::{future::Future, sync::Arc};

use tokio::{runtime::Handle, sync::oneshot};

/// Cheap to clone; the thread stops when the last clone is dropped, and the
/// tasks still on it with it.
#[derive(Clone)]
pub struct WriteLane(Arc<Running>);

struct Running {
    handle: Handle,
    /// Dropped with the last clone, which ends the thread's runtime.
    _stop: oneshot::Sender<()>,
}

impl WriteLane {
    pub fn start() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("write-lane".into())
            .spawn(move || {
                // Its statements' answers are waited for inside the writer's turn.
                domain::thread_priority::favour_current_thread();
                // Either way (sent or dropped) the lane is done.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Self(Arc::new(Running {
            handle,
            _stop: stop,
        })))
    }

    /// Where long-running tasks are spawned to run on the lane.
    pub fn handle(&self) -> &Handle {
        &self.0.handle
    }

    /// Runs `work` on the lane and waits for its result. A panic in it goes
    /// on in the caller, as if it had run there.
    pub async fn run<F>(&self, work: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.0.handle.spawn(work).await {
            Ok(output) => output,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only a stopped runtime cancels its tasks, and `self` keeps it running.
            Err(e) => unreachable!("the write lane stopped under a running task: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_the_lane_thread() {
        let lane = WriteLane::start().unwrap();
        let name = lane
            .run(async { std::thread::current().name().map(str::to_owned) })
            .await;
        assert_eq!(name.as_deref(), Some("write-lane"));
    }

    #[tokio::test]
    async fn the_thread_ends_with_the_last_clone() {
        let lane = WriteLane::start().unwrap();
        let (running, mut ended) = tokio::sync::mpsc::channel::<()>(1);
        lane.handle().spawn(async move {
            let _running = running;
            std::future::pending::<()>().await
        });
        drop(lane.clone());
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(200), ended.recv())
                .await
                .is_err(),
            "a clone left must keep the lane running"
        );
        drop(lane);
        let ended = tokio::time::timeout(std::time::Duration::from_secs(5), ended.recv()).await;
        assert_eq!(ended, Ok(None), "the lane's tasks end with it");
    }
}
