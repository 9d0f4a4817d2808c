//! Loyalty discount arithmetic, in integer minor units: line discounts never
//! exceed their line, ticket discounts never exceed what is left, so a total
//! never goes negative; one reward counts once.

use std::collections::HashSet;

use crate::DomainError;

/// A cart line's total before discounts.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub id: &'a str,
    pub total: i64,
}

/// An applied reward's discount: on one line, or on the whole ticket.
#[derive(Debug, Clone, Copy)]
pub struct Discount<'a> {
    pub reward_id: &'a str,
    pub line_id: Option<&'a str>,
    pub amount: i64,
}

/// The discount `applied` rewards give on `lines`. A line discount whose line
/// left the cart counts nothing.
pub fn loyalty_discount(lines: &[Line], applied: &[Discount]) -> Result<i64, DomainError> {
    let mut seen = HashSet::new();
    for d in applied {
        if !seen.insert(d.reward_id) {
            return Err(DomainError::Conflict(format!(
                "reward {} is applied twice",
                d.reward_id
            )));
        }
        if d.amount < 0 {
            return Err(DomainError::Invalid(format!(
                "reward {} has a negative discount",
                d.reward_id
            )));
        }
    }
    let mut line_left: Vec<(&str, i64)> = lines.iter().map(|l| (l.id, l.total.max(0))).collect();
    let mut total_off = 0i64;
    for d in applied {
        let Some(line_id) = d.line_id else { continue };
        if let Some((_, left)) = line_left.iter_mut().find(|(id, _)| *id == line_id) {
            let off = d.amount.min(*left);
            *left -= off;
            total_off += off;
        }
    }
    let mut ticket_left: i64 = line_left.iter().map(|(_, left)| left).sum();
    for d in applied.iter().filter(|d| d.line_id.is_none()) {
        let off = d.amount.min(ticket_left);
        ticket_left -= off;
        total_off += off;
    }
    Ok(total_off)
}

/// What remains to pay after `discount`; never below zero.
pub fn discounted(subtotal: i64, discount: i64) -> i64 {
    subtotal.saturating_sub(discount.max(0)).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: [Line; 2] = [
        Line {
            id: "a",
            total: 700,
        },
        Line {
            id: "b",
            total: 300,
        },
    ];

    fn on(line: &'static str, id: &'static str, amount: i64) -> Discount<'static> {
        Discount {
            reward_id: id,
            line_id: Some(line),
            amount,
        }
    }

    fn ticket(id: &'static str, amount: i64) -> Discount<'static> {
        Discount {
            reward_id: id,
            line_id: None,
            amount,
        }
    }

    #[test]
    fn line_and_ticket_discounts_add_up() {
        let off = loyalty_discount(&LINES, &[on("a", "r1", 100), ticket("r2", 50)]).unwrap();
        assert_eq!(off, 150);
        assert_eq!(discounted(1000, off), 850);
    }

    #[test]
    fn a_line_discount_stops_at_its_line_and_a_ticket_discount_at_the_rest() {
        let off = loyalty_discount(&LINES, &[on("b", "r1", 500), ticket("r2", 2000)]).unwrap();
        assert_eq!(off, 1000, "everything, never more");
        assert_eq!(discounted(1000, off), 0);
        assert_eq!(discounted(1000, 5000), 0, "no negative totals");
    }

    #[test]
    fn two_discounts_on_one_line_share_it() {
        let off = loyalty_discount(&LINES, &[on("b", "r1", 200), on("b", "r2", 200)]).unwrap();
        assert_eq!(off, 300);
    }

    #[test]
    fn a_reward_counts_once() {
        let twice = loyalty_discount(&LINES, &[on("a", "r1", 100), on("a", "r1", 100)]);
        assert!(matches!(twice, Err(DomainError::Conflict(_))));
    }

    #[test]
    fn negative_and_stale_discounts() {
        assert!(loyalty_discount(&LINES, &[ticket("r1", -1)]).is_err());
        assert_eq!(
            loyalty_discount(&LINES, &[on("gone", "r1", 100)]).unwrap(),
            0
        );
        assert_eq!(loyalty_discount(&[], &[ticket("r1", 100)]).unwrap(), 0);
    }
}
