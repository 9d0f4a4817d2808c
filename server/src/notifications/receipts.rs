//! The shopper's emailed receipt of each machine visit: a purchase (items,
//! what the scales weighed, the amount charged, the machine, the time) and
//! a return's deposit credit, as text with an HTML version.

use async_trait::async_trait;
use domain::{
    db::DatabaseConnection,
    events::{Event, Subscriber},
    vending::{
        receipts::{self, Receipt},
        settlement::{MACHINE_ORDER_PLACED, RETURN_CREDITED},
        state::Mode,
    },
};

use super::{Notifier, Outgoing, customer_email};
use app::components::format_money;

pub struct MachineReceipts {
    db: DatabaseConnection,
    notifier: Notifier,
}

impl MachineReceipts {
    pub fn new(db: DatabaseConnection, notifier: Notifier) -> Self {
        Self { db, notifier }
    }
}

#[async_trait]
impl Subscriber for MachineReceipts {
    fn name(&self) -> &'static str {
        "machine-receipts"
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name == MACHINE_ORDER_PLACED || event_name == RETURN_CREDITED
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        let payload: serde_json::Value =
            serde_json::from_str(&event.payload).map_err(|e| format!("payload: {e}"))?;
        let (Some(session_id), Some(customer_id)) = (
            payload["session_id"].as_str(),
            payload["customer_id"].as_str(),
        ) else {
            // Nobody to send it to (a machine opened without an account).
            return Ok(());
        };
        let Some(to) = customer_email(&self.db, customer_id).await? else {
            return Ok(());
        };
        let Some(receipt) = receipts::receipt(&self.db, session_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        let (template, subject) = match receipt.mode {
            Mode::Return => (
                "deposit_receipt",
                format!("Your deposit receipt from {}", receipt.machine),
            ),
            _ => (
                "machine_receipt",
                format!("Your receipt from {}", receipt.machine),
            ),
        };
        let receipt_mail = Outgoing {
            template,
            subject,
            text: text(&receipt),
            html: Some(html(&receipt)),
            resource: Some(("vending_session", session_id.to_owned())),
            one_time_link: false,
        };
        self.notifier
            .email(event, self.name(), &[to], receipt_mail)
            .await
    }
}

fn when(receipt: &Receipt) -> String {
    receipt.at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn total_label(receipt: &Receipt) -> &'static str {
    if receipt.mode == Mode::Return {
        "Deposit credited"
    } else {
        "Charged to your card"
    }
}

fn place(receipt: &Receipt) -> String {
    match &receipt.address {
        Some(address) => format!("{}, {address}", receipt.machine),
        None => receipt.machine.clone(),
    }
}

/// The plain-text receipt.
pub fn text(receipt: &Receipt) -> String {
    let money = |amount| format_money(amount, &receipt.currency_code);
    let mut out = vec![
        format!("{} — {}", place(receipt), when(receipt)),
        String::new(),
    ];
    for line in &receipt.lines {
        out.push(format!(
            "{} × {} at {} — {}",
            line.quantity,
            line.title,
            money(line.unit_amount),
            money(line.amount)
        ));
    }
    if !receipt.weighings.is_empty() {
        out.push(String::new());
        out.push("Weighed by the machine:".to_owned());
        for w in &receipt.weighings {
            out.push(format!(
                "  scale {}: {} g before, {} g after",
                w.scale, w.before_grams, w.after_grams
            ));
        }
    }
    out.push(String::new());
    out.push(format!(
        "{}: {}",
        total_label(receipt),
        money(receipt.total)
    ));
    if let Some(order_id) = &receipt.order_id {
        out.push(format!("Order {order_id}, visit {}", receipt.session_id));
    } else {
        out.push(format!("Visit {}", receipt.session_id));
    }
    if receipt.mode == Mode::Return {
        out.push(
            "The credit is in your account; you can have it paid back to your card there."
                .to_owned(),
        );
    }
    out.join("\n")
}

/// The HTML receipt: the same content as [`text`], as a table.
pub fn html(receipt: &Receipt) -> String {
    let money = |amount| escape(&format_money(amount, &receipt.currency_code));
    let rows: String = receipt
        .lines
        .iter()
        .map(|line| {
            format!(
                "<tr><td>{}</td><td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{}</td></tr>",
                escape(&line.title),
                line.quantity,
                money(line.unit_amount),
                money(line.amount)
            )
        })
        .collect();
    let weighed = if receipt.weighings.is_empty() {
        String::new()
    } else {
        let items: String = receipt
            .weighings
            .iter()
            .map(|w| {
                format!(
                    "<li>Scale {}: {} g before, {} g after</li>",
                    w.scale, w.before_grams, w.after_grams
                )
            })
            .collect();
        format!("<p>Weighed by the machine:</p><ul>{items}</ul>")
    };
    let reference = match &receipt.order_id {
        Some(order_id) => format!(
            "Order {}, visit {}",
            escape(order_id),
            escape(&receipt.session_id)
        ),
        None => format!("Visit {}", escape(&receipt.session_id)),
    };
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <h1 style=\"font-size:1.2em\">{place}</h1><p>{when}</p>\
         <table cellpadding=\"4\"><thead><tr><th style=\"text-align:left\">Item</th><th>Qty</th><th>Each</th><th>Amount</th></tr></thead>\
         <tbody>{rows}</tbody></table>{weighed}\
         <p><strong>{label}: {total}</strong></p><p>{reference}</p></body></html>",
        place = escape(&place(receipt)),
        when = when(receipt),
        label = total_label(receipt),
        total = money(receipt.total),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::vending::receipts::{ReceiptLine, Weighing};

    use super::*;

    fn purchase() -> Receipt {
        Receipt {
            session_id: "vs_1".into(),
            mode: Mode::Purchase,
            machine: "Fridge <Lobby>".into(),
            address: Some("Main St 1".into()),
            at: chrono::Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 0).unwrap(),
            currency_code: "eur".into(),
            lines: vec![ReceiptLine {
                title: "Cola — 0.33 l".into(),
                quantity: 2,
                unit_amount: 150,
                amount: 300,
            }],
            weighings: vec![Weighing {
                scale: 1,
                before_grams: 1400,
                after_grams: 700,
            }],
            total: 300,
            order_id: Some("order_1".into()),
        }
    }

    #[test]
    fn a_purchase_receipt_lists_items_weights_amount_machine_and_time() {
        let text = text(&purchase());
        for shown in [
            "Fridge <Lobby>, Main St 1 — 2026-12-06 09:30 UTC",
            "2 × Cola — 0.33 l at €1.50 — €3.00",
            "scale 1: 1400 g before, 700 g after",
            "Charged to your card: €3.00",
            "Order order_1",
        ] {
            assert!(text.contains(shown), "{shown:?} in {text}");
        }
        let html = html(&purchase());
        assert!(html.contains("Fridge &lt;Lobby&gt;"), "escaped: {html}");
        assert!(!html.contains("<Lobby>"), "{html}");
        assert!(
            html.contains("€3.00") && html.contains("1400 g before"),
            "{html}"
        );
    }

    #[test]
    fn a_return_receipt_says_credited_and_where_to_pay_it_out() {
        let mut returned = purchase();
        returned.mode = Mode::Return;
        returned.order_id = None;
        let text = text(&returned);
        assert!(text.contains("Deposit credited: €3.00"), "{text}");
        assert!(text.contains("paid back to your card"), "{text}");
        assert!(html(&returned).contains("Deposit credited"));
    }
}
