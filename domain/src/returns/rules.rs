//! What may be returned and what it gives back: pure rules, unit-tested.

use std::collections::{HashMap, HashSet};

use crate::{DomainError, orders::order_item};

/// At most this many lines in one return.
pub const MAX_LINES: usize = 100;
/// At most this many characters in a return's or a line's note.
pub const MAX_NOTE_CHARS: usize = 1000;

/// One item asked back: the order item, how many, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnLine {
    pub order_item_id: String,
    pub quantity: i64,
    pub reason_id: Option<String>,
    pub note: Option<String>,
}

/// Refuses lines that name no item of the order, name one twice, or ask
/// back more than was bought and not already returned (`returned`: units
/// per order item in returns not canceled).
pub fn check_lines(
    order_items: &[order_item::Model],
    returned: &HashMap<String, i64>,
    lines: &[ReturnLine],
) -> Result<(), DomainError> {
    if lines.is_empty() {
        return Err(DomainError::Invalid(
            "a return needs at least one item: items: [{id, quantity}]".into(),
        ));
    }
    if lines.len() > MAX_LINES {
        return Err(DomainError::Invalid(format!(
            "a return can hold at most {MAX_LINES} items"
        )));
    }
    let mut seen = HashSet::new();
    for line in lines {
        let Some(item) = order_items.iter().find(|i| i.id == line.order_item_id) else {
            return Err(DomainError::Invalid(format!(
                "item {} is not an item of this order",
                line.order_item_id
            )));
        };
        if !seen.insert(line.order_item_id.as_str()) {
            return Err(DomainError::Invalid(format!(
                "item {} is listed twice; give its whole quantity once",
                item.id
            )));
        }
        let left = i64::from(item.quantity) - returned.get(&item.id).copied().unwrap_or(0);
        if line.quantity < 1 || line.quantity > left {
            return Err(DomainError::Invalid(if left <= 0 {
                format!("{} ({}) is returned already", item.title, item.id)
            } else {
                format!(
                    "{} ({}) can be returned 1 to {left} times, not {}",
                    item.title, item.id, line.quantity
                )
            }));
        }
        if line
            .note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(DomainError::Invalid(format!(
                "a note can have at most {MAX_NOTE_CHARS} characters"
            )));
        }
    }
    Ok(())
}

/// What `quantity` units of `item` gave the store: their share of what the
/// item was paid, discount and tax included, rounded down (all of it when
/// every unit comes back).
pub fn refund_for(item: &order_item::Model, quantity: i64) -> i64 {
    let bought = i64::from(item.quantity);
    if bought <= 0 || quantity <= 0 {
        return 0;
    }
    let quantity = quantity.min(bought);
    // i128: a large total times a quantity must not overflow.
    (i128::from(item.total) * i128::from(quantity) / i128::from(bought)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, quantity: i32, total: i64) -> order_item::Model {
        order_item::Model {
            id: id.into(),
            order_id: "order_1".into(),
            variant_id: "variant_1".into(),
            product_id: "prod_1".into(),
            title: "Cola".into(),
            variant_title: "0.5 l".into(),
            quantity,
            unit_price: total / i64::from(quantity),
            subtotal: total,
            discount_total: 0,
            tax_total: 0,
            total,
        }
    }

    fn line(id: &str, quantity: i64) -> ReturnLine {
        ReturnLine {
            order_item_id: id.into(),
            quantity,
            reason_id: None,
            note: None,
        }
    }

    #[test]
    fn lines_must_name_items_of_the_order_once_and_within_what_is_left() {
        let items = [item("oi_1", 3, 300), item("oi_2", 1, 100)];
        let none = HashMap::new();
        assert!(check_lines(&items, &none, &[line("oi_1", 3), line("oi_2", 1)]).is_ok());
        assert!(check_lines(&items, &none, &[]).is_err());
        assert!(check_lines(&items, &none, &[line("oi_9", 1)]).is_err());
        assert!(check_lines(&items, &none, &[line("oi_1", 1), line("oi_1", 1)]).is_err());
        assert!(check_lines(&items, &none, &[line("oi_1", 0)]).is_err());
        assert!(check_lines(&items, &none, &[line("oi_1", 4)]).is_err());
        let returned = HashMap::from([("oi_1".to_owned(), 2)]);
        assert!(check_lines(&items, &returned, &[line("oi_1", 1)]).is_ok());
        let err = check_lines(&items, &returned, &[line("oi_1", 2)]).unwrap_err();
        assert!(err.to_string().contains("1 to 1"), "{err}");
        let all_back = HashMap::from([("oi_2".to_owned(), 1)]);
        let err = check_lines(&items, &all_back, &[line("oi_2", 1)]).unwrap_err();
        assert!(err.to_string().contains("returned already"), "{err}");
    }

    #[test]
    fn a_refund_is_the_units_share_of_what_was_paid() {
        let three = item("oi_1", 3, 1000);
        assert_eq!(refund_for(&three, 3), 1000);
        assert_eq!(refund_for(&three, 1), 333);
        assert_eq!(refund_for(&three, 2), 666);
        assert_eq!(refund_for(&three, 5), 1000, "never more than was paid");
        assert_eq!(refund_for(&three, 0), 0);
        let huge = item("oi_2", 2, i64::MAX / 2);
        assert_eq!(refund_for(&huge, 2), i64::MAX / 2);
    }
}
