//! CSV downloads streamed a page of rows at a time, so a long export never
//! holds all its rows in memory.

use axum::{
    body::{Body, Bytes},
    http::header,
    response::{IntoResponse, Response},
};
use domain::DomainError;

pub type Rows = Vec<Vec<String>>;

/// A CSV download named `filename`: the header row, then each page
/// `next_page` reads from a cursor (`first`, then the one the previous page
/// gave back; `None` ends), written as it arrives. A database error mid-way
/// ends the body early (the client sees a broken download, not a short file
/// that looks whole).
pub fn csv_stream<C, F, Fut>(filename: String, header: &[&str], first: C, next_page: F) -> Response
where
    C: Send + 'static,
    F: Fn(C) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Rows, Option<C>), DomainError>> + Send + 'static,
{
    let header = write_rows(std::iter::once(
        header.iter().map(|h| h.to_string()).collect(),
    ));
    let pages = futures::stream::try_unfold(Some(first), move |remaining| {
        let page = remaining.map(&next_page);
        async move {
            let Some(page) = page else {
                return Ok(None);
            };
            let (rows, next) = page.await.inspect_err(|e| {
                tracing::error!(error = %e, "a CSV export failed mid-way");
            })?;
            Ok::<_, DomainError>(Some((write_rows(rows), next)))
        }
    });
    let body = futures::StreamExt::chain(
        futures::stream::once(async move { Ok::<_, DomainError>(header) }),
        pages,
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Free text as a spreadsheet should show it: a cell starting with `=`, `+`,
/// `-`, `@` (or a tab or carriage return) would be taken for a formula, so it
/// gets a leading `'` (OWASP's advice against CSV injection).
pub fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Rows as CSV text (RFC 4180 quoting: a field with a comma, a quote or a
/// line break is quoted, its quotes doubled).
fn write_rows(rows: impl IntoIterator<Item = Vec<String>>) -> Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&row);
    }
    Bytes::from(writer.into_inner().unwrap_or_default())
}
