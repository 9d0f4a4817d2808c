//! Settling a closed session: what the scales say left the machine becomes
//! an order in the machine's channel, stock leaves its location, and the
//! payment is captured for the real amount (the hold released when nothing
//! was taken). The session moves to `settled` in the same transaction as the
//! order, the stock movement and the capture's record, so a repeated
//! door-closed report can never charge twice; the order is keyed by the
//! session too (`orders.cart_id` is unique). The provider is asked for the
//! capture after the commit (`payments::operations`): a slow or unreachable
//! provider holds up neither the machine's report nor other writers.
//!
//! A return session charges nothing: the empty containers put back are
//! recognized by weight and their deposits credited to the shopper, in the
//! same transaction as the move to `settled`.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, sea_query::Expr,
};

use super::{
    deposit_credit, device_session, restock_line, scales,
    sessions::{self, advance},
    state::{Mode, State, Transition},
    weighing::{self, Count, Outcome, Sample},
};
use crate::{
    DomainError, alerts,
    carts::totals,
    catalog, channels,
    devices::{device, protocol::ScaleReading},
    events,
    ids::new_id,
    inventory,
    orders::{self, order, order_item},
    payments::{self, operations::AskedBy},
    pricing,
};

/// A machine purchase became an order: `{id, session_id, customer_id}`.
pub const MACHINE_ORDER_PLACED: &str = "vending.order_placed";

/// A settled return credited deposits: `{session_id, customer_id}`.
pub const RETURN_CREDITED: &str = "vending.return_credited";

/// Settles `session` (just moved to `door_closed`) from the readings of
/// its door-closed report.
pub async fn settle<C: crate::db::Writable>(
    db: &C,
    session: &device_session::Model,
    before: &[ScaleReading],
    after: &[ScaleReading],
) -> Result<device_session::Model, DomainError> {
    let plan = plan(db, session, before, after).await?;
    carry_out(db, session, plan).await
}

/// What settling a session reads, read before the writer's turn is taken
/// ([`plan`]), so that the turn is held for writing only ([`carry_out`]).
/// It is what the store knew a moment before the door-closed report was
/// applied: a scale or a price edited in between counts as edited just
/// after. The session is not part of it: its move to `settled` is checked
/// against its state as it is written.
pub struct Plan(Planned);

enum Planned {
    /// The scales' change explains nothing: the session fails.
    Fails(String),
    /// A purchase where nothing was taken: the hold is released.
    NothingTaken,
    Sale(Box<Sale>),
    /// Service: what was put on the scales is in the machine now.
    Restock {
        location_id: String,
        moves: Vec<StockMove>,
        /// Each moved variant's label, kept with the visit.
        titles: HashMap<String, String>,
    },
    /// The deposits of the containers returned, or why the change credits
    /// nothing.
    Return(Result<Vec<DepositLine>, String>),
}

/// What was taken, priced and taxed as a cart in the machine's currency.
struct Sale {
    place: MachinePlace,
    region_id: Option<String>,
    lines: Vec<SaleLine>,
    totals: totals::CartTotals,
}

struct SaleLine {
    variant: catalog::variant::Model,
    product_id: String,
    title: String,
    unit_price: i64,
    quantity: i32,
    stock: Option<StockMove>,
}

/// Units of a variant leaving (negative: arriving at) the machine's stock.
struct StockMove {
    variant_id: String,
    item_id: String,
    delta: i32,
}

struct DepositLine {
    variant_id: String,
    quantity: i32,
    unit_deposit: i64,
}

/// Reads what settling `session` from these readings needs; writes nothing.
pub async fn plan(
    db: &impl ConnectionTrait,
    session: &device_session::Model,
    before: &[ScaleReading],
    after: &[ScaleReading],
) -> Result<Plan, DomainError> {
    let mode = session.mode;
    if mode == Mode::Return {
        return Ok(Plan(Planned::Return(
            plan_return(db, &session.device_id, before, after).await?,
        )));
    }
    let setups = scales::weighing_setups(db, &session.device_id).await?;
    let changes = match weigh(&setups, before, after) {
        Ok(changes) => changes,
        Err(reason) => return Ok(Plan(Planned::Fails(reason))),
    };
    let changes = resolve_ambiguity(db, changes, &session.currency_code).await?;
    if mode == Mode::Purchase {
        return plan_sale(db, session, &changes).await.map(Plan);
    }
    let place = machine_place(db, &session.device_id).await?;
    let mut moves = Vec::new();
    for count in changes.iter().flatten() {
        moves.extend(stock_move(db, &count.variant_id, count.quantity).await?);
    }
    let titles = catalog::variant_labels(db, moves.iter().map(|m| m.variant_id.clone())).await?;
    Ok(Plan(Planned::Restock {
        location_id: place.location_id,
        moves,
        titles,
    }))
}

/// Writes what `plan` says settling `session` does, in one transaction.
pub async fn carry_out<C: crate::db::Writable>(
    db: &C,
    session: &device_session::Model,
    plan: Plan,
) -> Result<device_session::Model, DomainError> {
    let settled = carry_out_plan(db, session, plan).await?;
    // A sale or a restock changed the machine's stock.
    if settled.state == State::Settled
        && settled.mode != Mode::Return
        && let Err(e) = super::restock::check_low_stock(db, &settled.device_id).await
    {
        // The settlement stands; the next one checks again.
        tracing::warn!(device = %settled.device_id, error = %e, "checking low stock failed");
    }
    Ok(settled)
}

async fn carry_out_plan<C: crate::db::Writable>(
    db: &C,
    session: &device_session::Model,
    plan: Plan,
) -> Result<device_session::Model, DomainError> {
    match plan.0 {
        Planned::Fails(reason) => sessions::fail(db, session, &reason).await,
        Planned::NothingTaken => {
            let txn = crate::db::begin_write(db).await?;
            let settled = advance(&txn, session, Transition::Settle, |_| {}).await?;
            sessions::release_hold(&txn, &settled).await?;
            txn.commit().await?;
            Ok(settled)
        }
        Planned::Sale(sale) => charge(db, session, *sale).await,
        Planned::Restock {
            location_id,
            moves,
            titles,
        } => {
            let txn = crate::db::begin_write(db).await?;
            let settled = advance(&txn, session, Transition::Settle, |_| {}).await?;
            let now = Utc::now();
            for stock in &moves {
                move_stock(&txn, &location_id, stock).await?;
                if stock.delta != 0 {
                    restock_line::ActiveModel {
                        id: Set(new_id("rsline")),
                        device_session_id: Set(settled.id.clone()),
                        variant_id: Set(stock.variant_id.clone()),
                        title: Set(titles
                            .get(&stock.variant_id)
                            .cloned()
                            .unwrap_or_else(|| stock.variant_id.clone())),
                        units: Set(stock.delta),
                        created_at: Set(now),
                    }
                    .insert(&txn)
                    .await?;
                }
            }
            txn.commit().await?;
            Ok(settled)
        }
        Planned::Return(Err(reason)) => {
            tracing::warn!(session = %session.id, reason, "a return credits nothing");
            advance(db, session, Transition::Settle, |s| {
                s.review_reason = Set(Some(reason))
            })
            .await
        }
        Planned::Return(Ok(lines)) => credit_returns(db, session, lines).await,
    }
}

/// The deposits of the empty containers put back on the scales. A change
/// the containers do not explain (an unknown weight, something taken out)
/// credits nothing: the session settles flagged for review.
async fn plan_return(
    db: &impl ConnectionTrait,
    device_id: &str,
    before: &[ScaleReading],
    after: &[ScaleReading],
) -> Result<Result<Vec<DepositLine>, String>, DomainError> {
    let setups = scales::container_setups(db, device_id).await?;
    let deposits: HashMap<String, i64> = scales::scales_of(db, device_id)
        .await?
        .into_iter()
        .flat_map(|(_, assignments)| assignments)
        // Only products taken back count (the same product may lack a deposit on another scale).
        .filter(|a| a.deposit_amount > 0)
        .map(|a| (a.variant_id, a.deposit_amount))
        .collect();
    let deposit_of = |count: &Count| deposits.get(&count.variant_id).copied().unwrap_or(0);
    let returned = weigh(&setups, before, after).and_then(|changes| {
        let mut returned: BTreeMap<String, i32> = BTreeMap::new();
        for options in changes {
            // Where the scales cannot tell, the smallest credit is given.
            let counts = options
                .into_iter()
                .min_by_key(|counts| {
                    counts
                        .iter()
                        .map(|c| -i64::from(c.quantity) * deposit_of(c))
                        .sum::<i64>()
                })
                .unwrap_or_default();
            for count in counts {
                if count.quantity > 0 {
                    return Err(format!(
                        "{} container(s) of {} left the machine during a return",
                        count.quantity, count.variant_id
                    ));
                }
                *returned.entry(count.variant_id).or_default() -= count.quantity;
            }
        }
        Ok(returned)
    });
    Ok(returned.map(|returned| {
        returned
            .into_iter()
            .map(|(variant_id, quantity)| DepositLine {
                unit_deposit: deposits.get(&variant_id).copied().unwrap_or(0),
                variant_id,
                quantity,
            })
            .collect()
    }))
}

/// Credits the deposits of the empty containers put back on the scales.
async fn credit_returns<C: crate::db::Writable>(
    db: &C,
    session: &device_session::Model,
    lines: Vec<DepositLine>,
) -> Result<device_session::Model, DomainError> {
    let total: i64 = lines
        .iter()
        .map(|line| i64::from(line.quantity) * line.unit_deposit)
        .sum();
    let txn = crate::db::begin_write(db).await?;
    let settled = advance(&txn, session, Transition::Settle, |s| {
        s.credit_amount = Set((total > 0).then_some(total))
    })
    .await?;
    let now = Utc::now();
    for line in lines {
        deposit_credit::ActiveModel {
            id: Set(new_id("depcr")),
            session_id: Set(session.id.clone()),
            customer_id: Set(session.customer_id.clone()),
            amount: Set(i64::from(line.quantity) * line.unit_deposit),
            variant_id: Set(line.variant_id),
            quantity: Set(line.quantity),
            unit_deposit: Set(line.unit_deposit),
            currency_code: Set(session.currency_code.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    if total > 0 {
        events::emit(
            &txn,
            RETURN_CREDITED,
            &serde_json::json!({
                "session_id": session.id,
                "customer_id": session.customer_id,
            }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(settled)
}

/// A page of a shopper's deposit credits, newest first: their return history.
pub async fn credits_of(
    db: &impl ConnectionTrait,
    customer_id: &str,
    offset: u64,
    limit: u64,
) -> Result<crate::paging::Page<deposit_credit::Model>, DomainError> {
    let select = deposit_credit::Entity::find()
        .filter(deposit_credit::Column::CustomerId.eq(customer_id))
        .order_by_desc(deposit_credit::Column::CreatedAt)
        .order_by_desc(deposit_credit::Column::Id);
    crate::paging::page_of(db, select, offset, limit).await
}

/// A deposit credit as the shopper reads it: at which machine, for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditLine {
    pub credit: deposit_credit::Model,
    /// The machine's name.
    pub machine: String,
    /// "Product — Variant"; the variant id when the product is gone.
    pub product: String,
}

/// The latest [`crate::catalog::MAX_PAGE_SIZE`] of [`credits_of`], with the
/// machine and product of each credit.
pub async fn credit_history(
    db: &impl ConnectionTrait,
    customer_id: &str,
) -> Result<Vec<CreditLine>, DomainError> {
    let credits = credits_of(db, customer_id, 0, crate::catalog::MAX_PAGE_SIZE)
        .await?
        .items;
    described(db, credits).await
}

/// The deposit credits of one return session, with machine and product.
pub async fn credit_lines_of(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Vec<CreditLine>, DomainError> {
    let credits = deposit_credit::Entity::find()
        .filter(deposit_credit::Column::SessionId.eq(session_id))
        .order_by_asc(deposit_credit::Column::Id)
        .all(db)
        .await?;
    described(db, credits).await
}

/// `credits` with the name of each one's machine and product.
async fn described(
    db: &impl ConnectionTrait,
    credits: Vec<deposit_credit::Model>,
) -> Result<Vec<CreditLine>, DomainError> {
    let machine_of: HashMap<String, String> = device_session::Entity::find()
        .filter(device_session::Column::Id.is_in(credits.iter().map(|c| c.session_id.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.device_id))
        .collect();
    let names: HashMap<String, String> = device::Entity::find()
        .filter(device::Column::Id.is_in(machine_of.values().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let products =
        catalog::variant_labels(db, credits.iter().map(|c| c.variant_id.clone())).await?;
    Ok(credits
        .into_iter()
        .map(|credit| {
            let device_id = machine_of.get(&credit.session_id);
            let machine = device_id
                .map(|id| names.get(id).unwrap_or(id).clone())
                .unwrap_or_else(|| "a machine no longer registered".to_owned());
            let product = products
                .get(&credit.variant_id)
                .cloned()
                .unwrap_or_else(|| credit.variant_id.clone());
            CreditLine {
                credit,
                machine,
                product,
            }
        })
        .collect())
}

/// Per scale, the counts that fit its weight change (several when ambiguous).
type Changes = Vec<Vec<Vec<Count>>>;

fn weigh(
    setups: &HashMap<i32, weighing::ScaleSetup>,
    before: &[ScaleReading],
    after: &[ScaleReading],
) -> Result<Changes, String> {
    let positions: HashSet<i32> = before.iter().chain(after).map(|r| r.scale).collect();
    let mut positions: Vec<i32> = positions.into_iter().collect();
    positions.sort_unstable();
    let mut changes = Vec::new();
    for position in positions {
        let at_rest = |readings: &[ScaleReading]| {
            let samples: Vec<Sample> = readings
                .iter()
                .filter(|r| r.scale == position)
                .map(|r| Sample {
                    grams: r.grams,
                    stable: r.stable,
                })
                .collect();
            weighing::stable_weight(&samples)
                .ok_or_else(|| format!("scale {position} reported no stable weight"))
        };
        let (from, to) = (at_rest(before)?, at_rest(after)?);
        let unassigned = weighing::ScaleSetup {
            noise: 0,
            products: vec![],
        };
        let setup = setups.get(&position).unwrap_or(&unassigned);
        match weighing::explain(setup, from, to) {
            Outcome::Unchanged => {}
            Outcome::Explained(counts) => changes.push(vec![counts]),
            Outcome::Ambiguous(options) => changes.push(options),
            Outcome::Unexplained { delta_grams } => {
                return Err(format!(
                    "scale {position} changed by {delta_grams} g, which no assigned product explains"
                ));
            }
        }
    }
    Ok(changes)
}

/// Where the scales cannot tell, the shopper is charged the cheapest reading.
async fn resolve_ambiguity(
    db: &impl ConnectionTrait,
    changes: Changes,
    currency_code: &str,
) -> Result<Vec<Vec<Count>>, DomainError> {
    let mut resolved = Vec::with_capacity(changes.len());
    for mut options in changes {
        if options.len() == 1 {
            resolved.extend(options.pop());
            continue;
        }
        tracing::warn!(
            ?options,
            "ambiguous weight change; charging the cheapest reading"
        );
        let mut priced = Vec::with_capacity(options.len());
        for option in options {
            let mut total = 0;
            for count in &option {
                total += unit_price(db, &count.variant_id, currency_code).await?.3
                    * i64::from(count.quantity);
            }
            priced.push((total, option));
        }
        priced.sort_by_key(|(total, _)| *total);
        resolved.extend(priced.into_iter().next().map(|(_, option)| option));
    }
    Ok(resolved)
}

/// Prices what the scales say was taken.
async fn plan_sale(
    db: &impl ConnectionTrait,
    session: &device_session::Model,
    changes: &[Vec<Count>],
) -> Result<Planned, DomainError> {
    // Units put back are not sold; units of one variant from two scales add up.
    let mut taken: BTreeMap<String, i32> = BTreeMap::new();
    for count in changes.iter().flatten().filter(|c| c.quantity > 0) {
        *taken.entry(count.variant_id.clone()).or_default() += count.quantity;
    }
    if taken.is_empty() {
        return Ok(Planned::NothingTaken);
    }
    let mut lines = Vec::with_capacity(taken.len());
    for (variant_id, quantity) in taken {
        let (variant, product_id, title, unit_price) =
            unit_price(db, &variant_id, &session.currency_code).await?;
        lines.push(SaleLine {
            stock: stock_move(db, &variant_id, quantity).await?,
            variant,
            product_id,
            title,
            unit_price,
            quantity,
        });
    }
    let region = pricing::default_region(db, Some(&session.currency_code)).await?;
    let totals = totals::compute(&totals::TotalsInput {
        tax: totals::Tax::of_region(region.as_ref().map(|r| &r.region)),
        lines: lines
            .iter()
            .enumerate()
            .map(|(n, line)| totals::LineInput {
                id: n.to_string(),
                unit_price: line.unit_price,
                quantity: line.quantity,
            })
            .collect(),
        ..Default::default()
    });
    Ok(Planned::Sale(Box::new(Sale {
        place: machine_place(db, &session.device_id).await?,
        region_id: region.map(|r| r.region.id),
        lines,
        totals,
    })))
}

async fn charge<C: crate::db::Writable>(
    db: &C,
    session: &device_session::Model,
    sale: Sale,
) -> Result<device_session::Model, DomainError> {
    let Sale {
        place,
        region_id,
        lines,
        totals,
    } = sale;
    let total = totals.total;
    let order_id = new_id("order");
    let txn = crate::db::begin_write(db).await?;
    let settled = advance(&txn, session, Transition::Settle, |s| {
        s.order_id = Set(Some(order_id.clone()))
    })
    .await?;
    order::ActiveModel {
        id: Set(order_id.clone()),
        cart_id: Set(session.id.clone()),
        customer_id: Set(session.customer_id.clone()),
        email: Set(None),
        currency_code: Set(session.currency_code.clone()),
        status: Set(orders::order::Status::Pending),
        payment_collection_id: Set(session.payment_collection_id.clone()),
        region_id: Set(region_id),
        sales_channel_id: Set(Some(place.channel_id.clone())),
        shipping_option_id: Set(None),
        shipping_method_name: Set(None),
        shipping_address: Set(None),
        billing_address: Set(None),
        promo_codes: Set(None),
        is_tax_inclusive: Set(totals.tax_inclusive),
        subtotal: Set(totals.subtotal),
        total: Set(totals.total),
        item_subtotal: Set(totals.item_subtotal),
        item_tax_total: Set(totals.item_tax_total),
        item_total: Set(totals.item_total),
        shipping_subtotal: Set(0),
        shipping_tax_total: Set(0),
        shipping_total: Set(0),
        discount_total: Set(0),
        discount_tax_total: Set(0),
        tax_total: Set(totals.tax_total),
        tip: Set(0),
        original_total: Set(totals.original_total),
        created_at: Set(Utc::now()),
        canceled_at: Set(None),
    }
    .insert(&txn)
    .await?;
    for (line, line_totals) in lines.iter().zip(&totals.items) {
        order_item::ActiveModel {
            id: Set(new_id("ordli")),
            order_id: Set(order_id.clone()),
            variant_id: Set(line.variant.id.clone()),
            product_id: Set(line.product_id.clone()),
            title: Set(line.title.clone()),
            variant_title: Set(line.variant.title.clone()),
            quantity: Set(line.quantity),
            unit_price: Set(line.unit_price),
            subtotal: Set(line_totals.subtotal),
            discount_total: Set(line_totals.discount_total),
            tax_total: Set(line_totals.tax_total),
            total: Set(line_totals.total),
        }
        .insert(&txn)
        .await?;
        if let Some(stock) = &line.stock {
            move_stock(&txn, &place.location_id, stock).await?;
        }
    }
    if let Some(payment_id) = &settled.payment_id {
        // More than the hold cannot be captured; the shortfall is logged for follow-up.
        let amount = total.min(session.hold_amount);
        if amount < total {
            tracing::warn!(session = %session.id, total, hold = session.hold_amount, "sale exceeds the hold");
        }
        // Recorded now, asked of the provider after the commit (see
        // `payments::operations`); a refusal then puts the session in the
        // review list ([`capture_refused`]).
        if amount > 0 {
            payments::operations::request_capture(&txn, payment_id, amount, Some(&session.id))
                .await?;
        } else {
            // Nothing to pay (free goods): the hold is given back.
            payments::operations::request_release(&txn, payment_id, AskedBy::Worker).await?;
        }
    }
    events::emit(
        &txn,
        MACHINE_ORDER_PLACED,
        &serde_json::json!({
            "id": order_id,
            "session_id": session.id,
            "customer_id": session.customer_id,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(settled)
}

/// The provider refused the capture of a settled sale (the hold lapsed, the
/// card was blocked): the sale stands, unpaid, in the review list, with an
/// alert on its machine.
pub(crate) async fn capture_refused<C: crate::db::Writable>(
    db: &C,
    session_id: &str,
    amount: i64,
    reason: &str,
) -> Result<(), DomainError> {
    let session = sessions::find(db, session_id).await?;
    tracing::error!(session = %session.id, %reason, "capture refused after settlement");
    device_session::Entity::update_many()
        .col_expr(
            device_session::Column::ReviewReason,
            Expr::value(Some(reason.to_owned())),
        )
        .filter(device_session::Column::Id.eq(&session.id))
        .exec(db)
        .await?;
    let message = format!(
        "session {}: {reason} ({amount} of {} due); see the review list",
        session.id, session.currency_code
    );
    alerts::raise(
        db,
        alerts::Kind::PaymentCaptureFailed,
        &session.device_id,
        &message,
    )
    .await?;
    Ok(())
}

/// A variant, its product's id and title, and its price in `currency_code`.
async fn unit_price(
    db: &impl ConnectionTrait,
    variant_id: &str,
    currency_code: &str,
) -> Result<(catalog::variant::Model, String, String, i64), DomainError> {
    let (variant, product, prices) = catalog::find_variant(db, variant_id).await?;
    let price = prices
        .iter()
        .find(|p| p.currency_code == currency_code)
        .ok_or_else(|| {
            DomainError::Invalid(format!("variant {variant_id} has no {currency_code} price"))
        })?
        .amount;
    Ok((variant, product.id, product.title, price))
}

/// The sales channel a machine sells through and the stock location behind it.
struct MachinePlace {
    channel_id: String,
    location_id: String,
}

async fn machine_place(
    db: &impl ConnectionTrait,
    device_id: &str,
) -> Result<MachinePlace, DomainError> {
    let machine = device::Entity::find_by_id(device_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Device", device_id))?;
    let channel_id = machine.sales_channel_id.ok_or_else(|| {
        DomainError::Invalid(format!("device {device_id} sells through no sales channel"))
    })?;
    let location_id = channels::stock_location_ids(db, std::slice::from_ref(&channel_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| DomainError::Invalid(format!("device {device_id} has no stock location")))?;
    Ok(MachinePlace {
        channel_id,
        location_id,
    })
}

/// `quantity` units of a variant leaving the machine's stock; `None` when
/// the variant's stock is not kept.
async fn stock_move(
    db: &impl ConnectionTrait,
    variant_id: &str,
    quantity: i32,
) -> Result<Option<StockMove>, DomainError> {
    Ok(inventory::find_item_by_variant(db, variant_id)
        .await?
        .map(|item| StockMove {
            variant_id: variant_id.to_owned(),
            item_id: item.id,
            delta: -quantity,
        }))
}

/// Books a stock move at `location`. The goods moved whatever the books
/// said, so a count the move would take below what is reserved is logged,
/// not refused.
async fn move_stock(
    db: &impl ConnectionTrait,
    location: &str,
    stock: &StockMove,
) -> Result<(), DomainError> {
    if !inventory::add_to_stocked(db, &stock.item_id, location, stock.delta).await? {
        tracing::warn!(
            variant_id = stock.variant_id,
            location,
            delta = stock.delta,
            "stock count disagrees with the scales: below what is reserved"
        );
    }
    Ok(())
}

/// What the service visit `session_id` put in (positive units) and took out
/// (negative), per product, in the order it was booked.
pub async fn restock_lines(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Vec<restock_line::Model>, DomainError> {
    Ok(restock_line::Entity::find()
        .filter(restock_line::Column::DeviceSessionId.eq(session_id))
        .order_by_asc(restock_line::Column::Title)
        .all(db)
        .await?)
}
