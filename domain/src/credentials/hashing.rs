//! Where argon2 runs. A hash costs tens of milliseconds of CPU and about
//! 19 MiB of memory on purpose, so a flood of sign-ins or sign-ups must
//! neither occupy the async runtime's worker threads (every other request
//! would wait) nor run unbounded (memory) nor queue without end (every
//! request would time out). Hashes run on blocking threads, at most one per
//! core at a time; a bounded number wait for a turn, and a request beyond
//! that is refused at once with [`DomainError::Busy`].

use std::{
    sync::{
        Arc, LazyLock,
        atomic::{AtomicUsize, Ordering},
    },
    thread::available_parallelism,
};

use tokio::sync::Semaphore;

use crate::DomainError;

/// How many hashes may wait per running one: at a few tens of
/// milliseconds each, a few seconds of work queued at most.
const QUEUED_PER_SLOT: usize = 128;

/// The process's pool: CPU cores are shared by everything in the process.
static POOL: LazyLock<HashPool> = LazyLock::new(|| {
    let cores = available_parallelism().map_or(1, |n| n.get());
    HashPool::new(cores, cores * QUEUED_PER_SLOT)
});

/// Runs `work` (a password hash or verification) in the process's pool.
pub(crate) async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, DomainError> {
    POOL.run(work).await
}

pub(crate) struct HashPool {
    slots: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
}

impl HashPool {
    pub(crate) fn new(slots: usize, max_waiting: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            waiting: Arc::default(),
            max_waiting,
        }
    }

    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, DomainError> {
        let slot = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                let _place = Waiting::join(&self.waiting, self.max_waiting)?;
                self.slots
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| busy())?
            }
        };
        // The slot goes with the work: a caller that gives up (a dropped
        // request) does not free it while the hash still runs.
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| DomainError::Invalid(format!("password hashing failed: {e}")))
    }
}

fn busy() -> DomainError {
    DomainError::Busy("the store is busy checking other passwords; try again in a moment".into())
}

/// A place in the queue, given back when the wait ends (or is abandoned).
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn join(waiting: &Arc<AtomicUsize>, max: usize) -> Result<Self, DomainError> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .map_err(|_| busy())?;
        Ok(Self(waiting.clone()))
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
            mpsc,
        },
        time::Duration,
    };

    use super::HashPool;
    use crate::DomainError;

    #[tokio::test(flavor = "current_thread")]
    async fn work_runs_off_the_async_threads() {
        // This runtime has one thread, the test's: every task runs on it.
        let runtime_thread = std::thread::current().id();
        let pool = HashPool::new(1, 1);
        let work_thread = pool.run(|| std::thread::current().id()).await.unwrap();
        assert_ne!(work_thread, runtime_thread);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_one_hash_per_slot_runs() {
        let pool = Arc::new(HashPool::new(2, 100));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    pool.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(30));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_queue_a_request_is_refused_at_once() {
        let pool = Arc::new(HashPool::new(1, 2));
        let (release, gate) = mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let blocked = |pool: &Arc<HashPool>| {
            let (pool, gate) = (pool.clone(), gate.clone());
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = gate.lock().unwrap().recv();
                })
                .await
            })
        };
        let running = blocked(&pool);
        // The first holds the slot; two more wait for it.
        wait_until(|| pool.slots.available_permits() == 0).await;
        let queued = [blocked(&pool), blocked(&pool)];
        wait_until(|| pool.waiting.load(Ordering::SeqCst) == 2).await;

        let refused = tokio::time::timeout(Duration::from_secs(2), pool.run(|| ()))
            .await
            .expect("refused without waiting for a slot");
        assert!(matches!(refused, Err(DomainError::Busy(_))), "{refused:?}");

        for _ in 0..3 {
            release.send(()).unwrap();
        }
        running.await.unwrap().unwrap();
        for job in queued {
            job.await.unwrap().unwrap();
        }
        assert_eq!(pool.waiting.load(Ordering::SeqCst), 0, "places given back");
        pool.run(|| ())
            .await
            .expect("served again once the queue drained");
    }

    async fn wait_until(check: impl Fn() -> bool) {
        for _ in 0..200 {
            if check() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out");
    }
}
