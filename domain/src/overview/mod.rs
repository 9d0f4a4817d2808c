//! The operator's overview: revenue, sales per machine and per day, top
//! products, machines online and their uptime, open alerts and the review
//! list, for the admin's first page and `GET /admin/overview`.
//!
//! Every figure is an aggregate the database computes (`GROUP BY`, `SUM`,
//! `COUNT`) over the indexed `created_at` ranges; no order or session row is
//! loaded into memory. Days are UTC days.
//!
//! Revenue is the total of the orders placed in a period and not canceled
//! (web orders and machine purchases alike), before refunds, per currency:
//! amounts in different currencies are never added up.

pub mod exports;
pub mod operations;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use serde::Serialize;

use crate::DomainError;

/// The longest window the overview accepts, in days.
pub const MAX_DAYS: u32 = 366;
/// The window when none is asked for.
pub const DEFAULT_DAYS: u32 = 30;
/// How many products [`Overview::top_products`] lists.
pub const TOP_PRODUCTS: u64 = 5;

/// An amount in minor units of a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub currency_code: String,
    pub amount: i64,
}

/// Orders, revenue and sessions from a moment until now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub orders: u64,
    /// Purchase and return sessions at the machines (service visits are not
    /// sales and are left out).
    pub sessions: u64,
    /// Per currency, largest first; empty when nothing was sold.
    pub revenue: Vec<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Periods {
    /// Since midnight (UTC).
    pub today: Period,
    /// Today and the 6 days before.
    pub last_7_days: Period,
    /// Today and the 29 days before.
    pub last_30_days: Period,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductSales {
    pub product_id: String,
    pub title: String,
    pub currency_code: String,
    pub quantity: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MachineSales {
    pub device_id: String,
    pub name: Option<String>,
    pub currency_code: String,
    pub orders: u64,
    pub amount: i64,
}

/// One UTC day's sales in one currency; days without sales are there with zeros.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaySales {
    pub day: NaiveDate,
    pub currency_code: String,
    pub orders: u64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machines {
    /// Machines in service (decommissioned ones are left out).
    pub total: u64,
    pub online: u64,
    pub offline: u64,
    /// See [`uptime_percent`]; `None` without machines in service.
    pub uptime_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub generated_at: DateTime<Utc>,
    /// The window of the lists and series below (and of the uptime), in days
    /// ending today.
    pub days: u32,
    pub window_from: DateTime<Utc>,
    pub periods: Periods,
    /// Best sellers by units sold in the window.
    pub top_products: Vec<ProductSales>,
    /// Sales at each machine in the window, best first.
    pub machine_sales: Vec<MachineSales>,
    /// Sales per day in the window, oldest first, per currency sold in it.
    pub daily_sales: Vec<DaySales>,
    pub machines: Machines,
    /// Alerts not yet resolved.
    pub open_alerts: u64,
    /// Sessions that want an admin's look (they have a review reason).
    pub review_sessions: u64,
}

/// Midnight (UTC) of the day `days - 1` days before `now`'s: the start of a
/// window of `days` days that ends today.
pub fn window_start(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let today = now.date_naive();
    let first = today - Duration::days(i64::from(days.max(1)) - 1);
    first.and_time(NaiveTime::MIN).and_utc()
}

/// Checks an asked-for window length.
pub fn check_days(days: u32) -> Result<u32, DomainError> {
    if (1..=MAX_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(DomainError::Invalid(format!(
            "days must be between 1 and {MAX_DAYS}"
        )))
    }
}

/// The overview as of `now`, its lists over the last `days` days.
pub async fn overview(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Overview, DomainError> {
    let days = check_days(days)?;
    let window_from = window_start(now, days);
    let query = Query::new(db);
    Ok(Overview {
        generated_at: now,
        days,
        window_from,
        periods: query.periods(now).await?,
        top_products: query.top_products(window_from).await?,
        machine_sales: query.machine_sales(window_from).await?,
        daily_sales: query.daily_sales(window_from, now).await?,
        machines: query.machines(window_from, now).await?,
        open_alerts: query
            .count(
                "SELECT COUNT(*) AS n FROM alerts WHERE resolved_at IS NULL",
                vec![],
            )
            .await?,
        review_sessions: query
            .count(
                "SELECT COUNT(*) AS n FROM device_sessions WHERE review_reason IS NOT NULL",
                vec![],
            )
            .await?,
    })
}

/// Raw aggregate statements, written once with `?` placeholders.
struct Query<'a, C> {
    db: &'a C,
    backend: DbBackend,
}

/// The orders that count as sales: not canceled.
const SOLD: &str = "canceled_at IS NULL";

impl<'a, C: ConnectionTrait> Query<'a, C> {
    fn new(db: &'a C) -> Self {
        Self {
            db,
            backend: db.get_database_backend(),
        }
    }

    async fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, DomainError> {
        let statement =
            Statement::from_sql_and_values(self.backend, placeholders(self.backend, sql), values);
        Ok(self.db.query_all_raw(statement).await?)
    }

    async fn count(&self, sql: &str, values: Vec<Value>) -> Result<u64, DomainError> {
        let rows = self.rows(sql, values).await?;
        match rows.first() {
            Some(row) => count_of(row, "n"),
            None => Ok(0),
        }
    }

    async fn periods(&self, now: DateTime<Utc>) -> Result<Periods, DomainError> {
        let starts = [1, 7, 30].map(|days| window_start(now, days));
        // One pass over the 30 days, split into the three periods by CASE.
        let rows = self
            .rows(
                &format!(
                    "SELECT currency_code, \
                     CAST(SUM(CASE WHEN created_at >= ? THEN total ELSE 0 END) AS BIGINT) AS today, \
                     CAST(SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END) AS BIGINT) AS today_n, \
                     CAST(SUM(CASE WHEN created_at >= ? THEN total ELSE 0 END) AS BIGINT) AS week, \
                     CAST(SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END) AS BIGINT) AS week_n, \
                     CAST(SUM(total) AS BIGINT) AS month, COUNT(*) AS month_n \
                     FROM orders WHERE created_at >= ? AND {SOLD} GROUP BY currency_code"
                ),
                vec![
                    starts[0].into(),
                    starts[0].into(),
                    starts[1].into(),
                    starts[1].into(),
                    starts[2].into(),
                ],
            )
            .await?;
        let sessions = self
            .rows(
                "SELECT \
                 CAST(COALESCE(SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END), 0) AS BIGINT) AS today_n, \
                 CAST(COALESCE(SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END), 0) AS BIGINT) AS week_n, \
                 COUNT(*) AS month_n \
                 FROM device_sessions WHERE created_at >= ? AND mode <> 'service'",
                vec![starts[0].into(), starts[1].into(), starts[2].into()],
            )
            .await?;
        let mut periods = [
            ("today", "today_n"),
            ("week", "week_n"),
            ("month", "month_n"),
        ]
        .into_iter()
        .zip(starts)
        .map(|((amount, n), from)| -> Result<Period, DomainError> {
            let mut revenue = Vec::new();
            let mut orders = 0;
            for row in &rows {
                let count = count_of(row, n)?;
                if count > 0 {
                    orders += count;
                    revenue.push(Amount {
                        currency_code: row.try_get("", "currency_code")?,
                        amount: row.try_get("", amount)?,
                    });
                }
            }
            revenue.sort_by(|a, b| {
                b.amount
                    .cmp(&a.amount)
                    .then(a.currency_code.cmp(&b.currency_code))
            });
            Ok(Period {
                from,
                orders,
                sessions: match sessions.first() {
                    Some(row) => count_of(row, n)?,
                    None => 0,
                },
                revenue,
            })
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter();
        let mut next = || periods.next().expect("three periods");
        Ok(Periods {
            today: next(),
            last_7_days: next(),
            last_30_days: next(),
        })
    }

    async fn top_products(&self, from: DateTime<Utc>) -> Result<Vec<ProductSales>, DomainError> {
        let rows = self
            .rows(
                &format!(
                    "SELECT i.product_id, MAX(i.title) AS title, o.currency_code, \
                     CAST(SUM(i.quantity) AS BIGINT) AS quantity, CAST(SUM(i.total) AS BIGINT) AS amount \
                     FROM orders o JOIN order_items i ON i.order_id = o.id \
                     WHERE o.created_at >= ? AND o.{SOLD} \
                     GROUP BY i.product_id, o.currency_code \
                     ORDER BY quantity DESC, amount DESC, i.product_id LIMIT {TOP_PRODUCTS}"
                ),
                vec![from.into()],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ProductSales {
                    product_id: row.try_get("", "product_id")?,
                    title: row.try_get("", "title")?,
                    currency_code: row.try_get("", "currency_code")?,
                    quantity: row.try_get("", "quantity")?,
                    amount: row.try_get("", "amount")?,
                })
            })
            .collect()
    }

    async fn machine_sales(&self, from: DateTime<Utc>) -> Result<Vec<MachineSales>, DomainError> {
        let rows = self
            .rows(
                &format!(
                    "SELECT s.device_id, MAX(d.name) AS name, o.currency_code, \
                     COUNT(*) AS orders, CAST(SUM(o.total) AS BIGINT) AS amount \
                     FROM orders o JOIN device_sessions s ON s.order_id = o.id \
                     LEFT JOIN devices d ON d.id = s.device_id \
                     WHERE o.created_at >= ? AND o.{SOLD} \
                     GROUP BY s.device_id, o.currency_code \
                     ORDER BY amount DESC, s.device_id"
                ),
                vec![from.into()],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(MachineSales {
                    device_id: row.try_get("", "device_id")?,
                    name: row.try_get("", "name")?,
                    currency_code: row.try_get("", "currency_code")?,
                    orders: count_of(row, "orders")?,
                    amount: row.try_get("", "amount")?,
                })
            })
            .collect()
    }

    async fn daily_sales(
        &self,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<DaySales>, DomainError> {
        // The UTC day as `YYYY-MM-DD` text: SQLite keeps timestamps as
        // RFC 3339 text in UTC, PostgreSQL as `timestamptz`.
        let day = match self.backend {
            DbBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            _ => "substr(created_at, 1, 10)",
        };
        let rows = self
            .rows(
                &format!(
                    "SELECT {day} AS day, currency_code, COUNT(*) AS orders, \
                     CAST(SUM(total) AS BIGINT) AS amount \
                     FROM orders WHERE created_at >= ? AND {SOLD} \
                     GROUP BY {day}, currency_code"
                ),
                vec![from.into()],
            )
            .await?;
        let mut sold = Vec::with_capacity(rows.len());
        for row in &rows {
            let day: String = row.try_get("", "day")?;
            let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| {
                DomainError::Invalid(format!("a stored order date is not a date ({day}): {e}"))
            })?;
            sold.push(DaySales {
                day,
                currency_code: row.try_get("", "currency_code")?,
                orders: count_of(row, "orders")?,
                amount: row.try_get("", "amount")?,
            });
        }
        Ok(every_day(from.date_naive(), now.date_naive(), sold))
    }

    async fn machines(
        &self,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Machines, DomainError> {
        let devices = self
            .rows(
                "SELECT id, online, created_at, last_seen_at FROM devices \
                 WHERE decommissioned_at IS NULL",
                vec![],
            )
            .await?;
        // Only the offline spells that overlap the window: a handful per machine.
        let spells = self
            .rows(
                "SELECT a.device_id, a.raised_at, a.resolved_at FROM alerts a \
                 JOIN devices d ON d.id = a.device_id AND d.decommissioned_at IS NULL \
                 WHERE a.kind = ? AND a.raised_at < ? \
                 AND (a.resolved_at IS NULL OR a.resolved_at > ?)",
                vec![
                    crate::alerts::Kind::DeviceOffline.into(),
                    now.into(),
                    from.into(),
                ],
            )
            .await?;
        let mut machines: BTreeMap<String, MachineHistory> = BTreeMap::new();
        for row in &devices {
            let id: String = row.try_get("", "id")?;
            machines.insert(
                id,
                MachineHistory {
                    online: row.try_get("", "online")?,
                    added_at: row.try_get("", "created_at")?,
                    last_seen_at: row.try_get("", "last_seen_at")?,
                    offline: Vec::new(),
                },
            );
        }
        for row in &spells {
            let id: String = row.try_get("", "device_id")?;
            if let Some(machine) = machines.get_mut(&id) {
                machine.offline.push((
                    row.try_get("", "raised_at")?,
                    row.try_get("", "resolved_at")?,
                ));
            }
        }
        let online = machines.values().filter(|m| m.online).count() as u64;
        let total = machines.len() as u64;
        Ok(Machines {
            total,
            online,
            offline: total - online,
            uptime_percent: uptime_percent(machines.values(), from, now),
        })
    }
}

/// What the devices table and the `device_offline` alerts record of a machine.
#[derive(Debug, Clone)]
pub struct MachineHistory {
    pub online: bool,
    pub added_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// `device_offline` alerts: raised when its heartbeats stopped (or its
    /// last will arrived), resolved when it was heard from again.
    pub offline: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

/// The fleet's uptime in `[from, now]`, in percent: the share of the time
/// machines in service were not known to be offline, summed over machines.
///
/// There is no heartbeat log, so the offline time of a machine is read from
/// what is recorded: its `device_offline` alerts (raised when the heartbeats
/// stop, resolved when it is heard from again; an open one counts until
/// `now`), and, for a machine offline now without an open alert (one never
/// heard from, say), the time since it was last seen or, never seen, since it
/// was added. A machine counts from when it was added, if that is later
/// than `from`. `None` when no machine was in service in the window.
pub fn uptime_percent<'m>(
    machines: impl IntoIterator<Item = &'m MachineHistory>,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<f64> {
    let mut in_service = Duration::zero();
    let mut offline = Duration::zero();
    for machine in machines {
        let start = machine.added_at.max(from);
        if start >= now {
            continue;
        }
        in_service += now - start;
        let clipped =
            |a: DateTime<Utc>, b: DateTime<Utc>| (b.min(now) - a.max(start)).max(Duration::zero());
        let mut down = Duration::zero();
        let mut open_alert = false;
        for (raised, resolved) in &machine.offline {
            open_alert |= resolved.is_none();
            down += clipped(*raised, resolved.unwrap_or(now));
        }
        if !machine.online && !open_alert {
            down += clipped(machine.last_seen_at.unwrap_or(machine.added_at), now);
        }
        offline += down.min(now - start);
    }
    if in_service.is_zero() {
        return None;
    }
    let up = (in_service - offline).num_milliseconds() as f64;
    Some((up * 100.0 / in_service.num_milliseconds() as f64).clamp(0.0, 100.0))
}

/// `sold` with a zero day for each day from `first` to `last` without sales,
/// per currency, ordered by currency then day.
pub fn every_day(first: NaiveDate, last: NaiveDate, sold: Vec<DaySales>) -> Vec<DaySales> {
    let mut by_currency: BTreeMap<String, BTreeMap<NaiveDate, DaySales>> = BTreeMap::new();
    for day in sold {
        by_currency
            .entry(day.currency_code.clone())
            .or_default()
            .insert(day.day, day);
    }
    let mut series = Vec::new();
    for (currency_code, mut days) in by_currency {
        for day in first.iter_days().take_while(|d| *d <= last) {
            series.push(days.remove(&day).unwrap_or_else(|| DaySales {
                day,
                currency_code: currency_code.clone(),
                orders: 0,
                amount: 0,
            }));
        }
    }
    series
}

/// `?` placeholders as the backend wants them (`$1`, `$2`… for PostgreSQL).
/// The statements here have no `?` inside a literal.
fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// A `COUNT(*)` (or a sum of ones) column as a count.
fn count_of(row: &QueryResult, column: &str) -> Result<u64, DomainError> {
    let n: i64 = row.try_get("", column)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn windows_start_at_midnight_and_end_today() {
        let now = at("2026-12-06T13:16:00Z");
        assert_eq!(window_start(now, 1), at("2026-12-06T00:00:00Z"));
        assert_eq!(window_start(now, 7), at("2026-11-30T00:00:00Z"));
        assert!(check_days(0).is_err());
        assert!(check_days(MAX_DAYS + 1).is_err());
    }

    #[test]
    fn days_without_sales_are_zeros() {
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        let sold = vec![DaySales {
            day: day("2026-12-02"),
            currency_code: "eur".into(),
            orders: 2,
            amount: 500,
        }];
        let series = every_day(day("2026-12-01"), day("2026-12-03"), sold);
        let amounts: Vec<i64> = series.iter().map(|d| d.amount).collect();
        assert_eq!(amounts, [0, 500, 0]);
        assert!(every_day(day("2026-12-01"), day("2026-12-03"), vec![]).is_empty());
    }

    #[test]
    fn uptime_counts_offline_spells_within_the_window() {
        let from = at("2026-12-01T00:00:00Z");
        let now = at("2026-12-03T00:00:00Z");
        let machine = |online, offline| MachineHistory {
            online,
            added_at: at("2026-11-01T00:00:00Z"),
            last_seen_at: Some(at("2026-12-02T00:00:00Z")),
            offline,
        };
        // Offline for 12 h of the 48, half of it before the window.
        let spell = vec![(at("2026-11-30T18:00:00Z"), Some(at("2026-12-01T06:00:00Z")))];
        let up = uptime_percent(&[machine(true, spell)], from, now).unwrap();
        assert!((up - 87.5).abs() < 1e-9, "{up}");
        // Offline since it was last seen a day ago, no alert: half the time.
        let up = uptime_percent(&[machine(false, vec![])], from, now).unwrap();
        assert!((up - 50.0).abs() < 1e-9, "{up}");
        assert_eq!(uptime_percent(&[], from, now), None);
    }
}
