//! `GET /openapi.json` describes what the server serves: every `/store`,
//! `/auth` and `/admin` route the router registers (read from the router's
//! source) and no other, and real answers match their documented schemas.

use std::{collections::BTreeSet, path::Path};

use serde_json::{Value, json};

use crate::{
    TestApp, get_json, on_every_db,
    store_carts::{expect, new_cart, pay, post, ready_cart, variant},
};

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];
const PREFIXES: &[&str] = &["/store/", "/auth/", "/admin/"];

/// Route paths the router names by constant rather than literal.
fn constant_path(expression: &str) -> &'static str {
    match expression {
        "openapi::PATH" => server::http::openapi::PATH,
        "app::admin::devices::DEVICE_EVENTS_PATH" => app::admin::devices::DEVICE_EVENTS_PATH,
        other => panic!("route path {other} is neither a literal nor a known constant"),
    }
}

/// Every `(method, path)` registered with `.route(…)` under `server/src/http`.
fn registered_routes() -> BTreeSet<(String, String)> {
    let mut files = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http")];
    let mut routes = BTreeSet::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        assert!(
            !source.contains(".nest("),
            "{}: nested routers hide their paths from this test",
            path.display()
        );
        routes.extend(routes_in(&source));
    }
    routes
}

fn routes_in(source: &str) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        let args = &rest[at + ".route(".len()..];
        let mut depth = 1;
        let end = args
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map(|(i, _)| i)
            .expect("a closed .route( call");
        let (path_arg, handlers) = args[..end].split_once(',').expect("path, handlers");
        let path_arg = path_arg.trim();
        let path = match path_arg.strip_prefix('"') {
            Some(literal) => literal.trim_end_matches('"').to_owned(),
            None => constant_path(path_arg).to_owned(),
        };
        for method in METHODS {
            let call = format!("{method}(");
            let registered = handlers.match_indices(&call).any(|(i, _)| {
                handlers[..i]
                    .chars()
                    .last()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
            });
            if registered {
                routes.push(((*method).to_owned(), path.clone()));
            }
        }
        rest = &args[end..];
    }
    routes
}

fn documented_routes(document: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            routes.insert((method.clone(), path.clone()));
        }
    }
    routes
}

/// Every `$ref` in `value` names a schema of the document.
fn check_references(document: &Value, value: &Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let name = target
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("unexpected $ref {target}"));
                assert!(
                    document["components"]["schemas"].get(name).is_some(),
                    "$ref to a missing schema {name}"
                );
            }
            map.values().for_each(|v| check_references(document, v));
        }
        Value::Array(items) => items.iter().for_each(|v| check_references(document, v)),
        _ => {}
    }
}

/// Where `value` departs from `schema` (a subset of JSON Schema: `$ref`,
/// `anyOf`/`oneOf`, `const`, `type`, `required`, `properties`, `items`).
/// Stricter than the document promises: a property the schema does not
/// name is reported too, so the document cannot fall behind the code.
fn mismatches(document: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(target) = schema["$ref"].as_str() {
        let name = target.trim_start_matches("#/components/schemas/");
        return mismatches(
            document,
            &document["components"]["schemas"][name],
            value,
            at,
        );
    }
    for combinator in ["anyOf", "oneOf"] {
        if let Some(choices) = schema[combinator].as_array() {
            let fits = choices
                .iter()
                .any(|choice| mismatches(document, choice, value, at).is_empty());
            return if fits {
                vec![]
            } else {
                vec![format!("{at}: fits none of {combinator}: {value}")]
            };
        }
    }
    if let Some(constant) = schema.get("const") {
        return if constant == value {
            vec![]
        } else {
            vec![format!("{at}: {value} is not {constant}")]
        };
    }
    let Some(kind) = schema["type"].as_str() else {
        return vec![];
    };
    let fits = match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("{at}: unknown type {other}"),
    };
    if !fits {
        return vec![format!("{at}: {value} is not {kind}")];
    }
    let mut found = Vec::new();
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, item) in values.iter().enumerate() {
            found.extend(mismatches(document, items, item, &format!("{at}[{i}]")));
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !object.contains_key(name) {
                found.push(format!("{at}.{name}: required but missing"));
            }
        }
        for (name, property) in object {
            match properties.get(name) {
                Some(schema) => found.extend(mismatches(
                    document,
                    schema,
                    property,
                    &format!("{at}.{name}"),
                )),
                None => found.push(format!("{at}.{name}: not in the document")),
            }
        }
    }
    found
}

/// Asserts that `body` is what the document says `method path` answers.
pub fn assert_documented(document: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let operation = &document["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is documented");
    let response = if status == 200 { "200" } else { "default" };
    let schema = &operation["responses"][response]["content"]["application/json"]["schema"];
    let found = mismatches(document, schema, body, "body");
    assert!(
        found.is_empty(),
        "{method} {path} ({status}) departs from the document:\n{}",
        found.join("\n")
    );
}

pub async fn fetch_document(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.expect("the document is JSON")
}

#[tokio::test]
async fn the_document_lists_every_route_the_router_registers() {
    let app = crate::spawn_app(crate::Options::on(testkit::DbBackend::Sqlite)).await;
    let document = fetch_document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["info"]["title"].is_string());
    assert!(document["info"]["version"].is_string());
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} documents its success"
            );
            assert!(operation["summary"].is_string(), "{method} {path}");
            let placeholders = path.matches('{').count();
            let parameters = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "path")
                .count();
            assert_eq!(placeholders, parameters, "{method} {path}: path parameters");
        }
    }
    check_references(&document, &document);

    let registered: BTreeSet<_> = registered_routes()
        .into_iter()
        .filter(|(_, path)| PREFIXES.iter().any(|p| path.starts_with(p)))
        .collect();
    assert!(registered.len() > 100, "the router's routes were found");
    let documented = documented_routes(&document);
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    let gone: Vec<_> = documented.difference(&registered).collect();
    assert!(
        gone.is_empty(),
        "documented routes the router lacks: {gone:?}"
    );
}

#[tokio::test]
async fn store_answers_match_their_schemas() {
    on_every_db(async |app| {
        let document = fetch_document(&app).await;
        let key = Some(app.publishable_key.as_str());
        let check = |method: &str, path: &str, (status, body): &(u16, Value)| {
            assert_documented(&document, method, path, *status, body);
        };

        let products = get_json(&app, "/store/products?limit=5", key).await;
        assert_eq!(products.0, 200);
        check("get", "/store/products", &products);
        let region = get_json(&app, "/store/regions", key).await;
        check("get", "/store/regions", &region);
        let region_id = region.1["regions"][0]["id"].as_str().unwrap().to_owned();
        let priced = get_json(
            &app,
            &format!(
                "/store/products/apple?region_id={region_id}&fields=%2Bvariants.inventory_quantity"
            ),
            key,
        )
        .await;
        assert!(
            priced.1["product"]["variants"][0]["calculated_price"].is_object(),
            "{}",
            priced.1
        );
        check("get", "/store/products/{id}", &priced);
        check(
            "get",
            "/store/regions/{id}",
            &get_json(&app, &format!("/store/regions/{region_id}"), key).await,
        );
        check(
            "get",
            "/store/product-categories",
            &get_json(&app, "/store/product-categories", key).await,
        );
        check(
            "get",
            "/store/collections",
            &get_json(&app, "/store/collections", key).await,
        );

        let cart = new_cart(&app, json!({ "email": "shopper@example.com" })).await;
        check("post", "/store/carts", &(200, json!({ "cart": cart })));
        let id = cart["id"].as_str().unwrap().to_owned();
        let apple = variant(&app, "apple").await;
        let added = post(
            &app,
            &format!("/store/carts/{id}/line-items"),
            json!({ "variant_id": apple, "quantity": 2 }),
        )
        .await;
        assert_eq!(added.0, 200);
        check("post", "/store/carts/{id}/line-items", &added);
        let options = get_json(&app, &format!("/store/shipping-options?cart_id={id}"), key).await;
        check("get", "/store/shipping-options", &options);
        let collection = post(&app, "/store/payment-collections", json!({ "cart_id": id })).await;
        check("post", "/store/payment-collections", &collection);

        let ready = ready_cart(&app, &[("apple", 1)]).await;
        pay(&app, &ready).await;
        check(
            "get",
            "/store/carts/{id}",
            &get_json(&app, &format!("/store/carts/{ready}"), key).await,
        );
        let placed = post(&app, &format!("/store/carts/{ready}/complete"), json!({})).await;
        assert_eq!(placed.1["type"], "order", "{}", placed.1);
        check("post", "/store/carts/{id}/complete", &placed);
        let order_id = placed.1["order"]["id"].as_str().unwrap();
        check(
            "get",
            "/store/orders/{id}",
            &get_json(&app, &format!("/store/orders/{order_id}"), key).await,
        );

        let missing = get_json(&app, "/store/products/no-such-product", key).await;
        assert_eq!(missing.0, 404);
        check("get", "/store/products/{id}", &missing);
        let token = expect(
            200,
            crate::send_json(
                app.client
                    .post(app.url("/auth/customer/emailpass/register"))
                    .json(&json!({ "email": "openapi@example.com", "password": "long enough" })),
            )
            .await,
        );
        check(
            "post",
            "/auth/customer/emailpass/register",
            &(200, token.clone()),
        );
        let customer = crate::send_json(
            crate::customers::store(
                &app,
                reqwest::Method::POST,
                "/store/customers",
                token["token"].as_str(),
            )
            .json(&json!({ "email": "openapi@example.com" })),
        )
        .await;
        assert_eq!(customer.0, 200, "{}", customer.1);
        check("post", "/store/customers", &customer);
    })
    .await;
}
