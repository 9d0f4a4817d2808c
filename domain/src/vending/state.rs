//! The device session state machine, free of I/O.
//!
//! ```text
//! requested ──opened──▶ door_open ──closed──▶ door_closed ──settle──▶ settled
//!     │  └───────────────door closed──────────────────▲     │
//!     ├──fail──▶ failed          door_open ──expire──▶ expired ──door closed (late report)──┘
//!     └──expire──▶ expired                     door_closed ──fail──▶ failed
//! ```
//! Any session not yet settled or failed can fail: a machine that never
//! acknowledged, weights nothing explains, or an admin force-closing it.
//! A door-closed report while still `requested` means the door-opened report
//! was lost or overtaken: closing proves it opened. Service sessions never
//! expire: an admin may keep the door open as long as restocking takes.

use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Stored (and shown) as `purchase`, `return` or `service`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Purchase,
    Return,
    Service,
}

/// Stored (and shown) as `requested`, `door_open`, `door_closed`, `settled`,
/// `failed` or `expired`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Created (payment held) and the open command sent.
    Requested,
    DoorOpen,
    DoorClosed,
    Settled,
    Failed,
    /// The door-closed report did not come in time; a late one still settles.
    Expired,
}

/// What happens to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The device reports the door opened.
    Opened,
    /// The device reports the door closed.
    Closed,
    Settle,
    Fail,
    Expire,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {mode} session that is {from} cannot take {transition:?}")]
pub struct IllegalTransition {
    pub mode: Mode,
    pub from: State,
    pub transition: Transition,
}

impl From<IllegalTransition> for DomainError {
    fn from(e: IllegalTransition) -> Self {
        DomainError::Conflict(e.to_string())
    }
}

impl State {
    /// The state `transition` leads to from `self` in a `mode` session.
    pub fn next(self, mode: Mode, transition: Transition) -> Result<State, IllegalTransition> {
        use State::*;
        use Transition as T;
        let next = match (self, transition) {
            (Requested, T::Opened) => Some(DoorOpen),
            (Requested | DoorOpen | Expired, T::Closed) => Some(DoorClosed),
            (DoorClosed, T::Settle) => Some(Settled),
            // Failing is also how an admin force-closes a session, whatever its state.
            (Requested | DoorOpen | DoorClosed | Expired, T::Fail) => Some(Failed),
            (Requested | DoorOpen, T::Expire) if mode != Mode::Service => Some(Expired),
            _ => None,
        };
        next.ok_or(IllegalTransition {
            mode,
            from: self,
            transition,
        })
    }

    /// Nothing more happens to a session in this state.
    pub fn is_final(self) -> bool {
        matches!(self, State::Settled | State::Failed)
    }
}

crate::states::display_as_word!(State, Mode);

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::{Mode::*, State::*, Transition::*, *};

    const TRANSITIONS: [Transition; 5] = [Opened, Closed, Settle, Fail, Expire];

    /// Every legal move; anything not listed must be refused.
    fn legal(mode: Mode) -> Vec<(State, Transition, State)> {
        let mut moves = vec![
            (Requested, Opened, DoorOpen),
            (Requested, Closed, DoorClosed),
            (DoorOpen, Closed, DoorClosed),
            (Expired, Closed, DoorClosed),
            (DoorClosed, Settle, Settled),
            (Requested, Fail, Failed),
            (DoorOpen, Fail, Failed),
            (DoorClosed, Fail, Failed),
            (Expired, Fail, Failed),
        ];
        if mode != Service {
            moves.push((Requested, Expire, Expired));
            moves.push((DoorOpen, Expire, Expired));
        }
        moves
    }

    #[test]
    fn every_state_and_transition_in_every_mode() {
        for mode in Mode::iter() {
            let legal = legal(mode);
            for from in State::iter() {
                for transition in TRANSITIONS {
                    let expected = legal
                        .iter()
                        .find(|(f, t, _)| *f == from && *t == transition)
                        .map(|(_, _, to)| *to);
                    match (from.next(mode, transition), expected) {
                        (Ok(to), Some(want)) => {
                            assert_eq!(to, want, "{mode} {from} {transition:?}")
                        }
                        (Err(e), None) => {
                            assert_eq!(e.from, from);
                            assert_eq!(e.transition, transition);
                        }
                        (got, want) => {
                            panic!("{mode} {from} {transition:?}: got {got:?}, want {want:?}")
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn final_states_accept_nothing() {
        for mode in Mode::iter() {
            for from in [Settled, Failed] {
                assert!(from.is_final());
                for transition in TRANSITIONS {
                    assert!(from.next(mode, transition).is_err());
                }
            }
        }
        assert!(
            !Expired.is_final(),
            "a late door-closed report still settles"
        );
    }

    #[test]
    fn a_second_door_closed_cannot_settle_again() {
        let closed = Requested
            .next(Purchase, Opened)
            .and_then(|s| s.next(Purchase, Closed))
            .and_then(|s| s.next(Purchase, Settle))
            .unwrap();
        assert_eq!(closed, Settled);
        assert!(closed.next(Purchase, Closed).is_err());
        assert!(DoorClosed.next(Purchase, Closed).is_err());
    }

    #[test]
    fn service_sessions_never_expire() {
        assert!(DoorOpen.next(Service, Expire).is_err());
        assert_eq!(DoorOpen.next(Purchase, Expire), Ok(Expired));
    }

    #[test]
    fn states_and_modes_keep_their_stored_words() {
        crate::states::assert_words::<State>(&[
            "requested",
            "door_open",
            "door_closed",
            "settled",
            "failed",
            "expired",
        ]);
        crate::states::assert_words::<Mode>(&["purchase", "return", "service"]);
    }
}
