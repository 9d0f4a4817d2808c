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

use std::{fmt, str::FromStr};

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Purchase,
    Return,
    Service,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    pub fn as_str(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::DoorOpen => "door_open",
            State::DoorClosed => "door_closed",
            State::Settled => "settled",
            State::Failed => "failed",
            State::Expired => "expired",
        }
    }

    pub const ALL: [State; 6] = [
        State::Requested,
        State::DoorOpen,
        State::DoorClosed,
        State::Settled,
        State::Failed,
        State::Expired,
    ];
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Purchase => "purchase",
            Mode::Return => "return",
            Mode::Service => "service",
        }
    }

    pub const ALL: [Mode; 3] = [Mode::Purchase, Mode::Return, Mode::Service];
}

impl FromStr for State {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| DomainError::Invalid(format!("{s:?} is not a session state")))
    }
}

impl FromStr for Mode {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == s)
            .ok_or_else(|| {
                DomainError::Invalid(format!(
                    "{s:?} is not a session mode (purchase, return or service)"
                ))
            })
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
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
        for mode in Mode::ALL {
            let legal = legal(mode);
            for from in State::ALL {
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
        for mode in Mode::ALL {
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
    fn names_round_trip_and_unknown_names_are_refused() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>().unwrap(), state);
        }
        for mode in Mode::ALL {
            assert_eq!(mode.as_str().parse::<Mode>().unwrap(), mode);
        }
        assert!("open".parse::<State>().is_err());
        assert!("refill".parse::<Mode>().is_err());
    }
}
