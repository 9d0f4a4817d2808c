//! Orders and vending sessions of a date range, a page at a time, for the
//! CSV exports: a large range is read in pages of [`PAGE`] rows (keyset
//! paging on `(created_at, id)`, so a page costs the same however deep), never
//! all at once.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    DomainError,
    orders::{order, order_item},
    vending::device_session,
};

/// Rows per page read from the database.
pub const PAGE: u64 = 500;

/// The longest range one export covers, in days.
pub const MAX_RANGE_DAYS: i64 = 3660;

/// UTC days `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl DateRange {
    /// From `YYYY-MM-DD` texts as a person (or a query string) gives them.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, DomainError> {
        let day = |name: &str, text: Option<&str>| -> Result<NaiveDate, DomainError> {
            let text = text
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    DomainError::Invalid(format!("{name} is required, as a date YYYY-MM-DD"))
                })?;
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                let shown: String = text.chars().take(20).collect();
                DomainError::Invalid(format!(
                    "{name} must be a date as YYYY-MM-DD, not \"{shown}\""
                ))
            })
        };
        let (from, to) = (day("from", from)?, day("to", to)?);
        if to < from {
            return Err(DomainError::Invalid(
                "to must not be before from".to_owned(),
            ));
        }
        if (to - from).num_days() > MAX_RANGE_DAYS {
            return Err(DomainError::Invalid(format!(
                "a range covers at most {MAX_RANGE_DAYS} days"
            )));
        }
        let end = to
            .succ_opt()
            .ok_or_else(|| DomainError::Invalid("to is too far in the future".to_owned()))?;
        Ok(Self {
            from,
            to,
            start: from.and_time(NaiveTime::MIN).and_utc(),
            end: end.and_time(NaiveTime::MIN).and_utc(),
        })
    }
}

/// Where the next page starts: after this `(created_at, id)`.
pub type Cursor = Option<(DateTime<Utc>, String)>;

/// Rows of the range created after `cursor`, in `(created_at, id)` order.
fn after<C: ColumnTrait>(range: &DateRange, created_at: C, id: C, cursor: &Cursor) -> Condition {
    let mut condition = Condition::all()
        .add(created_at.gte(range.start))
        .add(created_at.lt(range.end));
    if let Some((at, last)) = cursor {
        condition = condition.add(
            Condition::any().add(created_at.gt(*at)).add(
                Condition::all()
                    .add(created_at.eq(*at))
                    .add(id.gt(last.clone())),
            ),
        );
    }
    condition
}

/// An order with its lines, as exported.
#[derive(Debug, Clone)]
pub struct ExportedOrder {
    pub order: order::Model,
    /// The machine it was bought at, for a purchase at a machine.
    pub device_id: Option<String>,
    pub items: Vec<order_item::Model>,
}

/// The next page of the range's orders (canceled ones too: the status says
/// so), with their items, and the cursor after it; `None` at the end.
pub async fn orders_page(
    db: &impl ConnectionTrait,
    range: &DateRange,
    cursor: &Cursor,
) -> Result<(Vec<ExportedOrder>, Cursor), DomainError> {
    let orders = order::Entity::find()
        .filter(after(
            range,
            order::Column::CreatedAt,
            order::Column::Id,
            cursor,
        ))
        .order_by_asc(order::Column::CreatedAt)
        .order_by_asc(order::Column::Id)
        .limit(PAGE)
        .all(db)
        .await?;
    let next = next_cursor(&orders, |o| (o.created_at, o.id.clone()));
    let ids: Vec<String> = orders.iter().map(|o| o.id.clone()).collect();
    let mut items: HashMap<String, Vec<order_item::Model>> = HashMap::new();
    for item in order_item::Entity::find()
        .filter(order_item::Column::OrderId.is_in(ids.clone()))
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?
    {
        items.entry(item.order_id.clone()).or_default().push(item);
    }
    let machines: HashMap<String, String> = device_session::Entity::find()
        .select_only()
        .column(device_session::Column::OrderId)
        .column(device_session::Column::DeviceId)
        .filter(device_session::Column::OrderId.is_in(ids))
        .into_tuple::<(Option<String>, String)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(order_id, device_id)| Some((order_id?, device_id)))
        .collect();
    let exported = orders
        .into_iter()
        .map(|order| ExportedOrder {
            device_id: machines.get(&order.id).cloned(),
            items: items.remove(&order.id).unwrap_or_default(),
            order,
        })
        .collect();
    Ok((exported, next))
}

/// The next page of the range's vending sessions and the cursor after it.
pub async fn sessions_page(
    db: &impl ConnectionTrait,
    range: &DateRange,
    cursor: &Cursor,
) -> Result<(Vec<device_session::Model>, Cursor), DomainError> {
    let sessions = device_session::Entity::find()
        .filter(after(
            range,
            device_session::Column::CreatedAt,
            device_session::Column::Id,
            cursor,
        ))
        .order_by_asc(device_session::Column::CreatedAt)
        .order_by_asc(device_session::Column::Id)
        .limit(PAGE)
        .all(db)
        .await?;
    let next = next_cursor(&sessions, |s| (s.created_at, s.id.clone()));
    Ok((sessions, next))
}

/// The cursor after a page; `None` when it was the last (a short page).
fn next_cursor<T>(page: &[T], key: impl Fn(&T) -> (DateTime<Utc>, String)) -> Cursor {
    if (page.len() as u64) < PAGE {
        return None;
    }
    page.last().map(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_whole_utc_days_and_bad_dates_say_why() {
        let range = DateRange::parse(Some("2026-12-01"), Some("2026-12-01")).unwrap();
        assert_eq!(
            range.start,
            "2026-12-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            range.end,
            "2026-12-02T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let message = |from, to| DateRange::parse(from, to).unwrap_err().to_string();
        assert_eq!(
            message(Some("2026-13-01"), Some("2026-12-01")),
            "from must be a date as YYYY-MM-DD, not \"2026-13-01\""
        );
        assert_eq!(
            message(Some("2026-12-01"), None),
            "to is required, as a date YYYY-MM-DD"
        );
        assert_eq!(
            message(Some("2026-12-02"), Some("2026-12-01")),
            "to must not be before from"
        );
    }
}
