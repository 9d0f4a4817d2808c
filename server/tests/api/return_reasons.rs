//! Return reasons: kept by the operator through the Admin API or the
//! dashboard, listed to shoppers by the Store API.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    on_every_db,
    store_carts::{expect, get},
};

use crate::admin_json as admin;

fn values(list: &Value) -> Vec<&str> {
    list["return_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_operators_return_reasons_are_the_shoppers_choices() {
    on_every_db(async |app| {
        let store = expect(200, get(&app, "/store/return-reasons").await);
        assert_eq!(values(&store), ["damaged", "wrong_item", "expired"], "the demo's, by label: {store}");
        assert_eq!(store["count"], 3);

        let token = app.admin_token().await;
        let created = expect(200, admin(&app, &token, Method::POST, "/admin/return-reasons", Some(json!({
            "value": "melted", "label": "Melted in transit", "description": "Chocolate in summer",
        })))
        .await)["return_reason"]
            .clone();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["label"], "Melted in transit");
        assert_eq!(created["parent_return_reason_id"], Value::Null);

        let store = expect(200, get(&app, "/store/return-reasons").await);
        assert!(values(&store).contains(&"melted"), "{store}");
        let one = expect(200, get(&app, &format!("/store/return-reasons/{id}")).await);
        assert_eq!(one["return_reason"]["description"], "Chocolate in summer");
        let no_key = app.client.get(app.url("/store/return-reasons")).send().await.unwrap();
        assert_eq!(no_key.status(), 400, "the Store API wants a publishable key");

        let path = format!("/admin/return-reasons/{id}");
        let updated = expect(200, admin(&app, &token, Method::POST, &path, Some(json!({ "label": "Melted" }))).await);
        assert_eq!(updated["return_reason"]["label"], "Melted");
        assert_eq!(updated["return_reason"]["value"], "melted", "kept");
        let found = expect(200, admin(&app, &token, Method::GET, "/admin/return-reasons?q=MELT", None).await);
        assert_eq!(values(&found), ["melted"]);

        let deleted = expect(200, admin(&app, &token, Method::DELETE, &path, None).await);
        assert_eq!(deleted, json!({ "id": id, "object": "return_reason", "deleted": true }));
        expect(404, get(&app, &format!("/store/return-reasons/{id}")).await);
        expect(404, admin(&app, &token, Method::DELETE, &path, None).await);
    })
    .await;
}

#[tokio::test]
async fn return_reasons_that_cannot_be_kept_are_refused_clearly() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        for (body, status, says) in [
            (json!({ "label": "No value" }), 400, "a value and a label"),
            (json!({ "value": "novalue" }), 400, "a value and a label"),
            (
                json!({ "value": "two words", "label": "Spaces" }),
                400,
                "one word",
            ),
            (
                json!({ "value": "damaged", "label": "Again" }),
                409,
                "damaged",
            ),
            (
                json!({ "value": "child", "label": "Child", "parent_return_reason_id": "rr_1" }),
                400,
                "one level",
            ),
            (json!({ "value": 5, "label": "Number" }), 400, ""),
        ] {
            let (actual, answer) = admin(
                &app,
                &token,
                Method::POST,
                "/admin/return-reasons",
                Some(body.clone()),
            )
            .await;
            assert_eq!(actual, status, "{body} → {answer}");
            assert!(
                answer["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(says),
                "{body} → {answer}"
            );
        }
        let listed = expect(
            200,
            admin(&app, &token, Method::GET, "/admin/return-reasons", None).await,
        );
        assert_eq!(listed["count"], 3, "nothing refused was kept: {listed}");
    })
    .await;
}

#[tokio::test]
async fn the_return_reasons_page_adds_and_deletes_without_javascript() {
    on_every_db(async |app| {
        use reqwest::header::LOCATION;
        app.sign_in().await;
        let page = "/admin/return-reasons";
        let html = app.page(page).await.text().await.unwrap();
        assert!(html.contains("Arrived damaged"), "{html}");

        let added = app
            .post_form(
                "/api/admin/return-reasons/create",
                &[
                    ("value", "too_warm"),
                    ("label", "Not cold"),
                    ("description", ""),
                ],
            )
            .await;
        assert_eq!(added.headers()[LOCATION], page);
        let html = app.page(page).await.text().await.unwrap();
        assert!(
            html.contains(r#"data-return-reason="too_warm""#) && html.contains("Not cold"),
            "{html}"
        );

        let refused = app
            .post_form(
                "/api/admin/return-reasons/create",
                &[("value", "too_warm"), ("label", "Twice")],
            )
            .await;
        assert_eq!(refused.status(), 409);

        let token = app.admin_token().await;
        let listed = expect(
            200,
            admin(
                &app,
                &token,
                Method::GET,
                "/admin/return-reasons?q=too_warm",
                None,
            )
            .await,
        );
        let id = listed["return_reasons"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let removed = app
            .post_form("/api/admin/return-reasons/delete", &[("id", id.as_str())])
            .await;
        assert_eq!(removed.headers()[LOCATION], page);
        let html = app.page(page).await.text().await.unwrap();
        assert!(!html.contains("too_warm"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn return_reason_answers_match_the_openapi_document() {
    let app = crate::spawn_app(crate::Options::on(testkit::DbBackend::Sqlite)).await;
    let document = crate::openapi::fetch_document(&app).await;
    let token = app.admin_token().await;
    let created = admin(
        &app,
        &token,
        Method::POST,
        "/admin/return-reasons",
        Some(json!({ "value": "doc", "label": "Documented" })),
    )
    .await;
    let id = created.1["return_reason"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let checks = [
        ("post", "/admin/return-reasons", created),
        (
            "get",
            "/admin/return-reasons",
            admin(&app, &token, Method::GET, "/admin/return-reasons", None).await,
        ),
        (
            "get",
            "/store/return-reasons",
            get(&app, "/store/return-reasons").await,
        ),
        (
            "get",
            "/store/return-reasons/{id}",
            get(&app, &format!("/store/return-reasons/{id}")).await,
        ),
    ];
    for (method, route, answer) in &checks {
        assert_eq!(answer.0, 200, "{method} {route}: {}", answer.1);
        crate::openapi::assert_documented(&document, method, route, answer.0, &answer.1);
    }
}
