//! Promotions and campaigns through the Admin API, as Medusa's admin shapes
//! them, and what carts then get: codes within a campaign's window and
//! budget, automatic promotions without a code.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    TestApp, on_every_db,
    store_carts::{complete, expect, new_cart, pay, post, ready_cart},
};

use crate::admin_catalog::{admin_get, admin_post};
use crate::admin_json as admin;

async fn create_promotion(app: &TestApp, token: &str, body: Value) -> Value {
    expect(
        200,
        admin(app, token, Method::POST, "/admin/promotions", Some(body)).await,
    )["promotion"]
        .clone()
}

async fn create_campaign(app: &TestApp, token: &str, body: Value) -> Value {
    let path = "/admin/campaigns";
    expect(200, admin(app, token, Method::POST, path, Some(body)).await)["campaign"].clone()
}

/// POSTs `body` to an admin path; the answer, asserting 200.
async fn posted(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    expect(200, admin_post(app, token, path, body).await)
}

fn fixed_eur(code: &str, amount: f64) -> Value {
    json!({
        "code": code,
        "type": "standard",
        "status": "active",
        "application_method": {
            "type": "fixed", "target_type": "order", "allocation": "across",
            "value": amount, "currency_code": "eur",
        },
    })
}

/// Applies `code` to a new cart of four sparkling waters (6.00 EUR).
async fn apply(app: &TestApp, code: &str) -> (String, (u16, Value)) {
    let id = ready_cart(app, &[("sparkling-water", 4)]).await;
    let path = format!("/store/carts/{id}/promotions");
    let answer = post(app, &path, json!({ "promo_codes": [code] })).await;
    (id, answer)
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_campaigns_budget_and_a_promotions_status_decide_what_carts_get() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let campaign = create_campaign(
            &app,
            &token,
            json!({
                "name": "Winter warmers",
                "campaign_identifier": "WINTER-26",
                "budget": { "type": "usage", "limit": 1 },
            }),
        )
        .await;
        let campaign_id = campaign["id"].as_str().unwrap().to_owned();
        assert_eq!(campaign["budget"]["limit"], 1.0);
        assert_eq!(campaign["budget"]["used"], 0.0);

        let mut body = fixed_eur("warm250", 2.5);
        body["campaign_id"] = json!(campaign_id);
        let promotion = create_promotion(&app, &token, body).await;
        let id = promotion["id"].as_str().unwrap().to_owned();
        assert_eq!(promotion["code"], "WARM250");
        assert_eq!(promotion["status"], "active");
        assert_eq!(promotion["application_method"]["value"], 2.5);
        assert_eq!(promotion["application_method"]["currency_code"], "eur");
        assert_eq!(promotion["campaign"]["campaign_identifier"], "WINTER-26");

        let listed = admin_get(&app, &token, "/admin/promotions?q=warm").await;
        assert_eq!(listed["count"], 1, "{listed}");
        assert_eq!(listed["promotions"][0]["id"], id.as_str());
        let in_campaign = admin_get(&app, &token, &format!("/admin/campaigns/{campaign_id}")).await;
        assert_eq!(in_campaign["campaign"]["promotions"][0]["id"], id.as_str());

        // Switched off, the code is refused; switched on, it takes 2.50 off.
        let path = format!("/admin/promotions/{id}");
        let off = posted(&app, &token, &path, json!({ "status": "inactive" })).await;
        assert_eq!(off["promotion"]["status"], "inactive");
        let (_, refused) = apply(&app, "WARM250").await;
        let refused = expect(400, refused);
        assert!(message(&refused).contains("invalid"), "{refused}");
        posted(&app, &token, &path, json!({ "status": "active" })).await;
        let (cart_id, applied) = apply(&app, "warm250").await;
        let cart = expect(200, applied)["cart"].clone();
        assert_eq!(cart["discount_total"], 2.5, "{cart}");
        assert_eq!(cart["total"], 3.5);

        // The one order the budget allows uses it up.
        pay(&app, &cart_id).await;
        let order = expect(200, complete(&app, &cart_id).await)["order"].clone();
        assert_eq!(order["discount_total"], 2.5);
        let campaign = admin_get(&app, &token, &format!("/admin/campaigns/{campaign_id}")).await;
        assert_eq!(campaign["campaign"]["budget"]["used"], 1.0, "{campaign}");
        assert_eq!(campaign["campaign"]["promotions"][0]["used_count"], 1);
        let (_, spent) = apply(&app, "WARM250").await;
        let spent = expect(400, spent);
        assert!(message(&spent).contains("used up"), "{spent}");

        // A bigger budget lets it be used again.
        let raised = posted(
            &app,
            &token,
            &format!("/admin/campaigns/{campaign_id}"),
            json!({ "budget": { "limit": 5 } }),
        )
        .await;
        assert_eq!(raised["campaign"]["budget"]["limit"], 5.0);
        let (_, again) = apply(&app, "WARM250").await;
        expect(200, again);

        // Out of the campaign, deleted: gone from the list, and from carts.
        let batch = format!("/admin/campaigns/{campaign_id}/promotions");
        let emptied = posted(&app, &token, &batch, json!({ "remove": [id] })).await;
        assert_eq!(emptied["campaign"]["promotions"], json!([]));
        let deleted = expect(200, admin(&app, &token, Method::DELETE, &path, None).await);
        assert_eq!(
            deleted,
            json!({ "id": id, "object": "promotion", "deleted": true })
        );
        expect(404, admin(&app, &token, Method::GET, &path, None).await);
        let (_, gone) = apply(&app, "WARM250").await;
        expect(400, gone);
        let deleted = expect(
            200,
            admin(
                &app,
                &token,
                Method::DELETE,
                &format!("/admin/campaigns/{campaign_id}"),
                None,
            )
            .await,
        );
        assert_eq!(deleted["object"], "campaign");
    })
    .await;
}

#[tokio::test]
async fn a_campaign_outside_its_window_or_a_cart_in_another_currency_does_not_get_the_code() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        let campaign = create_campaign(
            &app,
            &token,
            json!({
                "name": "Spring", "campaign_identifier": "SPRING", "starts_at": tomorrow,
            }),
        )
        .await;
        let campaign_id = campaign["id"].as_str().unwrap();
        let mut body = fixed_eur("SPRING1", 1.0);
        body["campaign_id"] = json!(campaign_id);
        create_promotion(&app, &token, body).await;
        let (_, early) = apply(&app, "SPRING1").await;
        let early = expect(400, early);
        assert!(message(&early).contains("not valid yet"), "{early}");

        let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
        let path = format!("/admin/campaigns/{campaign_id}");
        let ended = posted(
            &app,
            &token,
            &path,
            json!({ "starts_at": null, "ends_at": yesterday }),
        )
        .await;
        assert_eq!(ended["campaign"]["starts_at"], Value::Null);
        let (_, late) = apply(&app, "SPRING1").await;
        let late = expect(400, late);
        assert!(message(&late).contains("expired"), "{late}");

        // A fixed amount in euros is no discount for a cart in dollars.
        posted(&app, &token, &path, json!({ "ends_at": null })).await;
        let (_, now_valid) = apply(&app, "SPRING1").await;
        expect(200, now_valid);
        let region = posted(
            &app,
            &token,
            "/admin/regions",
            json!({
                "name": "United States", "currency_code": "usd", "countries": ["us"],
            }),
        )
        .await["region"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let cart = new_cart(&app, json!({ "region_id": region })).await;
        let usd = post(
            &app,
            &format!("/store/carts/{}/promotions", cart["id"].as_str().unwrap()),
            json!({ "promo_codes": ["SPRING1"] }),
        )
        .await;
        let usd = expect(400, usd);
        assert!(message(&usd).contains("for carts in EUR"), "{usd}");
    })
    .await;
}

#[tokio::test]
async fn an_automatic_promotion_reaches_carts_without_a_code() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let promotion = create_promotion(&app, &token, json!({
            "code": "AUTO20",
            "is_automatic": true,
            "status": "active",
            "application_method": { "type": "percentage", "target_type": "items", "allocation": "each", "value": 20 },
        }))
        .await;
        assert_eq!(promotion["application_method"]["value"], 20.0);
        assert_eq!(promotion["application_method"]["currency_code"], Value::Null);
        let id = ready_cart(&app, &[("sparkling-water", 4)]).await;
        let cart = expect(200, crate::store_carts::get(&app, &format!("/store/carts/{id}")).await)["cart"].clone();
        assert_eq!(cart["promotions"][0]["code"], "AUTO20", "{cart}");
        assert_eq!(cart["promotions"][0]["is_automatic"], true);
        assert_eq!(cart["discount_total"], 1.2);

        // The storefront's cart shows it, without a "Remove" it could not honour.
        let shopper = app.browser();
        crate::admin_orders::add_to_cart(&app, &shopper, "sparkling-water", 1).await;
        let html = shopper
            .get(app.url("/cart"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("automatic-promotion") && html.contains("AUTO20"), "{html}");
        assert!(!html.contains(r#"value="AUTO20""#), "no remove form for it: {html}");

        pay(&app, &id).await;
        let order = expect(200, complete(&app, &id).await)["order"].clone();
        assert_eq!(order["discount_total"], 1.2);
        assert_eq!(order["promo_codes"][0], "AUTO20");

        let path = format!("/admin/promotions/{}", promotion["id"].as_str().unwrap());
        let drafted = posted(&app, &token, &path, json!({ "status": "draft" })).await;
        assert_eq!(drafted["promotion"]["used_count"], 1);
        let id = ready_cart(&app, &[("sparkling-water", 4)]).await;
        let cart = expect(200, crate::store_carts::get(&app, &format!("/store/carts/{id}")).await)["cart"].clone();
        assert_eq!(cart["promotions"], json!([]), "{cart}");
        assert_eq!(cart["discount_total"], 0.0);
    })
    .await;
}

#[tokio::test]
async fn promotions_and_campaigns_that_cannot_be_honoured_are_refused_clearly() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let refused = async |path: &str, body: Value, status: u16, says: &str| {
            let answer = expect(status, admin(&app, &token, Method::POST, path, Some(body.clone())).await);
            assert!(message(&answer).contains(says), "{body} → {answer}");
        };
        let promotions = "/admin/promotions";
        refused(promotions, json!({ "code": "X" }), 400, "application_method").await;
        let mut no_currency = fixed_eur("X", 1.0);
        no_currency["application_method"]["currency_code"] = Value::Null;
        refused(promotions, no_currency, 400, "currency_code").await;
        let mut too_much = fixed_eur("X", 1.0);
        too_much["application_method"] = json!({ "type": "percentage", "value": 150 });
        refused(promotions, too_much, 400, "100 %").await;
        let mut cents = fixed_eur("X", 1.0);
        cents["application_method"]["value"] = json!(1.005);
        refused(promotions, cents, 400, "1.005").await;
        let mut narrowed = fixed_eur("X", 1.0);
        narrowed["rules"] = json!([{ "attribute": "customer.groups.id", "operator": "in", "values": ["vip"] }]);
        refused(promotions, narrowed, 400, "rules are not supported").await;
        let mut buy_get = fixed_eur("X", 1.0);
        buy_get["type"] = json!("buyget");
        refused(promotions, buy_get, 400, "standard").await;
        let mut spaced = fixed_eur("TWO WORDS", 1.0);
        spaced["status"] = json!("draft");
        refused(promotions, spaced, 400, "without spaces").await;
        let mut lost = fixed_eur("X", 1.0);
        lost["campaign_id"] = json!("procamp_missing");
        refused(promotions, lost, 404, "procamp_missing").await;
        refused(promotions, fixed_eur("welcome10", 1.0), 409, "WELCOME10").await;
        let status = admin(&app, &token, Method::POST, promotions, Some(json!({ "code": "X", "status": "live" }))).await;
        assert_eq!(status.0, 400, "{}", status.1);

        let campaigns = "/admin/campaigns";
        refused(campaigns, json!({ "campaign_identifier": "A" }), 400, "name").await;
        refused(campaigns, json!({
            "name": "Backwards", "campaign_identifier": "B",
            "starts_at": "2027-01-02T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z",
        }), 400, "ends after it starts").await;
        refused(campaigns, json!({
            "name": "Spend", "campaign_identifier": "S", "budget": { "type": "spend", "limit": 100 },
        }), 400, "currency_code").await;
        refused(campaigns, json!({
            "name": "Zero", "campaign_identifier": "Z", "budget": { "type": "usage", "limit": 0 },
        }), 400, "positive").await;
        expect(404, admin(&app, &token, Method::GET, "/admin/campaigns/procamp_missing", None).await);
        expect(404, admin(&app, &token, Method::DELETE, "/admin/promotions/promo_missing", None).await);
        let batch = admin(&app, &token, Method::POST, "/admin/campaigns/procamp_missing/promotions", Some(json!({ "add": [] }))).await;
        assert_eq!(batch.0, 404, "{}", batch.1);

        // Nothing refused was kept.
        let listed = expect(200, admin(&app, &token, Method::GET, promotions, None).await);
        assert_eq!(listed["count"], 1, "only the demo promotion: {listed}");
        let listed = expect(200, admin(&app, &token, Method::GET, campaigns, None).await);
        assert_eq!(listed["count"], 0, "{listed}");
    })
    .await;
}

#[tokio::test]
async fn a_spend_budget_counts_the_discount_given() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let campaign = create_campaign(
            &app,
            &token,
            json!({
                "name": "Tenner", "campaign_identifier": "TENNER",
                "budget": { "type": "spend", "limit": 4, "currency_code": "eur" },
            }),
        )
        .await;
        let mut body = fixed_eur("SPEND3", 3.0);
        body["campaign_id"] = campaign["id"].clone();
        create_promotion(&app, &token, body).await;
        let (id, applied) = apply(&app, "SPEND3").await;
        expect(200, applied);
        pay(&app, &id).await;
        expect(200, complete(&app, &id).await);
        let path = format!("/admin/campaigns/{}", campaign["id"].as_str().unwrap());
        let after = admin_get(&app, &token, &path).await;
        assert_eq!(after["campaign"]["budget"]["used"], 3.0, "{after}");

        // 3.00 more would pass the 4.00 budget: the order is refused, not discounted past it.
        let (id, applied) = apply(&app, "SPEND3").await;
        expect(200, applied);
        pay(&app, &id).await;
        let (status, refused) = complete(&app, &id).await;
        assert_ne!(status, 200, "{refused}");
        assert!(refused.to_string().contains("used up"), "{refused}");
        let after = admin_get(&app, &token, &path).await;
        assert_eq!(after["campaign"]["budget"]["used"], 3.0);
    })
    .await;
}

#[tokio::test]
async fn the_promotions_page_creates_and_switches_promotions_without_javascript() {
    on_every_db(async |app| {
        use reqwest::header::LOCATION;
        app.sign_in().await;
        let html = app.page(PAGE).await.text().await.unwrap();
        assert!(
            html.contains("WELCOME10"),
            "the demo promotion is listed: {html}"
        );
        assert!(html.contains("No campaigns"), "{html}");

        let campaign = app
            .post_form(
                "/api/admin/campaigns/create",
                &[
                    ("name", "Late night"),
                    ("identifier", "LATE"),
                    ("starts_on", "2026-01-01"),
                    ("ends_on", "2099-12-31"),
                    ("budget", "spend"),
                    ("limit", "50"),
                    ("currency", "eur"),
                ],
            )
            .await;
        assert_eq!(campaign.headers()[LOCATION], PAGE);
        let token = app.admin_token().await;
        let listed = admin_get(&app, &token, "/admin/campaigns").await;
        let made = &listed["campaigns"][0];
        assert_eq!(made["budget"]["limit"], 50.0, "{listed}");
        assert_eq!(
            made["ends_at"], "2100-01-01T00:00:00Z",
            "the whole last day counts"
        );
        let campaign_id = made["id"].as_str().unwrap().to_owned();

        let form = [
            ("code", "night2"),
            ("kind", "fixed"),
            ("value", "2,00"),
            ("currency", "eur"),
            ("target", "order"),
            ("status", "draft"),
            ("usage_limit", "100"),
            ("campaign_id", campaign_id.as_str()),
        ];
        let created = app.post_form("/api/admin/promotions/create", &form).await;
        assert_eq!(created.headers()[LOCATION], PAGE);
        let html = app.page(PAGE).await.text().await.unwrap();
        assert!(html.contains(r#"data-promotion="NIGHT2""#), "{html}");
        assert!(
            html.contains("€2.00") && html.contains("Late night") && html.contains("0 of 100"),
            "{html}"
        );
        assert!(html.contains("€0.00 of €50.00 spent"), "{html}");
        let (_, draft) = apply(&app, "NIGHT2").await;
        expect(400, draft);

        let id = admin_get(&app, &token, "/admin/promotions?q=night2").await["promotions"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let switched = app
            .post_form(
                "/api/admin/promotions/status",
                &[("promotion_id", id.as_str()), ("status", "active")],
            )
            .await;
        assert_eq!(switched.headers()[LOCATION], PAGE);
        let (_, active) = apply(&app, "night2").await;
        assert_eq!(expect(200, active)["cart"]["discount_total"], 2.0);

        // A bad form is refused with the reason, and nothing is made.
        let mut bad = form;
        bad[0] = ("code", "other");
        bad[2] = ("value", "two euros");
        let refused = app.post_form("/api/admin/promotions/create", &bad).await;
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("is not a number"));
        let listed = admin_get(&app, &token, "/admin/promotions").await;
        assert_eq!(listed["count"], 2, "{listed}");

        // Nobody signed out changes a promotion.
        let stranger = app.browser();
        let denied = stranger
            .post(app.url("/api/admin/promotions/status"))
            .form(&[("promotion_id", id.as_str()), ("status", "inactive")])
            .send()
            .await
            .unwrap();
        assert!(denied.status().is_client_error(), "{}", denied.status());
    })
    .await;
}

const PAGE: &str = "/admin/promotions";

#[tokio::test]
async fn admin_promotion_answers_match_the_openapi_document() {
    let app = crate::spawn_app(crate::Options::on(testkit::DbBackend::Sqlite)).await;
    let document = crate::openapi::fetch_document(&app).await;
    let token = app.admin_token().await;
    let campaign = admin(
        &app,
        &token,
        Method::POST,
        "/admin/campaigns",
        Some(json!({
            "name": "Documented", "campaign_identifier": "DOC",
            "budget": { "type": "spend", "limit": 10, "currency_code": "eur" },
        })),
    )
    .await;
    let mut body = fixed_eur("DOC1", 1.0);
    body["campaign_id"] = campaign.1["campaign"]["id"].clone();
    let promotion = admin(&app, &token, Method::POST, "/admin/promotions", Some(body)).await;
    let list = admin(&app, &token, Method::GET, "/admin/promotions", None).await;
    let campaigns = admin(&app, &token, Method::GET, "/admin/campaigns", None).await;
    let path = format!(
        "/admin/campaigns/{}",
        campaign.1["campaign"]["id"].as_str().unwrap()
    );
    let one_campaign = admin(&app, &token, Method::GET, &path, None).await;
    for (method, route, answer) in [
        ("post", "/admin/campaigns", &campaign),
        ("post", "/admin/promotions", &promotion),
        ("get", "/admin/promotions", &list),
        ("get", "/admin/campaigns", &campaigns),
        ("get", "/admin/campaigns/{id}", &one_campaign),
    ] {
        assert_eq!(answer.0, 200, "{method} {route}: {}", answer.1);
        crate::openapi::assert_documented(&document, method, route, answer.0, &answer.1);
    }
}
