//! Customers an admin records and edits (Medusa's `POST /admin/customers`,
//! `POST /admin/customers/{id}` and the customer's addresses), through the
//! Admin API and the customer page without JavaScript.

use reqwest::{Method, header::LOCATION};
use serde_json::json;

use crate::{
    admin_catalog::{admin_get, admin_post},
    customers::signed_up_with_id,
    on_every_db, send_json,
};

#[tokio::test]
async fn an_admin_records_a_customer_edits_them_and_keeps_their_addresses() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let (status, body) = admin_post(
            &app,
            &token,
            "/admin/customers",
            json!({ "email": "Phone.Order@Example.com", "first_name": " Grace ", "last_name": "Hopper",
                    "company_name": "Navy" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let customer = &body["customer"];
        assert_eq!(customer["email"], "phone.order@example.com");
        assert_eq!(customer["first_name"], "Grace", "trimmed");
        assert_eq!(customer["has_account"], false);
        let id = customer["id"].as_str().unwrap().to_owned();
        let this = format!("/admin/customers/{id}");

        for (bad, status) in [
            (json!({ "email": "phone.order@example.com" }), 409),
            (json!({ "email": "not an email" }), 400),
            (json!({ "first_name": "No email" }), 400),
            (json!({ "email": "x@example.com", "first_name": "x".repeat(201) }), 400),
            (json!({ "email": "y@example.com", "metadata": { "vip": true } }), 400),
            (json!({ "email": "z@example.com", "password": "secret" }), 400),
        ] {
            let (got, body) = admin_post(&app, &token, "/admin/customers", bad.clone()).await;
            assert_eq!(got, status, "{bad}: {body}");
        }

        let (status, body) = admin_post(
            &app,
            &token,
            &this,
            json!({ "phone": "+41 79 000 00 00", "company_name": "  ", "email": "phone.order@example.com" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["customer"]["phone"], "+41 79 000 00 00");
        assert!(body["customer"]["company_name"].is_null(), "blank clears: {body}");
        assert_eq!(body["customer"]["last_name"], "Hopper", "left as it was");
        let (status, body) =
            admin_post(&app, &token, &this, json!({ "email": "other@example.com" })).await;
        assert_eq!(status, 400, "the email stays: {body}");
        let (status, _) =
            admin_post(&app, &token, "/admin/customers/cus_nowhere", json!({ "phone": "1" })).await;
        assert_eq!(status, 404);

        // Groups, from the customer's side: all or nothing.
        let (status, body) =
            admin_post(&app, &token, "/admin/customer-groups", json!({ "name": "Phone orders" })).await;
        assert_eq!(status, 200, "{body}");
        let group = body["customer_group"]["id"].as_str().unwrap().to_owned();
        let groups = format!("{this}/customer-groups");
        let (status, body) =
            admin_post(&app, &token, &groups, json!({ "add": [group, "cusgroup_nowhere"] })).await;
        assert_eq!(status, 400, "{body}");
        let members = admin_get(&app, &token, &format!("/admin/customer-groups/{group}")).await;
        assert_eq!(members["customer_group"]["customers"].as_array().unwrap().len(), 0, "{members}");
        let (status, body) = admin_post(&app, &token, &groups, json!({ "add": [group] })).await;
        assert_eq!(status, 200, "{body}");
        let members = admin_get(&app, &token, &format!("/admin/customer-groups/{group}")).await;
        assert_eq!(members["customer_group"]["customers"][0]["id"], id.as_str(), "{members}");
        let (status, _) = admin_post(&app, &token, &groups, json!({ "remove": [group] })).await;
        assert_eq!(status, 200);
        let members = admin_get(&app, &token, &format!("/admin/customer-groups/{group}")).await;
        assert_eq!(members["customer_group"]["customers"].as_array().unwrap().len(), 0, "{members}");

        // Addresses.
        let addresses = format!("{this}/addresses");
        let (status, body) = admin_post(
            &app,
            &token,
            &addresses,
            json!({ "address_name": "Office", "address_1": "1 Main St", "city": "Zurich",
                    "postal_code": "8000", "country_code": "ch", "is_default_shipping": true }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let address = body["customer"]["addresses"][0]["id"].as_str().unwrap().to_owned();
        let listed = admin_get(&app, &token, &addresses).await;
        assert_eq!(listed["count"], 1, "{listed}");
        let one = format!("{addresses}/{address}");
        let (status, body) = admin_post(&app, &token, &one, json!({ "city": "Bern" })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(admin_get(&app, &token, &one).await["address"]["city"], "Bern");
        // Another customer's address is not this one's.
        let (_, other) = signed_up_with_id(&app, "someone@example.com").await;
        let (status, _) = send_json(app.admin(
            Method::GET,
            &format!("/admin/customers/{other}/addresses/{address}"),
            &token,
        ))
        .await;
        assert_eq!(status, 404);
        let (status, body) = send_json(app.admin(Method::DELETE, &one, &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["deleted"], true);
        assert_eq!(body["parent"]["id"], id.as_str());
        assert_eq!(admin_get(&app, &token, &addresses).await["count"], 0);
    })
    .await;
}

#[tokio::test]
async fn the_customer_pages_add_and_edit_without_javascript() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        app.sign_in().await;
        let html = app.page("/admin/customers").await.text().await.unwrap();
        assert!(
            html.contains(r#"action="/api/admin/customers/create""#),
            "{html}"
        );
        let created = app
            .post_form(
                "/api/admin/customers/create",
                &[
                    ("email", "walk.in@example.com"),
                    ("first_name", "Ada"),
                    ("last_name", ""),
                ],
            )
            .await;
        let page = created
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap()
            .to_owned();
        let id = page.strip_prefix("/admin/customers/").unwrap().to_owned();
        let html = app.page(&page).await.text().await.unwrap();
        assert!(html.contains("walk.in@example.com"), "{html}");
        assert!(
            html.contains(r#"action="/api/admin/customers/update""#),
            "{html}"
        );

        let saved = app
            .post_form(
                "/api/admin/customers/update",
                &[
                    ("id", &id),
                    ("first_name", "Ada"),
                    ("last_name", "Lovelace"),
                    ("phone", "555"),
                    ("company_name", ""),
                ],
            )
            .await;
        assert_eq!(
            saved.headers().get(LOCATION).and_then(|l| l.to_str().ok()),
            Some(page.as_str())
        );
        let customer = admin_get(&app, &token, &format!("/admin/customers/{id}")).await;
        assert_eq!(customer["customer"]["last_name"], "Lovelace");
        assert_eq!(customer["customer"]["phone"], "555");

        app.post_form(
            "/api/admin/customers/add-address",
            &[
                ("id", &id),
                ("address_1", "12 Analytical Row"),
                ("postal_code", "EC1"),
                ("city", "London"),
                ("country_code", "gb"),
                ("address_name", ""),
            ],
        )
        .await;
        let html = app.page(&page).await.text().await.unwrap();
        assert!(html.contains("12 Analytical Row"), "{html}");
        let address = admin_get(&app, &token, &format!("/admin/customers/{id}")).await["customer"]
            ["addresses"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.post_form(
            "/api/admin/customers/delete-address",
            &[("id", &id), ("address_id", &address)],
        )
        .await;
        let html = app.page(&page).await.text().await.unwrap();
        assert!(!html.contains("12 Analytical Row"), "{html}");

        let twice = app
            .post_form(
                "/api/admin/customers/create",
                &[
                    ("email", "walk.in@example.com"),
                    ("first_name", ""),
                    ("last_name", ""),
                ],
            )
            .await;
        assert!(
            twice
                .text()
                .await
                .unwrap()
                .contains("already has the email")
        );
    })
    .await;
}
