//! A session's life: ACTIVE → PENDING_FINALIZATION → FINALIZED | FAILED |
//! CANCELLED. Every change goes through [`SessionStatus::can_become`].

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// Identified; rewards may be calculated and chosen.
    Active,
    /// The order was placed; the host has not confirmed it yet.
    PendingFinalization,
    Finalized,
    /// The host refused it, or it ran out of attempts.
    Failed,
    Cancelled,
}

impl SessionStatus {
    pub const ALL: [Self; 5] = [
        Self::Active,
        Self::PendingFinalization,
        Self::Finalized,
        Self::Failed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::PendingFinalization => "PENDING_FINALIZATION",
            Self::Finalized => "FINALIZED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| DomainError::Invalid(format!("unknown loyalty session status {text}")))
    }

    pub fn can_become(self, next: Self) -> bool {
        use SessionStatus::*;
        matches!(
            (self, next),
            (Active, PendingFinalization)
                | (Active, Cancelled)
                | (PendingFinalization, Finalized)
                | (PendingFinalization, Failed)
                | (PendingFinalization, Cancelled)
        )
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Finalized | Self::Failed | Self::Cancelled)
    }
}

impl std::fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::SessionStatus::{self, *};

    #[test]
    fn only_the_designed_transitions_are_allowed() {
        let allowed: Vec<(SessionStatus, SessionStatus)> = SessionStatus::ALL
            .into_iter()
            .flat_map(|from| SessionStatus::ALL.into_iter().map(move |to| (from, to)))
            .filter(|(from, to)| from.can_become(*to))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (Active, PendingFinalization),
                (Active, Cancelled),
                (PendingFinalization, Finalized),
                (PendingFinalization, Failed),
                (PendingFinalization, Cancelled),
            ]
        );
        assert!(
            SessionStatus::ALL
                .into_iter()
                .filter(|s| s.is_final())
                .all(|s| {
                    SessionStatus::ALL
                        .into_iter()
                        .all(|next| !s.can_become(next))
                })
        );
    }

    #[test]
    fn statuses_round_trip_through_text() {
        for status in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(status.as_str()).unwrap(), status);
        }
        assert!(SessionStatus::parse("active").is_err());
    }
}
