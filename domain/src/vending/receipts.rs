//! What a shopper's receipt of a machine visit says: for a purchase, the
//! items, what the scales weighed, the amount charged, the machine and the
//! time; for a return, the containers and the deposit credited. Read from
//! the settled session; the mail itself is written by the notifications.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{device_session, machines, sessions, settlement, state::Mode};
use crate::{
    DomainError,
    devices::protocol::{DeviceEvent, DeviceMessage, EventKind},
    orders,
};

/// One line of a receipt, minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLine {
    pub title: String,
    pub quantity: i32,
    /// Per unit: the price of an item, or the deposit of a container.
    pub unit_amount: i64,
    pub amount: i64,
}

/// What one scale weighed before the door opened and after it closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weighing {
    pub scale: i32,
    pub before_grams: i32,
    pub after_grams: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub session_id: String,
    pub mode: Mode,
    pub machine: String,
    pub address: Option<String>,
    /// When the door closed (the visit's end).
    pub at: DateTime<Utc>,
    pub currency_code: String,
    pub lines: Vec<ReceiptLine>,
    /// The scales whose weight changed.
    pub weighings: Vec<Weighing>,
    /// Charged for a purchase, credited for a return.
    pub total: i64,
    /// The order a purchase became.
    pub order_id: Option<String>,
}

/// The receipt of a settled session; `None` for one with nothing to say
/// (not settled, nothing taken, a service visit).
pub async fn receipt(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Option<Receipt>, DomainError> {
    let session = sessions::find(db, session_id).await?;
    let lines = match (session.mode, &session.order_id) {
        (Mode::Purchase, Some(order_id)) => orders::find(db, order_id)
            .await?
            .items
            .into_iter()
            .map(|item| ReceiptLine {
                title: if item.variant_title.is_empty() || item.variant_title == item.title {
                    item.title
                } else {
                    format!("{} — {}", item.title, item.variant_title)
                },
                quantity: item.quantity,
                unit_amount: item.unit_price,
                amount: item.total,
            })
            .collect::<Vec<_>>(),
        (Mode::Return, _) if session.credit_amount.is_some() => {
            settlement::credit_lines_of(db, &session.id)
                .await?
                .into_iter()
                .map(|line| ReceiptLine {
                    title: line.product,
                    quantity: line.credit.quantity,
                    unit_amount: line.credit.unit_deposit,
                    amount: line.credit.amount,
                })
                .collect()
        }
        _ => return Ok(None),
    };
    let machine = machines::find(db, &session.device_id).await?;
    Ok(Some(Receipt {
        total: lines.iter().map(|l| l.amount).sum(),
        weighings: weighings(db, &session).await?,
        session_id: session.id,
        mode: session.mode,
        machine: machine.device.name,
        address: machine.device.address,
        at: session.door_closed_at.unwrap_or(session.updated_at),
        currency_code: session.currency_code,
        lines,
        order_id: session.order_id,
    }))
}

/// The scales whose weight the settled door-closed report changed.
async fn weighings(
    db: &impl ConnectionTrait,
    session: &device_session::Model,
) -> Result<Vec<Weighing>, DomainError> {
    let applied = sessions::events_of(db, &session.id)
        .await?
        .into_iter()
        .rfind(|e| e.kind == EventKind::DoorClosed && e.outcome.as_deref() == Some("applied"));
    let Some(message) =
        applied.and_then(|e| serde_json::from_str::<DeviceMessage>(&e.payload).ok())
    else {
        return Ok(Vec::new());
    };
    let DeviceEvent::DoorClosed { before, after, .. } = message.body else {
        return Ok(Vec::new());
    };
    Ok(before
        .iter()
        .filter_map(|b| {
            let a = after.iter().find(|a| a.scale == b.scale)?;
            (a.grams != b.grams).then_some(Weighing {
                scale: b.scale,
                before_grams: b.grams,
                after_grams: a.grams,
            })
        })
        .collect())
}
