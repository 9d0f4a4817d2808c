//! A local Meilisearch (https://www.meilisearch.com/docs/reference/api):
//! the REST API the `meilisearch-sdk` crate speaks, answered in
//! Meilisearch's own shapes — indexes, documents (add or replace, add or
//! update, delete by id, delete all), settings, stats, search (typos,
//! prefixes, synonyms, stop words, matching strategies, filters, sort,
//! facets, ranking rules, paging) and asynchronous tasks (each write is a
//! task, `enqueued` then `processing` then `succeeded` or `failed`).
//! `Authorization: Bearer <master key>` is required when a key is set.
//! Errors are `{ message, code, type, link }` with Meilisearch's codes.

mod filter;
mod search;
mod settings;
mod words;

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::{
    Faults, RecordedRequest,
    serving::{Fault, Serving},
};

#[derive(Debug, Clone)]
pub struct MeilisearchConfig {
    /// The master key clients must send; no authentication when `None`.
    pub master_key: Option<String>,
    /// How long each task spends `processing`: clients must wait for tasks.
    pub task_delay: Duration,
}

impl Default for MeilisearchConfig {
    fn default() -> Self {
        Self {
            master_key: Some("automat-meilisearch-master-key".into()),
            task_delay: Duration::from_millis(5),
        }
    }
}

/// An error answer in Meilisearch's shape.
#[derive(Debug, Clone)]
pub struct MeiliError {
    status: StatusCode,
    code: String,
    kind: &'static str,
    message: String,
}

impl MeiliError {
    pub(crate) fn bad_request(code: &str, message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: code.into(),
            kind: "invalid_request",
            message,
        }
    }

    fn index_not_found(uid: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "index_not_found".into(),
            kind: "invalid_request",
            message: format!("Index `{uid}` not found."),
        }
    }

    fn body(&self) -> Value {
        json!({
            "message": self.message,
            "code": self.code,
            "type": self.kind,
            "link": format!("https://docs.meilisearch.com/errors#{}", self.code),
        })
    }
}

impl IntoResponse for MeiliError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

type Answer = Result<Response, MeiliError>;

struct Index {
    primary_key: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    settings: settings::Settings,
    /// Documents by id, and the order they were first added in.
    documents: HashMap<String, (u64, Value)>,
    next_order: u64,
}

impl Index {
    fn new(primary_key: Option<String>) -> Self {
        let now = Utc::now();
        Self {
            primary_key,
            created_at: now,
            updated_at: now,
            settings: Default::default(),
            documents: HashMap::new(),
            next_order: 0,
        }
    }

    fn ordered(&self) -> Vec<&Value> {
        let mut all: Vec<&(u64, Value)> = self.documents.values().collect();
        all.sort_by_key(|(order, _)| *order);
        all.into_iter().map(|(_, d)| d).collect()
    }

    fn describe(&self, uid: &str) -> Value {
        json!({
            "uid": uid,
            "createdAt": time(self.created_at),
            "updatedAt": time(self.updated_at),
            "primaryKey": self.primary_key,
        })
    }
}

enum Operation {
    CreateIndex {
        primary_key: Option<String>,
    },
    DeleteIndex,
    AddDocuments {
        documents: Vec<Map<String, Value>>,
        primary_key: Option<String>,
        replace: bool,
    },
    DeleteDocuments {
        ids: Vec<String>,
    },
    DeleteAll,
    UpdateSettings(Map<String, Value>),
}

#[derive(Clone, Copy, PartialEq)]
enum Status {
    Enqueued,
    Processing,
    Succeeded,
    Failed,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Enqueued => "enqueued",
            Status::Processing => "processing",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
        }
    }
}

struct Task {
    uid: u32,
    index_uid: String,
    kind: &'static str,
    status: Status,
    details: Value,
    error: Option<Value>,
    enqueued_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    operation: Option<Operation>,
}

impl Task {
    fn to_json(&self) -> Value {
        let duration = match (self.started_at, self.finished_at) {
            (Some(start), Some(end)) => {
                let micros = (end - start).num_microseconds().unwrap_or(0).max(0);
                Value::String(format!(
                    "PT{}.{:06}S",
                    micros / 1_000_000,
                    micros % 1_000_000
                ))
            }
            _ => Value::Null,
        };
        json!({
            "uid": self.uid,
            "batchUid": if self.status == Status::Enqueued { Value::Null } else { json!(self.uid) },
            "indexUid": self.index_uid,
            "status": self.status.name(),
            "type": self.kind,
            "canceledBy": null,
            "details": self.details,
            "error": self.error,
            "duration": duration,
            "enqueuedAt": time(self.enqueued_at),
            "startedAt": self.started_at.map(time),
            "finishedAt": self.finished_at.map(time),
        })
    }

    fn summary(&self) -> Value {
        json!({
            "taskUid": self.uid,
            "indexUid": self.index_uid,
            "status": self.status.name(),
            "type": self.kind,
            "enqueuedAt": time(self.enqueued_at),
        })
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[derive(Default)]
struct Inner {
    indexes: BTreeMap<String, Index>,
    tasks: Vec<Task>,
}

struct Shared {
    inner: Mutex<Inner>,
    serving: Serving,
    config: MeilisearchConfig,
    work: tokio::sync::Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn enqueue(
        &self,
        index_uid: &str,
        kind: &'static str,
        details: Value,
        operation: Operation,
    ) -> Response {
        let mut inner = self.lock();
        let uid = inner.tasks.len() as u32;
        let task = Task {
            uid,
            index_uid: index_uid.to_owned(),
            kind,
            status: Status::Enqueued,
            details,
            error: None,
            enqueued_at: Utc::now(),
            started_at: None,
            finished_at: None,
            operation: Some(operation),
        };
        let summary = task.summary();
        inner.tasks.push(task);
        drop(inner);
        self.work.notify_one();
        (StatusCode::ACCEPTED, Json(summary)).into_response()
    }
}

/// A running stand-in; stops when dropped.
pub struct MeilisearchSimulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tasks: Arc<[tokio::task::AbortHandle; 2]>,
}

impl Drop for MeilisearchSimulator {
    fn drop(&mut self) {
        if Arc::strong_count(&self.tasks) == 1 {
            self.tasks.iter().for_each(tokio::task::AbortHandle::abort);
        }
    }
}

impl MeilisearchSimulator {
    /// `http://127.0.0.1:port` (no trailing slash, as the SDK wants it).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn master_key(&self) -> Option<String> {
        self.shared.config.master_key.clone()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.serving.requests()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.serving.set_faults(faults);
    }

    /// The documents of an index, in the order they were added.
    pub fn documents(&self, index: &str) -> Vec<Value> {
        self.shared
            .lock()
            .indexes
            .get(index)
            .map(|i| i.ordered().into_iter().cloned().collect())
            .unwrap_or_default()
    }

    /// An index's settings as `GET /indexes/{uid}/settings` shows them.
    pub fn settings(&self, index: &str) -> Option<Value> {
        self.shared
            .lock()
            .indexes
            .get(index)
            .map(|i| i.settings.to_json())
    }
}

pub async fn spawn(config: MeilisearchConfig) -> std::io::Result<MeilisearchSimulator> {
    spawn_on("127.0.0.1:0".parse().expect("a valid address"), config).await
}

pub async fn spawn_on(
    addr: SocketAddr,
    config: MeilisearchConfig,
) -> std::io::Result<MeilisearchSimulator> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner::default()),
        serving: Serving::default(),
        config,
        work: tokio::sync::Notify::new(),
    });
    let app = router(shared.clone());
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "meilisearch simulator stopped");
        }
    });
    let worker = tokio::spawn(process_tasks(shared.clone()));
    Ok(MeilisearchSimulator {
        shared,
        addr,
        tasks: Arc::new([server.abort_handle(), worker.abort_handle()]),
    })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/health",
            get(|| async { Json(json!({ "status": "available" })) }),
        )
        .route("/version", get(version))
        .route("/indexes", get(list_indexes).post(create_index))
        .route("/indexes/{uid}", get(get_index).delete(delete_index))
        .route(
            "/indexes/{uid}/settings",
            get(get_settings)
                .patch(patch_settings)
                .delete(reset_settings),
        )
        .route(
            "/indexes/{uid}/documents",
            get(list_documents)
                .post(add_replace)
                .put(add_update)
                .delete(delete_all),
        )
        .route("/indexes/{uid}/documents/delete-batch", post(delete_batch))
        .route(
            "/indexes/{uid}/documents/{id}",
            get(get_document).delete(delete_one),
        )
        .route("/indexes/{uid}/stats", get(stats))
        .route("/indexes/{uid}/search", post(search_post).get(search_get))
        .route("/tasks", get(list_tasks))
        .route("/tasks/{uid}", get(get_task))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// Authentication, injected faults, and the record of every request.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = match check_key(&shared, request.headers(), &path) {
        Err(e) => e.into_response(),
        Ok(()) => match shared.serving.take_fault() {
            Some(Fault::Fail) => MeiliError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal".into(),
                kind: "internal",
                message: "The simulator was told to fail this request.".into(),
            }
            .into_response(),
            Some(Fault::AnswerLate(ms)) => {
                let response = next.run(request).await;
                tokio::time::sleep(Duration::from_millis(ms)).await;
                response
            }
            None => next.run(request).await,
        },
    };
    shared.serving.record(RecordedRequest {
        method,
        path,
        idempotency_key: None,
        version: None,
        browser: false,
        params: Value::Null,
        status: response.status().as_u16(),
        replayed: false,
    });
    response
}

fn check_key(shared: &Shared, headers: &HeaderMap, path: &str) -> Result<(), MeiliError> {
    let Some(key) = &shared.config.master_key else {
        return Ok(());
    };
    if path == "/health" {
        return Ok(());
    }
    let Some(sent) = headers.get(header::AUTHORIZATION) else {
        return Err(MeiliError {
            status: StatusCode::UNAUTHORIZED,
            code: "missing_authorization_header".into(),
            kind: "auth",
            message:
                "The Authorization header is missing. It must use the bearer authorization method."
                    .into(),
        });
    };
    if sent.to_str().ok().and_then(|s| s.strip_prefix("Bearer ")) != Some(key.as_str()) {
        return Err(MeiliError {
            status: StatusCode::FORBIDDEN,
            code: "invalid_api_key".into(),
            kind: "auth",
            message: "The provided API key is invalid.".into(),
        });
    }
    Ok(())
}

async fn version() -> Json<Value> {
    Json(
        json!({ "commitSha": "automat-simulator", "commitDate": "2026-01-01T00:00:00Z", "pkgVersion": "1.24.0" }),
    )
}

/// A JSON body, refused in Meilisearch's words when it is not.
fn json_body(headers: &HeaderMap, body: &Bytes, code: &str) -> Result<Value, MeiliError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(MeiliError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "invalid_content_type".into(),
            kind: "invalid_request",
            message: format!(
                "The Content-Type `{content_type}` is invalid. Accepted values for the Content-Type header are: `application/json`"
            ),
        });
    }
    serde_json::from_slice(body).map_err(|e| {
        MeiliError::bad_request(
            code,
            format!("The json payload provided is malformed. `{e}`."),
        )
    })
}

fn object(value: Value, code: &str) -> Result<Map<String, Value>, MeiliError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(MeiliError::bad_request(
            code,
            format!("Invalid value type: expected an object, but found `{other}`."),
        )),
    }
}

fn valid_index_uid(uid: &str) -> Result<(), MeiliError> {
    let ok = !uid.is_empty()
        && uid.len() <= 400
        && uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(MeiliError::bad_request(
            "invalid_index_uid",
            format!(
                "`{uid}` is not a valid index uid. Index uid can be an integer or a string containing only alphanumeric characters, hyphens (-) and underscores (_), and can not be more than 400 bytes."
            ),
        ))
    }
}

#[derive(Deserialize)]
struct Paging {
    offset: Option<usize>,
    limit: Option<usize>,
}

async fn list_indexes(
    State(shared): State<Arc<Shared>>,
    Query(paging): Query<Paging>,
) -> Json<Value> {
    let inner = shared.lock();
    let offset = paging.offset.unwrap_or(0);
    let limit = paging.limit.unwrap_or(20);
    let results: Vec<Value> = inner
        .indexes
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(uid, i)| i.describe(uid))
        .collect();
    Json(
        json!({ "results": results, "offset": offset, "limit": limit, "total": inner.indexes.len() }),
    )
}

async fn create_index(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let body = object(json_body(&headers, &body, "bad_request")?, "bad_request")?;
    let uid = match body.get("uid") {
        Some(Value::String(uid)) => uid.clone(),
        _ => {
            return Err(MeiliError::bad_request(
                "missing_index_uid",
                "Missing field `uid`".into(),
            ));
        }
    };
    valid_index_uid(&uid)?;
    let primary_key = body
        .get("primaryKey")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(shared.enqueue(
        &uid,
        "indexCreation",
        json!({ "primaryKey": primary_key }),
        Operation::CreateIndex { primary_key },
    ))
}

async fn get_index(State(shared): State<Arc<Shared>>, Path(uid): Path<String>) -> Answer {
    let inner = shared.lock();
    let index = inner
        .indexes
        .get(&uid)
        .ok_or_else(|| MeiliError::index_not_found(&uid))?;
    Ok(Json(index.describe(&uid)).into_response())
}

async fn delete_index(State(shared): State<Arc<Shared>>, Path(uid): Path<String>) -> Answer {
    Ok(shared.enqueue(
        &uid,
        "indexDeletion",
        json!({ "deletedDocuments": null }),
        Operation::DeleteIndex,
    ))
}

async fn get_settings(State(shared): State<Arc<Shared>>, Path(uid): Path<String>) -> Answer {
    let inner = shared.lock();
    let index = inner
        .indexes
        .get(&uid)
        .ok_or_else(|| MeiliError::index_not_found(&uid))?;
    Ok(Json(index.settings.to_json()).into_response())
}

async fn patch_settings(
    State(shared): State<Arc<Shared>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    valid_index_uid(&uid)?;
    let body = object(json_body(&headers, &body, "bad_request")?, "bad_request")?;
    // Checked now, applied by the task (as Meilisearch does).
    settings::Settings::default().patch(&body)?;
    Ok(shared.enqueue(
        &uid,
        "settingsUpdate",
        Value::Object(body.clone()),
        Operation::UpdateSettings(body),
    ))
}

async fn reset_settings(State(shared): State<Arc<Shared>>, Path(uid): Path<String>) -> Answer {
    let all: Map<String, Value> = settings::Settings::default()
        .to_json()
        .as_object()
        .expect("an object")
        .keys()
        .map(|k| (k.clone(), Value::Null))
        .collect();
    Ok(shared.enqueue(
        &uid,
        "settingsUpdate",
        Value::Object(all.clone()),
        Operation::UpdateSettings(all),
    ))
}

#[derive(Deserialize)]
struct DocumentsParams {
    #[serde(rename = "primaryKey")]
    primary_key: Option<String>,
}

async fn add_documents(
    shared: Arc<Shared>,
    uid: String,
    params: DocumentsParams,
    headers: HeaderMap,
    body: Bytes,
    replace: bool,
) -> Answer {
    valid_index_uid(&uid)?;
    let documents = match json_body(&headers, &body, "malformed_payload")? {
        Value::Array(items) => items,
        single @ Value::Object(_) => vec![single],
        other => {
            return Err(MeiliError::bad_request(
                "malformed_payload",
                format!(
                    "The json payload provided is malformed. `expected a document or an array of documents, found {other}`."
                ),
            ));
        }
    };
    let documents = documents
        .into_iter()
        .map(|d| object(d, "malformed_payload"))
        .collect::<Result<Vec<_>, _>>()?;
    let details = json!({ "receivedDocuments": documents.len(), "indexedDocuments": null });
    Ok(shared.enqueue(
        &uid,
        "documentAdditionOrUpdate",
        details,
        Operation::AddDocuments {
            documents,
            primary_key: params.primary_key,
            replace,
        },
    ))
}

async fn add_replace(
    State(shared): State<Arc<Shared>>,
    Path(uid): Path<String>,
    Query(params): Query<DocumentsParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    add_documents(shared, uid, params, headers, body, true).await
}

async fn add_update(
    State(shared): State<Arc<Shared>>,
    Path(uid): Path<String>,
    Query(params): Query<DocumentsParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    add_documents(shared, uid, params, headers, body, false).await
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

async fn delete_batch(
    State(shared): State<Arc<Shared>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let Value::Array(items) = json_body(&headers, &body, "bad_request")? else {
        return Err(MeiliError::bad_request(
            "bad_request",
            "Invalid value type: expected an array of document ids.".into(),
        ));
    };
    let ids = items
        .iter()
        .map(|v| {
            id_text(v).ok_or_else(|| {
                MeiliError::bad_request(
                    "bad_request",
                    format!(
                        "Invalid value type at `[..]`: expected a document id, but found `{v}`."
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let details =
        json!({ "providedIds": ids.len(), "deletedDocuments": null, "originalFilter": null });
    Ok(shared.enqueue(
        &uid,
        "documentDeletion",
        details,
        Operation::DeleteDocuments { ids },
    ))
}

async fn delete_one(
    State(shared): State<Arc<Shared>>,
    Path((uid, id)): Path<(String, String)>,
) -> Answer {
    let details = json!({ "providedIds": 1, "deletedDocuments": null, "originalFilter": null });
    Ok(shared.enqueue(
        &uid,
        "documentDeletion",
        details,
        Operation::DeleteDocuments { ids: vec![id] },
    ))
}

async fn delete_all(State(shared): State<Arc<Shared>>, Path(uid): Path<String>) -> Answer {
    let details = json!({ "providedIds": 0, "deletedDocuments": null, "originalFilter": null });
    Ok(shared.enqueue(&uid, "documentDeletion", details, Operation::DeleteAll))
}

async fn list_documents(
    State(shared): State<Arc<Shared>>,
    Path(uid): Path<String>,
    Query(paging): Query<Paging>,
) -> Answer {
    let inner = shared.lock();
    let index = inner
        .indexes
        .get(&uid)
        .ok_or_else(|| MeiliError::index_not_found(&uid))?;
    let offset = paging.offset.unwrap_or(0);
    let limit = paging.limit.unwrap_or(20);
    let all = index.ordered();
    let results: Vec<&Value> = all.iter().skip(offset).take(limit).copied().collect();
    Ok(
        Json(json!({ "results": results, "offset": offset, "limit": limit, "total": all.len() }))
            .into_response(),
    )
}

async fn get_document(
    State(shared): State<Arc<Shared>>,
    Path((uid, id)): Path<(String, String)>,
) -> Answer {
    let inner = shared.lock();
    let index = inner
        .indexes
        .get(&uid)
        .ok_or_else(|| MeiliError::index_not_found(&uid))?;
    let (_, document) = index.documents.get(&id).ok_or_else(|| MeiliError {
        status: StatusCode::NOT_FOUND,
        code: "document_not_found".into(),
        kind: "invalid_request",
        message: format!("Document `{id}` not found."),
    })?;
    Ok(Json(document.clone()).into_response())
}

async fn stats(State(shared): State<Arc<Shared>>, Path(uid): Path<String>) -> Answer {
    let inner = shared.lock();
    let index = inner
        .indexes
        .get(&uid)
        .ok_or_else(|| MeiliError::index_not_found(&uid))?;
    let indexing = inner
        .tasks
        .iter()
        .any(|t| t.index_uid == uid && matches!(t.status, Status::Enqueued | Status::Processing));
    let mut fields: BTreeMap<String, usize> = BTreeMap::new();
    let mut bytes = 0;
    for (_, document) in index.documents.values() {
        bytes += document.to_string().len();
        if let Value::Object(map) = document {
            for key in map.keys() {
                *fields.entry(key.clone()).or_default() += 1;
            }
        }
    }
    let count = index.documents.len();
    Ok(Json(json!({
        "numberOfDocuments": count,
        "rawDocumentDbSize": bytes,
        "avgDocumentSize": bytes.checked_div(count).unwrap_or(0),
        "isIndexing": indexing,
        "numberOfEmbeddings": 0,
        "numberOfEmbeddedDocuments": 0,
        "fieldDistribution": fields,
    }))
    .into_response())
}

fn run_search(shared: &Shared, uid: &str, body: &Map<String, Value>) -> Answer {
    let inner = shared.lock();
    let index = inner
        .indexes
        .get(uid)
        .ok_or_else(|| MeiliError::index_not_found(uid))?;
    let found = search::search(&index.settings, &index.ordered(), body)?;
    Ok(Json(found).into_response())
}

async fn search_post(
    State(shared): State<Arc<Shared>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let body = object(json_body(&headers, &body, "bad_request")?, "bad_request")?;
    run_search(&shared, &uid, &body)
}

async fn search_get(
    State(shared): State<Arc<Shared>>,
    Path(uid): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Answer {
    // GET takes the same parameters as strings; lists are comma-separated.
    let mut body = Map::new();
    for (name, value) in params {
        let parsed = match name.as_str() {
            "offset" | "limit" | "page" | "hitsPerPage" => value
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or(Value::String(value)),
            "attributesToRetrieve" | "attributesToSearchOn" | "facets" | "sort" => Value::Array(
                value
                    .split(',')
                    .map(|s| Value::String(s.trim().to_owned()))
                    .collect(),
            ),
            "showRankingScore" => Value::Bool(value == "true"),
            _ => Value::String(value),
        };
        body.insert(name, parsed);
    }
    run_search(&shared, &uid, &body)
}

#[derive(Deserialize)]
struct TaskFilter {
    #[serde(rename = "indexUids")]
    index_uids: Option<String>,
    statuses: Option<String>,
    limit: Option<usize>,
    from: Option<u32>,
}

async fn list_tasks(
    State(shared): State<Arc<Shared>>,
    Query(filter): Query<TaskFilter>,
) -> Json<Value> {
    let inner = shared.lock();
    let limit = filter.limit.unwrap_or(20);
    let wanted = |list: &Option<String>, value: &str| {
        list.as_ref()
            .is_none_or(|l| l.split(',').any(|x| x == value || x == "*"))
    };
    let matching: Vec<&Task> = inner
        .tasks
        .iter()
        .rev()
        .filter(|t| filter.from.is_none_or(|from| t.uid <= from))
        .filter(|t| {
            wanted(&filter.index_uids, &t.index_uid) && wanted(&filter.statuses, t.status.name())
        })
        .collect();
    let results: Vec<Value> = matching.iter().take(limit).map(|t| t.to_json()).collect();
    let next = matching.get(limit).map(|t| t.uid);
    Json(
        json!({ "results": results, "total": inner.tasks.len(), "limit": limit, "from": results.first().map(|t| t["uid"].clone()), "next": next }),
    )
}

async fn get_task(State(shared): State<Arc<Shared>>, Path(uid): Path<String>) -> Answer {
    let inner = shared.lock();
    let task = uid
        .parse::<usize>()
        .ok()
        .and_then(|n| inner.tasks.get(n))
        .ok_or_else(|| MeiliError {
            status: StatusCode::NOT_FOUND,
            code: "task_not_found".into(),
            kind: "invalid_request",
            message: format!("Task `{uid}` not found."),
        })?;
    Ok(Json(task.to_json()).into_response())
}

/// Takes tasks in order: each `processing` for the configured delay, then applied.
async fn process_tasks(shared: Arc<Shared>) {
    loop {
        let next = {
            let mut inner = shared.lock();
            let found = inner
                .tasks
                .iter_mut()
                .find(|t| t.status == Status::Enqueued);
            found.map(|task| {
                task.status = Status::Processing;
                task.started_at = Some(Utc::now());
                task.uid
            })
        };
        let Some(uid) = next else {
            shared.work.notified().await;
            continue;
        };
        tokio::time::sleep(shared.config.task_delay).await;
        let mut inner = shared.lock();
        let Inner { indexes, tasks } = &mut *inner;
        let task = &mut tasks[uid as usize];
        let operation = task
            .operation
            .take()
            .expect("an enqueued task has its operation");
        match apply(indexes, &task.index_uid, operation, &mut task.details) {
            Ok(()) => task.status = Status::Succeeded,
            Err(e) => {
                task.status = Status::Failed;
                task.error = Some(e.body());
            }
        }
        task.finished_at = Some(Utc::now());
    }
}

fn valid_document_id(id: &Value) -> Result<String, MeiliError> {
    let text = id_text(id);
    match text {
        Some(s)
            if !s.is_empty()
                && s.len() <= 511
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Ok(s)
        }
        _ => Err(MeiliError::bad_request(
            "invalid_document_id",
            format!(
                "Document identifier `{id}` is invalid. A document identifier can be of type integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes."
            ),
        )),
    }
}

fn apply(
    indexes: &mut BTreeMap<String, Index>,
    uid: &str,
    operation: Operation,
    details: &mut Value,
) -> Result<(), MeiliError> {
    match operation {
        Operation::CreateIndex { primary_key } => {
            if indexes.contains_key(uid) {
                return Err(MeiliError {
                    status: StatusCode::CONFLICT,
                    code: "index_already_exists".into(),
                    kind: "invalid_request",
                    message: format!("Index `{uid}` already exists."),
                });
            }
            indexes.insert(uid.to_owned(), Index::new(primary_key));
        }
        Operation::DeleteIndex => {
            let index = indexes
                .remove(uid)
                .ok_or_else(|| MeiliError::index_not_found(uid))?;
            details["deletedDocuments"] = json!(index.documents.len());
        }
        Operation::UpdateSettings(patch) => {
            let index = indexes
                .entry(uid.to_owned())
                .or_insert_with(|| Index::new(None));
            let mut changed = index.settings.clone();
            changed.patch(&patch)?;
            index.settings = changed;
            index.updated_at = Utc::now();
        }
        Operation::AddDocuments {
            documents,
            primary_key,
            replace,
        } => {
            let index = indexes
                .entry(uid.to_owned())
                .or_insert_with(|| Index::new(None));
            let key = match (&index.primary_key, primary_key) {
                (Some(existing), Some(asked)) if *existing != asked => {
                    return Err(MeiliError::bad_request("index_primary_key_already_exists", format!("Index `{uid}`: Index already has a primary key: `{existing}`.")));
                }
                (Some(existing), _) => existing.clone(),
                (None, Some(asked)) => asked,
                (None, None) => documents
                    .first()
                    .and_then(|d| d.keys().find(|k| k.to_lowercase().ends_with("id")).cloned())
                    .ok_or_else(|| MeiliError::bad_request("index_primary_key_no_candidate_found", format!("Index `{uid}`: The primary key inference failed as the engine did not find any field ending with `id` in its name. Please specify the primary key manually using the `primaryKey` query parameter.")))?,
            };
            // The whole batch is checked before any of it is written.
            let mut checked = Vec::with_capacity(documents.len());
            for document in documents {
                let id = document.get(&key).ok_or_else(|| {
                    MeiliError::bad_request(
                        "missing_document_id",
                        format!(
                            "Document doesn't have a `{key}` attribute: `{}`.",
                            Value::Object(document.clone())
                        ),
                    )
                })?;
                checked.push((valid_document_id(id)?, document));
            }
            index.primary_key = Some(key);
            let received = checked.len();
            for (id, document) in checked {
                match index.documents.get_mut(&id) {
                    Some((_, existing)) if !replace => {
                        if let Value::Object(fields) = existing {
                            fields.extend(document);
                        }
                    }
                    Some((_, existing)) => *existing = Value::Object(document),
                    None => {
                        let order = index.next_order;
                        index.next_order += 1;
                        index.documents.insert(id, (order, Value::Object(document)));
                    }
                }
            }
            index.updated_at = Utc::now();
            details["indexedDocuments"] = json!(received);
        }
        Operation::DeleteDocuments { ids } => {
            let index = indexes
                .get_mut(uid)
                .ok_or_else(|| MeiliError::index_not_found(uid))?;
            let deleted = ids
                .iter()
                .filter(|id| index.documents.remove(*id).is_some())
                .count();
            details["deletedDocuments"] = json!(deleted);
        }
        Operation::DeleteAll => {
            let index = indexes
                .get_mut(uid)
                .ok_or_else(|| MeiliError::index_not_found(uid))?;
            details["deletedDocuments"] = json!(index.documents.len());
            index.documents.clear();
        }
    }
    Ok(())
}
