//! Customer groups through the Admin API and the dashboard.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    admin_catalog::admin_post as posted, admin_json as admin, customers::signed_up_with_id,
    on_every_db, store_carts::expect,
};

fn emails(group: &Value) -> Vec<&str> {
    group["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_operator_groups_customers() {
    on_every_db(async |app| {
        let (_, ada) = signed_up_with_id(&app, "ada@example.com").await;
        let (_, bob) = signed_up_with_id(&app, "bob@example.com").await;
        let token = app.admin_token().await;

        let created = expect(
            200,
            posted(
                &app,
                &token,
                "/admin/customer-groups",
                json!({ "name": " VIP " }),
            )
            .await,
        );
        let group = &created["customer_group"];
        assert_eq!(group["name"], "VIP");
        assert_eq!(group["customers"], json!([]));
        let id = group["id"].as_str().unwrap().to_owned();
        let members = format!("/admin/customer-groups/{id}/customers");

        let filled = expect(
            200,
            posted(&app, &token, &members, json!({ "add": [bob, ada, ada] })).await,
        );
        assert_eq!(
            emails(&filled["customer_group"]),
            ["ada@example.com", "bob@example.com"]
        );
        let unknown = posted(
            &app,
            &token,
            &members,
            json!({ "add": ["cus_missing"], "remove": [bob] }),
        )
        .await;
        let unknown = expect(404, unknown);
        assert!(
            unknown["message"].as_str().unwrap().contains("cus_missing"),
            "{unknown}"
        );
        let path = format!("/admin/customer-groups/{id}");
        let kept = expect(200, admin(&app, &token, Method::GET, &path, None).await);
        assert_eq!(
            emails(&kept["customer_group"]).len(),
            2,
            "all or nothing: {kept}"
        );

        let thinned = expect(
            200,
            posted(&app, &token, &members, json!({ "remove": [bob] })).await,
        );
        assert_eq!(emails(&thinned["customer_group"]), ["ada@example.com"]);
        let renamed = expect(
            200,
            posted(&app, &token, &path, json!({ "name": "Regulars" })).await,
        );
        assert_eq!(renamed["customer_group"]["name"], "Regulars");

        expect(
            200,
            posted(
                &app,
                &token,
                "/admin/customer-groups",
                json!({ "name": "Staff" }),
            )
            .await,
        );
        let clash = expect(
            409,
            posted(&app, &token, &path, json!({ "name": "Staff" })).await,
        );
        assert!(
            clash["message"].as_str().unwrap().contains("Staff"),
            "{clash}"
        );
        expect(
            400,
            posted(
                &app,
                &token,
                "/admin/customer-groups",
                json!({ "name": "  " }),
            )
            .await,
        );
        let listed = expect(
            200,
            admin(
                &app,
                &token,
                Method::GET,
                "/admin/customer-groups?q=reg",
                None,
            )
            .await,
        );
        assert_eq!(listed["count"], 1, "{listed}");
        assert_eq!(listed["customer_groups"][0]["id"], id.as_str());

        let deleted = expect(200, admin(&app, &token, Method::DELETE, &path, None).await);
        assert_eq!(
            deleted,
            json!({ "id": id, "object": "customer_group", "deleted": true })
        );
        expect(404, admin(&app, &token, Method::GET, &path, None).await);
        let still = expect(
            200,
            admin(
                &app,
                &token,
                Method::GET,
                &format!("/admin/customers/{ada}"),
                None,
            )
            .await,
        );
        assert_eq!(
            still["customer"]["email"], "ada@example.com",
            "the customer stays"
        );

        let document = crate::openapi::fetch_document(&app).await;
        crate::openapi::assert_documented(
            &document,
            "post",
            "/admin/customer-groups/{id}/customers",
            200,
            &filled,
        );
        crate::openapi::assert_documented(&document, "get", "/admin/customer-groups", 200, &listed);
    })
    .await;
}

#[tokio::test]
async fn the_customer_groups_page_works_without_javascript() {
    on_every_db(async |app| {
        use reqwest::header::LOCATION;
        signed_up_with_id(&app, "ada@example.com").await;
        app.sign_in().await;
        let page = "/admin/customer-groups";
        let html = app.page(page).await.text().await.unwrap();
        assert!(html.contains("No customer groups yet"), "{html}");

        let made = app
            .post_form(
                "/api/admin/customer-groups/create",
                &[("name", "Night owls")],
            )
            .await;
        assert_eq!(made.headers()[LOCATION], page);
        let token = app.admin_token().await;
        let listed = expect(
            200,
            admin(&app, &token, Method::GET, "/admin/customer-groups", None).await,
        );
        let id = listed["customer_groups"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let added = app
            .post_form(
                "/api/admin/customer-groups/add",
                &[("group_id", id.as_str()), ("email", "ADA@example.com")],
            )
            .await;
        assert_eq!(added.headers()[LOCATION], page);
        let html = app.page(page).await.text().await.unwrap();
        assert!(
            html.contains(r#"data-customer-group="Night owls""#)
                && html.contains("1: ada@example.com"),
            "{html}"
        );

        let nobody = app
            .post_form(
                "/api/admin/customer-groups/add",
                &[("group_id", id.as_str()), ("email", "nobody@example.com")],
            )
            .await;
        assert_eq!(nobody.status(), 400);
        assert!(
            nobody
                .text()
                .await
                .unwrap()
                .contains("no customer has the email")
        );

        let gone = app
            .post_form(
                "/api/admin/customer-groups/delete",
                &[("group_id", id.as_str())],
            )
            .await;
        assert_eq!(gone.headers()[LOCATION], page);
        let listed = expect(
            200,
            admin(&app, &token, Method::GET, "/admin/customer-groups", None).await,
        );
        assert_eq!(listed["count"], 0);
    })
    .await;
}
