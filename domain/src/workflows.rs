//! Workflows: a sequence of steps where each step knows how to undo itself.
//! When a step fails, the steps that already ran are compensated in reverse
//! order, so a half-done operation (stock reserved, payment authorized, no
//! order) never stays behind. Checkout completion is the first user.

use async_trait::async_trait;

use crate::DomainError;

#[async_trait]
pub trait Step<C: Send>: Send + Sync {
    fn name(&self) -> &'static str;
    async fn run(&self, ctx: &mut C) -> Result<(), DomainError>;
    /// Undoes what `run` did. Called only after `run` succeeded.
    async fn compensate(&self, ctx: &mut C) -> Result<(), DomainError>;
}

/// Why a workflow stopped.
#[derive(Debug, thiserror::Error)]
#[error("{step} failed: {error}")]
pub struct WorkflowFailure {
    pub step: &'static str,
    pub error: DomainError,
    /// Compensations that failed too; they need an operator's eye.
    pub uncompensated: Vec<(&'static str, DomainError)>,
}

/// Runs `steps` in order on `ctx`; on the first failure compensates the ones
/// that ran, newest first, and reports the failure.
pub async fn run<C: Send>(steps: &[&dyn Step<C>], ctx: &mut C) -> Result<(), WorkflowFailure> {
    for (done, step) in steps.iter().enumerate() {
        if let Err(error) = step.run(ctx).await {
            let mut uncompensated = Vec::new();
            for ran in steps[..done].iter().rev() {
                if let Err(e) = ran.compensate(ctx).await {
                    tracing::error!(step = ran.name(), error = %e, "compensation failed");
                    uncompensated.push((ran.name(), e));
                }
            }
            return Err(WorkflowFailure {
                step: step.name(),
                error,
                uncompensated,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends to a log; fails its run or compensation when asked.
    struct Logged {
        name: &'static str,
        fail_run: bool,
        fail_undo: bool,
    }

    #[async_trait]
    impl Step<Vec<String>> for Logged {
        fn name(&self) -> &'static str {
            self.name
        }
        async fn run(&self, log: &mut Vec<String>) -> Result<(), DomainError> {
            if self.fail_run {
                return Err(DomainError::Invalid(format!("{} refused", self.name)));
            }
            log.push(format!("run {}", self.name));
            Ok(())
        }
        async fn compensate(&self, log: &mut Vec<String>) -> Result<(), DomainError> {
            log.push(format!("undo {}", self.name));
            if self.fail_undo {
                Err(DomainError::Conflict("cannot undo".into()))
            } else {
                Ok(())
            }
        }
    }

    fn step(name: &'static str) -> Logged {
        Logged {
            name,
            fail_run: false,
            fail_undo: false,
        }
    }

    #[tokio::test]
    async fn all_steps_run_in_order() {
        let (a, b) = (step("reserve"), step("authorize"));
        let mut log = Vec::new();
        run(&[&a, &b], &mut log).await.unwrap();
        assert_eq!(log, ["run reserve", "run authorize"]);
    }

    #[tokio::test]
    async fn a_failure_undoes_earlier_steps_newest_first() {
        let (a, b) = (step("reserve"), step("authorize"));
        let c = Logged {
            name: "create order",
            fail_run: true,
            fail_undo: false,
        };
        let d = step("emit");
        let mut log = Vec::new();
        let failure = run(&[&a, &b, &c, &d], &mut log).await.unwrap_err();
        assert_eq!(failure.step, "create order");
        assert!(failure.uncompensated.is_empty());
        assert_eq!(
            log,
            [
                "run reserve",
                "run authorize",
                "undo authorize",
                "undo reserve"
            ]
        );
    }

    #[tokio::test]
    async fn failed_compensations_are_reported_and_the_rest_still_run() {
        let a = step("reserve");
        let b = Logged {
            name: "authorize",
            fail_run: false,
            fail_undo: true,
        };
        let c = Logged {
            name: "create order",
            fail_run: true,
            fail_undo: false,
        };
        let mut log = Vec::new();
        let failure = run(&[&a, &b, &c], &mut log).await.unwrap_err();
        assert_eq!(failure.uncompensated.len(), 1);
        assert_eq!(failure.uncompensated[0].0, "authorize");
        assert_eq!(
            log.last().unwrap(),
            "undo reserve",
            "compensation goes on past a failure"
        );
    }
}
