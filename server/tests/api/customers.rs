use reqwest::{Method, RequestBuilder};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};
use server::http::auth::{AppMetadata, Claims, JwtKeys};

use crate::{Options, TestApp, on_every_db, spawn_app};

pub const PASSWORD: &str = "long enough";

/// A Store API request with the publishable key and, when given, a bearer token.
pub fn store(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
    let request = app
        .client
        .request(method, app.url(path))
        .header("x-publishable-api-key", &app.publishable_key);
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

async fn send(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

pub async fn post_auth(app: &TestApp, path: &str, email: &str, password: &str) -> (u16, Value) {
    send(
        app.client
            .post(app.url(path))
            .json(&json!({ "email": email, "password": password })),
    )
    .await
}

fn assert_error(actual: (u16, Value), status: u16, kind: &str, message: &str) {
    assert_eq!(actual.0, status, "{}", actual.1);
    assert_eq!(actual.1["type"], kind, "{}", actual.1);
    assert!(
        actual.1["message"].as_str().unwrap().contains(message),
        "{}",
        actual.1
    );
}

/// Registers, creates the customer and signs in; returns the customer's token.
pub async fn signed_up(app: &TestApp, email: &str) -> String {
    let (status, body) = post_auth(app, "/auth/customer/emailpass/register", email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let registration = body["token"].as_str().unwrap().to_owned();
    let created = store(app, Method::POST, "/store/customers", Some(&registration))
        .json(&json!({ "email": email, "first_name": "Ada", "last_name": "Lovelace", "phone": "+49 30 1" }));
    let (status, body) = send(created).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_auth(app, "/auth/customer/emailpass", email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// [`signed_up`], and the customer's id.
pub async fn signed_up_with_id(app: &TestApp, email: &str) -> (String, String) {
    let token = signed_up(app, email).await;
    let (status, me) = send(store(app, Method::GET, "/store/customers/me", Some(&token))).await;
    assert_eq!(status, 200, "{me}");
    let id = me["customer"]["id"].as_str().unwrap().to_owned();
    (token, id)
}

#[tokio::test]
async fn a_customer_registers_signs_in_and_edits_the_profile() {
    on_every_db(async |app| {
        let (status, body) = post_auth(&app, "/auth/customer/emailpass/register", "Ada@Example.com", PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        let registration = body["token"].as_str().unwrap().to_owned();
        assert_error(send(store(&app, Method::GET, "/store/customers/me", Some(&registration))).await, 401, "unauthorized", "Unauthorized");

        let create = json!({ "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "phone": "+49 30 1" });
        let (status, body) = send(store(&app, Method::POST, "/store/customers", Some(&registration)).json(&create)).await;
        assert_eq!(status, 200, "{body}");
        let customer = &body["customer"];
        assert!(customer["id"].as_str().unwrap().starts_with("cus_"));
        for field in [
            "id", "email", "default_billing_address_id", "default_shipping_address_id", "company_name", "first_name",
            "last_name", "addresses", "phone", "metadata", "created_at", "updated_at", "deleted_at",
        ] {
            assert!(customer.get(field).is_some(), "StoreCustomer.{field} is missing");
        }
        assert_eq!((customer["email"].as_str(), customer["first_name"].as_str()), (Some("ada@example.com"), Some("Ada")));

        let (status, body) = post_auth(&app, "/auth/customer/emailpass", "ada@example.com", PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap().to_owned();
        let (status, me) = send(store(&app, Method::GET, "/store/customers/me", Some(&token))).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["customer"]["id"], customer["id"]);
        assert_eq!(me["customer"]["addresses"], json!([]));

        let again = send(store(&app, Method::POST, "/store/customers", Some(&token)).json(&create)).await;
        assert_error(again, 400, "invalid_data", "Request already authenticated as a customer.");

        let update = store(&app, Method::POST, "/store/customers/me", Some(&token)).json(&json!({ "last_name": "Byron" }));
        let (status, body) = send(update).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["customer"]["first_name"].as_str(), body["customer"]["last_name"].as_str()), (Some("Ada"), Some("Byron")));
        let wrong_type = store(&app, Method::POST, "/store/customers/me", Some(&token)).json(&json!({ "last_name": 7 }));
        assert_error(send(wrong_type).await, 400, "invalid_data", "last_name");
    })
    .await;
}

/// The customer's email is the registered identity's: a registration token
/// for one address cannot make a customer under another (who would then get
/// that person's order mails and own their guest orders' email).
#[tokio::test]
async fn a_customer_gets_the_registered_email_whatever_the_body_says() {
    on_every_db(async |app| {
        let register = "/auth/customer/emailpass/register";
        let (status, body) = post_auth(&app, register, "mallory@example.com", PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        let registration = body["token"].as_str().unwrap().to_owned();
        let create = |body: Value| {
            store(&app, Method::POST, "/store/customers", Some(&registration)).json(&body)
        };

        let other = create(json!({ "email": "victim@example.com", "first_name": "Mallory" }));
        assert_error(
            send(other).await,
            400,
            "invalid_data",
            "the one the account was registered with",
        );
        let found = domain::customers::customer::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        assert!(
            found.iter().all(|c| c.email != "victim@example.com"),
            "{found:?}"
        );

        let (status, body) = send(create(json!({ "first_name": "Mallory" }))).await;
        assert_eq!(status, 200, "no email stated: {body}");
        assert_eq!(body["customer"]["email"], "mallory@example.com");
    })
    .await;
    on_every_db(async |app| {
        let (status, body) = post_auth(
            &app,
            "/auth/customer/emailpass/register",
            "ada@example.com",
            PASSWORD,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let registration = body["token"].as_str().unwrap().to_owned();
        let same = store(&app, Method::POST, "/store/customers", Some(&registration))
            .json(&json!({ "email": " Ada@Example.COM " }));
        let (status, body) = send(same).await;
        assert_eq!(status, 200, "the same address, written otherwise: {body}");
        assert_eq!(body["customer"]["email"], "ada@example.com");
    })
    .await;
}

#[tokio::test]
async fn bad_registrations_and_sign_ins_are_refused_as_medusa_does() {
    on_every_db(async |app| {
        let register = "/auth/customer/emailpass/register";
        assert_error(
            post_auth(&app, register, "not an email", PASSWORD).await,
            400,
            "invalid_data",
            "is not an email address",
        );
        assert_error(
            post_auth(&app, register, "ada@example.com", "short").await,
            400,
            "invalid_data",
            "at least 8 characters",
        );
        let missing_password = send(
            app.client
                .post(app.url(register))
                .json(&json!({ "email": "ada@example.com" })),
        )
        .await;
        assert_error(missing_password, 400, "invalid_data", "password");
        signed_up(&app, "ada@example.com").await;
        assert_error(
            post_auth(&app, register, "ADA@example.com", PASSWORD).await,
            401,
            "unauthorized",
            "Identity with email already exists",
        );

        for (email, password) in [
            ("ada@example.com", "wrong password"),
            ("nobody@example.com", PASSWORD),
        ] {
            let (status, body) = post_auth(&app, "/auth/customer/emailpass", email, password).await;
            assert_eq!(
                (status, body),
                (
                    401,
                    json!({ "type": "unauthorized", "message": "Invalid email or password" })
                )
            );
        }
    })
    .await;
}

#[tokio::test]
async fn missing_forged_and_expired_tokens_are_401() {
    on_every_db(async |app| {
        let token = signed_up(&app, "ada@example.com").await;
        let (_, me) = send(store(
            &app,
            Method::GET,
            "/store/customers/me",
            Some(&token),
        ))
        .await;
        let customer_id = me["customer"]["id"].as_str().unwrap().to_owned();

        // The generated secret is kept in the database, so a restarted server
        // (which loads it again) accepts the tokens until they expire.
        let keys = JwtKeys::load(&app.db, None).await.unwrap();
        let now = chrono::Utc::now().timestamp();
        let claims = |exp: i64| Claims {
            actor_id: customer_id.clone(),
            actor_type: "customer".into(),
            auth_identity_id: "authid_x".into(),
            app_metadata: AppMetadata {
                customer_id: Some(customer_id.clone()),
            },
            iat: now - 7200,
            exp,
            generation: 0,
            auth_time: None,
        };
        let fresh = keys.encode(&claims(now + 60));
        assert_eq!(
            send(store(
                &app,
                Method::GET,
                "/store/customers/me",
                Some(&fresh)
            ))
            .await
            .0,
            200
        );

        let expired = keys.encode(&claims(now - 3600));
        let forged = JwtKeys::new("another secret").encode(&claims(now + 60));
        for token in [
            Some(expired.as_str()),
            Some(forged.as_str()),
            Some("not.a.jwt"),
            None,
        ] {
            let answer = send(store(&app, Method::GET, "/store/customers/me", token)).await;
            assert_error(answer, 401, "unauthorized", "Unauthorized");
        }
        let no_key = send(
            app.client
                .get(app.url("/store/customers/me"))
                .bearer_auth(&token),
        )
        .await;
        assert_error(no_key, 400, "not_allowed", "Publishable API key required");
    })
    .await;
}

#[tokio::test]
async fn a_token_becomes_a_session_cookie_until_signed_out() {
    on_every_db(async |app| {
        let token = signed_up(&app, "ada@example.com").await;
        let response = app
            .client
            .post(app.url("/auth/session"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("automat_session="))
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["user"]["actor_type"], "customer");
        let customer_id = body["user"]["actor_id"].as_str().unwrap().to_owned();

        // The cookie alone (the client keeps it) now identifies the customer.
        let (status, me) = send(store(&app, Method::GET, "/store/customers/me", None)).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["customer"]["id"], customer_id.as_str());

        let (status, body) = send(app.client.delete(app.url("/auth/session"))).await;
        assert_eq!((status, body), (200, json!({ "success": true })));
        assert_error(
            send(store(&app, Method::GET, "/store/customers/me", None)).await,
            401,
            "unauthorized",
            "Unauthorized",
        );
        let without_token = send(app.client.post(app.url("/auth/session"))).await;
        assert_error(without_token, 401, "unauthorized", "Unauthorized");
    })
    .await;
}

#[tokio::test]
async fn addresses_are_managed_and_private_to_their_customer() {
    on_every_db(async |app| {
        let ada = signed_up(&app, "ada@example.com").await;
        let bob = signed_up(&app, "bob@example.com").await;
        let home = json!({
            "address_name": "Home", "first_name": "Ada", "address_1": "Unter den Linden 1", "city": "Berlin",
            "country_code": "de", "postal_code": "10117", "is_default_shipping": true, "metadata": { "floor": 3 }
        });
        let (status, body) = send(store(&app, Method::POST, "/store/customers/me/addresses", Some(&ada)).json(&home)).await;
        assert_eq!(status, 200, "{body}");
        let address = body["customer"]["addresses"][0].clone();
        let address_id = address["id"].as_str().unwrap().to_owned();
        assert!(address_id.starts_with("cuaddr_"));
        assert_eq!(body["customer"]["default_shipping_address_id"], address_id.as_str());
        assert_eq!(address["metadata"], json!({ "floor": 3 }));
        for field in [
            "id", "address_name", "is_default_shipping", "is_default_billing", "customer_id", "company", "first_name",
            "last_name", "address_1", "address_2", "city", "country_code", "province", "postal_code", "phone", "metadata",
            "created_at", "updated_at",
        ] {
            assert!(address.get(field).is_some(), "StoreCustomerAddress.{field} is missing");
        }
        let wrong_type = store(&app, Method::POST, "/store/customers/me/addresses", Some(&ada)).json(&json!({ "is_default_billing": "yes" }));
        assert_error(send(wrong_type).await, 400, "invalid_data", "is_default_billing");

        let (status, list) = send(store(&app, Method::GET, "/store/customers/me/addresses?limit=10", Some(&ada))).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!((list["count"].as_u64(), list["offset"].as_u64(), list["limit"].as_u64()), (Some(1), Some(0), Some(10)));
        assert_eq!(list["addresses"][0]["id"], address_id.as_str());

        let path = format!("/store/customers/me/addresses/{address_id}");
        let (status, body) = send(store(&app, Method::GET, &path, Some(&ada))).await;
        assert_eq!((status, body["address"]["city"].as_str()), (200, Some("Berlin")));
        let (status, body) = send(store(&app, Method::POST, &path, Some(&ada)).json(&json!({ "city": "Potsdam" }))).await;
        assert_eq!((status, body["customer"]["addresses"][0]["city"].as_str()), (200, Some("Potsdam")));

        for method in [Method::GET, Method::POST, Method::DELETE] {
            let foreign = store(&app, method.clone(), &path, Some(&bob)).json(&json!({}));
            assert_error(send(foreign).await, 404, "not_found", "was not found");
        }
        let unknown = send(store(&app, Method::GET, "/store/customers/me/addresses/cuaddr_unknown", Some(&ada))).await;
        assert_error(unknown, 404, "not_found", "was not found");

        let (status, body) = send(store(&app, Method::DELETE, &path, Some(&ada))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["id"].as_str(), body["object"].as_str(), body["deleted"].as_bool()), (Some(address_id.as_str()), Some("address"), Some(true)));
        assert_eq!(body["parent"]["addresses"], json!([]));
        assert_eq!(body["parent"]["default_shipping_address_id"], Value::Null);
    })
    .await;
}

const CONFIGURED_SECRET: &str = "a configured secret, at least 32 bytes long";

#[tokio::test]
async fn a_configured_secret_signs_the_tokens_and_none_is_stored() {
    for backend in testkit::db_backends() {
        let app = spawn_app(Options {
            jwt_secret: Some(CONFIGURED_SECRET.into()),
            ..Options::on(backend)
        })
        .await;
        let token = signed_up(&app, "ada@example.com").await;
        let claims = JwtKeys::new(CONFIGURED_SECRET)
            .verify(&token)
            .expect("signed with the configured secret");
        assert!(claims.actor_id.starts_with("cus_"));
        let backend = app.db.get_database_backend();
        let stored = app
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM server_settings WHERE key = 'jwt_secret'",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.try_get::<i64>("", "n").unwrap(), 0);
    }
}
