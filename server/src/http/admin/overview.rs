//! `/admin/overview`: the figures of the admin's first page, and
//! `/admin/exports/{orders,sessions}.csv`: a date range's orders and vending
//! sessions as CSV, streamed a page of rows at a time.
//! Not Medusa routes: Medusa has no overview of machines.

use axum::{Json, extract::State, response::Response};
use domain::overview::{
    self, Overview,
    exports::{self, Cursor, DateRange},
};

use crate::{
    http::{
        auth::AuthenticatedAdmin,
        csv::{csv_stream, text_cell},
        error::ApiError,
        params::Params,
    },
    state::AppState,
};

/// `GET /admin/overview?days=30`
pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Overview>, ApiError> {
    let days = match params.text("days")? {
        Some(days) => days.trim().parse().map_err(|_| {
            ApiError::invalid_data(format!(
                "days must be a whole number from 1 to {}",
                overview::MAX_DAYS
            ))
        })?,
        None => overview::DEFAULT_DAYS,
    };
    Ok(Json(
        overview::overview(&state.db, chrono::Utc::now(), days).await?,
    ))
}

/// `GET /admin/exports/orders.csv?from=YYYY-MM-DD&to=YYYY-MM-DD`: one row per
/// order line (an order without lines gets one row), amounts in minor units.
pub async fn orders_csv(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let range = range_of(&params)?;
    let header = [
        "order_id",
        "created_at",
        "status",
        "currency_code",
        "order_total_minor",
        "device_id",
        "product_id",
        "title",
        "variant_title",
        "quantity",
        "unit_price_minor",
        "line_total_minor",
    ];
    Ok(csv_stream(
        format!("orders-{}-to-{}.csv", range.from, range.to),
        &header,
        None,
        move |cursor: Cursor| {
            let db = state.db.clone();
            async move {
                let (orders, next) = exports::orders_page(&db, &range, &cursor).await?;
                let mut rows = Vec::new();
                for exported in orders {
                    let o = &exported.order;
                    let order = [
                        o.id.clone(),
                        o.created_at.to_rfc3339(),
                        o.status.to_string(),
                        o.currency_code.clone(),
                        o.total.to_string(),
                        exported.device_id.clone().unwrap_or_default(),
                    ];
                    if exported.items.is_empty() {
                        rows.push(
                            order
                                .iter()
                                .cloned()
                                .chain(vec![String::new(); 6])
                                .collect(),
                        );
                    }
                    for item in &exported.items {
                        rows.push(
                            order
                                .iter()
                                .cloned()
                                .chain([
                                    item.product_id.clone(),
                                    text_cell(&item.title),
                                    text_cell(&item.variant_title),
                                    item.quantity.to_string(),
                                    item.unit_price.to_string(),
                                    item.total.to_string(),
                                ])
                                .collect(),
                        );
                    }
                }
                Ok((rows, next.map(Some)))
            }
        },
    ))
}

/// `GET /admin/exports/sessions.csv?from=YYYY-MM-DD&to=YYYY-MM-DD`: one row
/// per vending session, amounts in minor units.
pub async fn sessions_csv(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let range = range_of(&params)?;
    let header = [
        "session_id",
        "created_at",
        "device_id",
        "mode",
        "state",
        "currency_code",
        "hold_amount_minor",
        "order_id",
        "credit_amount_minor",
        "failure_reason",
        "review_reason",
        "ended_at",
    ];
    Ok(csv_stream(
        format!("sessions-{}-to-{}.csv", range.from, range.to),
        &header,
        None,
        move |cursor: Cursor| {
            let db = state.db.clone();
            async move {
                let (sessions, next) = exports::sessions_page(&db, &range, &cursor).await?;
                let rows = sessions
                    .into_iter()
                    .map(|s| {
                        vec![
                            s.id,
                            s.created_at.to_rfc3339(),
                            s.device_id,
                            s.mode.to_string(),
                            s.state.to_string(),
                            s.currency_code,
                            s.hold_amount.to_string(),
                            s.order_id.unwrap_or_default(),
                            s.credit_amount.map(|c| c.to_string()).unwrap_or_default(),
                            text_cell(s.failure_reason.as_deref().unwrap_or_default()),
                            text_cell(s.review_reason.as_deref().unwrap_or_default()),
                            s.ended_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                        ]
                    })
                    .collect();
                Ok((rows, next.map(Some)))
            }
        },
    ))
}

fn range_of(params: &Params) -> Result<DateRange, ApiError> {
    Ok(DateRange::parse(
        params.text("from")?.as_deref(),
        params.text("to")?.as_deref(),
    )?)
}
