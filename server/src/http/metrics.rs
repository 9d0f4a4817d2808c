//! `GET /metrics` in Prometheus' text format: this instance's HTTP latency,
//! and the store's figures an operator alerts on (open sessions, machines
//! online, outbox backlog, settlement time), read from the database at each
//! scrape. Business figures are not for everyone: the endpoint answers only
//! a bearer token set by `AUTOMAT_METRICS_TOKEN`, and is off without one.

use std::{
    fmt::Write as _,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, Request, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::{
    credentials::same_secret,
    overview::operations::{self, Operations},
};

use super::error::ApiError;
use crate::state::AppState;

/// Upper bounds of the request-duration buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Requests this instance answered and how long they took (to the response's
/// head; a stream's body is not waited for).
#[derive(Default)]
pub struct HttpLatency {
    /// Per bucket (not cumulative), the last one for slower than every bound.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    /// By status class: 1xx … 5xx.
    by_class: [AtomicU64; 5],
}

impl HttpLatency {
    pub fn observe(&self, took: Duration, status: StatusCode) {
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String) {
        out.push_str("# HELP automat_http_requests_total Requests answered, by status class.\n");
        out.push_str("# TYPE automat_http_requests_total counter\n");
        for (i, n) in self.by_class.iter().enumerate() {
            let n = n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "automat_http_requests_total{{class=\"{}xx\"}} {n}",
                i + 1
            );
        }
        out.push_str("# HELP automat_http_request_duration_seconds Time to a response's head.\n");
        out.push_str("# TYPE automat_http_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.counts) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "automat_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.counts[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "automat_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "automat_http_request_duration_seconds_sum {sum}");
        let _ = writeln!(
            out,
            "automat_http_request_duration_seconds_count {cumulative}"
        );
    }
}

/// What `/metrics` needs: the latency this instance recorded and the token.
#[derive(Clone, Default)]
pub struct Metrics {
    pub http: Arc<HttpLatency>,
    pub token: Option<Arc<str>>,
}

/// Times every request.
pub async fn record(
    State(latency): State<Arc<HttpLatency>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    latency.observe(started.elapsed(), response.status());
    response
}

pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.metrics.token.as_deref() else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "metrics are off; set AUTOMAT_METRICS_TOKEN to have Prometheus scrape them",
        )
        .into_response();
    };
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !offered.is_some_and(|offered| same_secret(offered, token)) {
        let mut response =
            ApiError::unauthorized("metrics need the bearer token set by AUTOMAT_METRICS_TOKEN")
                .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let figures = match operations::operations(&state.db, chrono::Utc::now()).await {
        Ok(figures) => figures,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut body = String::with_capacity(4096);
    state.metrics.http.render(&mut body);
    render_operations(&figures, &mut body);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

fn render_operations(o: &Operations, out: &mut String) {
    out.push_str("# HELP automat_sessions_open Machine sessions not yet ended, by state.\n");
    out.push_str("# TYPE automat_sessions_open gauge\n");
    for (state, n) in &o.open_sessions {
        // States are the store's own words (letters and underscores).
        let _ = writeln!(out, "automat_sessions_open{{state=\"{state}\"}} {n}");
    }
    gauge(out, "automat_machines", "Machines in service.", o.machines);
    gauge(
        out,
        "automat_machines_online",
        "Machines in service that are online.",
        o.machines_online,
    );
    gauge(
        out,
        "automat_alerts_open",
        "Alerts not yet resolved.",
        o.open_alerts,
    );
    gauge(
        out,
        "automat_outbox_due_events",
        "Events due and not yet delivered.",
        o.outbox_due,
    );
    gauge(
        out,
        "automat_outbox_failed_events",
        "Events given up after their last attempt.",
        o.outbox_failed,
    );
    gauge(
        out,
        "automat_outbox_lag_seconds",
        "How long the oldest due event has waited.",
        o.outbox_lag_seconds,
    );
    let _ = writeln!(
        out,
        "# HELP automat_settlement_seconds Door closed to session ended, over the newest {} settled sessions.\n# TYPE automat_settlement_seconds summary",
        operations::SETTLEMENT_SAMPLE
    );
    for q in [0.5, 0.95, 0.99] {
        if let Some(v) = operations::quantile(&o.settlement_seconds, q) {
            let _ = writeln!(out, "automat_settlement_seconds{{quantile=\"{q}\"}} {v}");
        }
    }
    let sum: f64 = o.settlement_seconds.iter().sum();
    let _ = writeln!(out, "automat_settlement_seconds_sum {sum}");
    let _ = writeln!(
        out,
        "automat_settlement_seconds_count {}",
        o.settlement_seconds.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fall_in_cumulative_buckets() {
        let latency = HttpLatency::default();
        latency.observe(Duration::from_micros(800), StatusCode::OK);
        latency.observe(Duration::from_millis(30), StatusCode::NOT_FOUND);
        latency.observe(Duration::from_secs(9), StatusCode::INTERNAL_SERVER_ERROR);
        let mut out = String::new();
        latency.render(&mut out);
        assert!(out.contains("automat_http_request_duration_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(out.contains("automat_http_request_duration_seconds_bucket{le=\"0.025\"} 1\n"));
        assert!(out.contains("automat_http_request_duration_seconds_bucket{le=\"0.05\"} 2\n"));
        assert!(out.contains("automat_http_request_duration_seconds_bucket{le=\"2.5\"} 2\n"));
        assert!(out.contains("automat_http_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(out.contains("automat_http_request_duration_seconds_count 3\n"));
        assert!(out.contains("automat_http_requests_total{class=\"2xx\"} 1\n"));
        assert!(out.contains("automat_http_requests_total{class=\"4xx\"} 1\n"));
        assert!(out.contains("automat_http_requests_total{class=\"5xx\"} 1\n"));
    }
}
