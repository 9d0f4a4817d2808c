//! A session's life: ACTIVE → PENDING_FINALIZATION → FINALIZED | FAILED |
//! CANCELLED. Every change goes through [`SessionStatus::can_become`].

use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

/// Stored (and shown) in upper case, as the loyalty host names them:
/// `ACTIVE`, `PENDING_FINALIZATION`…
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

crate::states::display_as_word!(SessionStatus);

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::SessionStatus::{self, *};

    #[test]
    fn only_the_designed_transitions_are_allowed() {
        let allowed: Vec<(SessionStatus, SessionStatus)> = SessionStatus::iter()
            .flat_map(|from| SessionStatus::iter().map(move |to| (from, to)))
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
            SessionStatus::iter()
                .filter(|s| s.is_final())
                .all(|s| { SessionStatus::iter().all(|next| !s.can_become(next)) })
        );
    }

    #[test]
    fn statuses_keep_their_stored_words() {
        crate::states::assert_words::<SessionStatus>(&[
            "ACTIVE",
            "PENDING_FINALIZATION",
            "FINALIZED",
            "FAILED",
            "CANCELLED",
        ]);
        assert!(crate::states::parse::<SessionStatus>("active", "a status").is_err());
    }
}
