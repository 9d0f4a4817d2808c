//! Admin roles, users and invites: every Admin API route refuses a role that
//! lacks it, in one place; owners invite (a single-use mailed link), change
//! roles, disable and delete; the dashboard follows the same rule.

use std::time::Duration;

use domain::admin_users::{self, Changes, Email, Password, Role};
use reqwest::{Method, header::LOCATION};
use serde_json::{Value, json};
use testkit::smtp::SmtpRecorder;

use crate::{ADMIN_EMAIL, Options, TestApp, eventually, on_every_db, send_json, spawn_app};

const PASSWORD: &str = "a long enough password";

/// What a technician may call, written out here apart from the server's
/// table: devices, service mode, restocking, vending sessions (read), their
/// own account.
const TECHNICIAN_MAY: &[(&str, &str)] = &[
    ("get", "/admin/users/me"),
    ("get", "/admin/api/device-events"),
    ("get", "/admin/vending/machines"),
    ("get", "/admin/vending/machines/{device_id}"),
    ("get", "/admin/vending/machines/{device_id}/qr-code"),
    ("get", "/admin/vending/machines/{device_id}/scales"),
    ("post", "/admin/vending/machines/{device_id}/service"),
    ("post", "/admin/vending/machines/{device_id}/sync"),
    ("post", "/admin/vending/scales/{scale_id}/products"),
    ("get", "/admin/vending/machines/{device_id}/par-levels"),
    ("get", "/admin/vending/pick-list"),
    ("get", "/admin/vending/sessions"),
    ("get", "/admin/vending/sessions/{id}"),
];

/// Ends the caller's token: called apart from the walk.
const SIGN_OUT_EVERYWHERE: &str = "/admin/users/me/sign-out-everywhere";
/// Needs no sign-in at all: the invite's token is the proof.
const ACCEPT: &str = "/admin/invites/accept";

/// Whether an operator is refused a route: users and invites (a region's
/// payment settings are refused by what the body changes: see
/// `only_owners_change_a_regions_payment_providers_and_capture`).
fn operator_refused(path: &str) -> bool {
    (path.starts_with("/admin/users") && !path.starts_with("/admin/users/me"))
        || path.starts_with("/admin/invites")
}

/// The id of the seeded owner.
async fn owner_id(app: &TestApp) -> String {
    admin_users::find_by_email(&app.db, &Email::parse(ADMIN_EMAIL).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

/// An admin user with `role` (made by the seeded owner), and their token.
async fn admin_with_role(app: &TestApp, email: &str, role: Role) -> (String, String) {
    let user = admin_users::create(
        &app.db,
        &Email::parse(email).unwrap(),
        &Password::parse(PASSWORD).unwrap(),
    )
    .await
    .unwrap();
    let changes = Changes {
        role: Some(role),
        ..Default::default()
    };
    admin_users::update(&app.db, &owner_id(app).await, &user.id, changes)
        .await
        .unwrap();
    (user.id, token_of(app, email, PASSWORD).await)
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    send_json(
        app.client
            .post(app.url("/auth/user/emailpass"))
            .json(&json!({ "email": email, "password": password })),
    )
    .await
}

async fn token_of(app: &TestApp, email: &str, password: &str) -> String {
    let (status, body) = sign_in(app, email, password).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// Every `(method, path)` of the Admin API, as `/openapi.json` lists it.
async fn admin_routes(app: &TestApp) -> Vec<(String, String)> {
    let document: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/admin/") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            routes.push((method.clone(), path.clone()));
        }
    }
    assert!(routes.len() > 50, "{routes:?}");
    routes
}

/// `path` with each `{param}` filled with an id that names nothing.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "nothing-here"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn call(app: &TestApp, method: &str, path: &str, token: &str) -> (u16, String) {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut request = app.admin(method.clone(), &concrete(path), token);
    if method == Method::POST {
        request = request.json(&json!({}));
    }
    let response = tokio::time::timeout(Duration::from_secs(30), request.send())
        .await
        .expect("an answer within 30 s")
        .unwrap();
    let status = response.status().as_u16();
    // An event stream the role may follow is not read to its end.
    let body = if status == 200 && path.contains("device-events") {
        String::new()
    } else {
        response.text().await.unwrap_or_default()
    };
    (status, body)
}

#[tokio::test]
async fn every_admin_route_refuses_a_role_that_lacks_it() {
    on_every_db(async |app| {
        let owner = app.admin_token().await;
        let (_, operator) = admin_with_role(&app, "operator@example.com", Role::Operator).await;
        let (_, technician) =
            admin_with_role(&app, "technician@example.com", Role::Technician).await;
        let routes = admin_routes(&app).await;
        for (method, path) in &routes {
            if path == ACCEPT {
                continue;
            }
            assert!(
                server::http::admin::access::required(
                    &Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    path
                )
                .is_some(),
                "{method} {path} has no permission in the access table"
            );
            if path == SIGN_OUT_EVERYWHERE {
                continue;
            }
            let technician_may = TECHNICIAN_MAY.contains(&(method.as_str(), path.as_str()));
            let (status, body) = call(&app, method, path, &technician).await;
            if technician_may {
                assert!(
                    status != 403 && status != 401,
                    "a technician may {method} {path}: {status} {body}"
                );
            } else {
                assert_eq!(status, 403, "a technician may not {method} {path}: {body}");
                let body: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(body["type"], "forbidden", "{body}");
                assert!(
                    body["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("an admin user with the technician role may not "),
                    "{body}"
                );
            }
            let (status, body) = call(&app, method, path, &operator).await;
            if operator_refused(path) {
                assert_eq!(status, 403, "an operator may not {method} {path}: {body}");
                assert!(body.contains("manage admin users and invites"), "{body}");
            } else {
                assert!(
                    status != 403 && status != 401,
                    "an operator may {method} {path}: {status} {body}"
                );
            }
            let (status, body) = call(&app, method, path, &owner).await;
            assert!(
                status != 403 && status != 401,
                "an owner may {method} {path}: {status} {body}"
            );
        }
        // Every role may end its own sign-ins.
        for token in [&technician, &operator] {
            let (status, _) = call(&app, "post", SIGN_OUT_EVERYWHERE, token).await;
            assert_eq!(status, 200);
        }
    })
    .await;
}

#[tokio::test]
async fn only_owners_change_a_regions_payment_providers_and_capture() {
    on_every_db(async |app| {
        let owner = app.admin_token().await;
        let (_, operator) = admin_with_role(&app, "operator@example.com", Role::Operator).await;
        let (_, regions) = send_json(
            app.client
                .get(app.url("/admin/regions"))
                .bearer_auth(&owner),
        )
        .await;
        let path = format!(
            "/admin/regions/{}",
            regions["regions"][0]["id"].as_str().unwrap()
        );
        let change = |token: &str, body: Value| {
            send_json(
                app.client
                    .post(app.url(&path))
                    .bearer_auth(token)
                    .json(&body),
            )
        };

        // An operator edits the region itself...
        let (status, body) = change(&operator, json!({ "name": "Renamed by the operator" })).await;
        assert_eq!(status, 200, "{body}");
        // ...but not its payment settings, nor half of a change that has them.
        for body in [
            json!({ "payment_providers": ["pp_system_default"] }),
            json!({ "automatic_capture": true }),
            json!({ "name": "Half", "automatic_capture": true }),
        ] {
            let (status, refused) = change(&operator, body.clone()).await;
            assert_eq!(status, 403, "{body}: {refused}");
            assert!(
                refused["message"]
                    .as_str()
                    .unwrap()
                    .contains("change payment settings"),
                "{refused}"
            );
        }
        let (_, region) = send_json(app.client.get(app.url(&path)).bearer_auth(&owner)).await;
        assert_eq!(region["region"]["name"], "Renamed by the operator");
        assert_eq!(region["region"]["automatic_capture"], false);

        let (status, body) = change(&owner, json!({ "automatic_capture": true })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["region"]["automatic_capture"], true);
    })
    .await;
}

/// The accept link of the latest invite mail to `to`.
async fn invite_link(smtp: &SmtpRecorder, to: &str, count: usize) -> reqwest::Url {
    let mails = smtp.wait_for(to, count, Duration::from_secs(15)).await;
    assert_eq!(mails.len(), count, "{mails:?}");
    let data = mails[count - 1]
        .data
        .replace("=\r\n", "")
        .replace("=3D", "=");
    assert!(
        data.contains("Subject: You are invited to the admin"),
        "{data}"
    );
    let start = data
        .find("http://shop.example.com/admin/accept-invite?")
        .expect("an accept link");
    reqwest::Url::parse(data[start..].split_whitespace().next().unwrap()).unwrap()
}

fn token_in(link: &reqwest::Url) -> String {
    link.query_pairs()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned()
}

async fn accept(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    send_json(
        app.client
            .post(app.url(&format!("{ACCEPT}?token={token}")))
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn an_invite_is_mailed_and_accepted_once_within_its_time() {
    for backend in testkit::db_backends() {
        let smtp = SmtpRecorder::start().await;
        let app = spawn_app(Options {
            smtp_url: Some(smtp.url()),
            ..Options::on(backend)
        })
        .await;
        let owner = app.admin_token().await;

        let (status, body) = send_json(
            app.admin(Method::POST, "/admin/invites", &owner)
                .json(&json!({ "email": "new@example.com", "role": "operator" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let invite = &body["invite"];
        assert_eq!(invite["email"], "new@example.com");
        assert_eq!(invite["role"], "operator");
        assert_eq!(invite["accepted"], false);
        assert!(invite.get("token").is_none(), "the token is mailed only");
        let id = invite["id"].as_str().unwrap().to_owned();

        // One open invite an email; an unknown role is refused clearly.
        let (status, body) = send_json(
            app.admin(Method::POST, "/admin/invites", &owner)
                .json(&json!({ "email": "new@example.com" })),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        let (status, body) = send_json(
            app.admin(Method::POST, "/admin/invites", &owner)
                .json(&json!({ "email": "x@example.com", "role": "admin" })),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("owner, operator, technician")
        );

        let (status, body) = send_json(app.admin(Method::GET, "/admin/invites", &owner)).await;
        assert_eq!(status, 200);
        assert_eq!(body["count"], 1, "{body}");
        assert_eq!(body["invites"][0]["id"], id.as_str());
        let (status, body) =
            send_json(app.admin(Method::GET, &format!("/admin/invites/{id}"), &owner)).await;
        assert_eq!(
            (status, body["invite"]["id"].as_str()),
            (200, Some(id.as_str()))
        );

        // Resending replaces the link: the first stops working.
        let first = token_in(&invite_link(&smtp, "new@example.com", 1).await);
        let (status, _) =
            send_json(app.admin(Method::POST, &format!("/admin/invites/{id}/resend"), &owner))
                .await;
        assert_eq!(status, 200);
        let second = token_in(&invite_link(&smtp, "new@example.com", 2).await);
        assert_ne!(first, second);
        let new_user = json!({ "first_name": "Nia", "last_name": "Ops", "password": PASSWORD });
        let (status, body) = accept(&app, &first, new_user.clone()).await;
        assert_eq!(status, 401, "{body}");

        // No password, no user.
        let (status, body) = accept(&app, &second, json!({ "first_name": "Nia" })).await;
        assert_eq!(status, 400, "{body}");

        let (status, body) = accept(&app, &second, new_user.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"]["email"], "new@example.com");
        assert_eq!(body["user"]["role"], "operator");
        assert_eq!(body["user"]["first_name"], "Nia");
        // Once only.
        let (status, body) = accept(&app, &second, new_user.clone()).await;
        assert_eq!(status, 401, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("ask an owner for a new invite")
        );

        let token = token_of(&app, "new@example.com", PASSWORD).await;
        let (status, body) = send_json(app.admin(Method::GET, "/admin/users/me", &token)).await;
        assert_eq!(
            (status, body["user"]["role"].as_str()),
            (200, Some("operator"))
        );
        let (_, body) = send_json(app.admin(Method::GET, "/admin/invites", &owner)).await;
        assert_eq!(body["invites"][0]["accepted"], true, "{body}");

        // An expired invite's link, and a withdrawn one's, are refused.
        let (_, body) = send_json(
            app.admin(Method::POST, "/admin/invites", &owner)
                .json(&json!({ "email": "late@example.com" })),
        )
        .await;
        assert_eq!(
            body["invite"]["role"], "technician",
            "the least role by default"
        );
        let late = body["invite"]["id"].as_str().unwrap().to_owned();
        let late_token = token_in(&invite_link(&smtp, "late@example.com", 1).await);
        expire(&app, &late).await;
        let (status, _) = accept(&app, &late_token, new_user.clone()).await;
        assert_eq!(status, 401);

        let (_, body) = send_json(
            app.admin(Method::POST, "/admin/invites", &owner)
                .json(&json!({ "email": "gone@example.com" })),
        )
        .await;
        let gone = body["invite"]["id"].as_str().unwrap().to_owned();
        let gone_token = token_in(&invite_link(&smtp, "gone@example.com", 1).await);
        let (status, body) =
            send_json(app.admin(Method::DELETE, &format!("/admin/invites/{gone}"), &owner)).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({ "id": gone, "object": "invite", "deleted": true })
        );
        let (status, _) = accept(&app, &gone_token, new_user).await;
        assert_eq!(status, 401);
    }
}

async fn expire(app: &TestApp, id: &str) {
    use domain::admin_users::invite;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    invite::Entity::update_many()
        .col_expr(
            invite::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(invite::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn owners_change_roles_disable_and_delete_users_but_never_lock_themselves_out() {
    on_every_db(async |app| {
        let owner = app.admin_token().await;
        let me = owner_id(&app).await;
        let (tech_id, tech_token) =
            admin_with_role(&app, "tech@example.com", Role::Technician).await;
        // The technician's dashboard session too.
        let tech_browser = app.browser();
        let signed_in = tech_browser
            .post(app.url("/api/admin/login"))
            .form(&[("email", "tech@example.com"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(
            signed_in.status().is_success() || signed_in.status().is_redirection(),
            "{}",
            signed_in.status()
        );
        let from_browser = async || {
            tech_browser
                .get(app.url("/admin/users/me"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        assert_eq!(from_browser().await, 200);

        let (status, body) =
            send_json(app.admin(Method::GET, "/admin/users?limit=1", &owner)).await;
        assert_eq!(status, 200);
        assert_eq!(
            (body["count"].as_u64(), body["limit"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(body["users"].as_array().unwrap().len(), 1);
        let (_, body) =
            send_json(app.admin(Method::GET, &format!("/admin/users/{tech_id}"), &owner)).await;
        assert_eq!(body["user"]["role"], "technician", "{body}");
        assert!(body["user"]["disabled_at"].is_null());

        // A new role counts at once.
        let (status, _) = send_json(app.admin(Method::GET, "/admin/orders", &tech_token)).await;
        assert_eq!(status, 403);
        let (status, body) = send_json(
            app.admin(Method::POST, &format!("/admin/users/{tech_id}"), &owner)
                .json(&json!({ "role": "operator", "first_name": "Tess" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (
                body["user"]["role"].as_str(),
                body["user"]["first_name"].as_str()
            ),
            (Some("operator"), Some("Tess"))
        );
        let (status, _) = send_json(app.admin(Method::GET, "/admin/orders", &tech_token)).await;
        assert_eq!(status, 200);

        // Disabled: the token and the web session stop working at once, and
        // signing in again is refused.
        let (status, body) = send_json(
            app.admin(Method::POST, &format!("/admin/users/{tech_id}"), &owner)
                .json(&json!({ "disabled": true })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["user"]["disabled_at"].is_string());
        let (status, _) = send_json(app.admin(Method::GET, "/admin/users/me", &tech_token)).await;
        assert_eq!(status, 401);
        assert_eq!(from_browser().await, 401);
        let (status, body) = sign_in(&app, "tech@example.com", PASSWORD).await;
        assert_eq!(status, 401);
        assert!(
            body["message"].as_str().unwrap().contains("disabled"),
            "{body}"
        );
        // A wrong password is not told the account is disabled.
        let (_, body) = sign_in(&app, "tech@example.com", "not the password").await;
        assert_eq!(body["message"], "wrong email or password");
        let (status, _) = send_json(
            app.admin(Method::POST, &format!("/admin/users/{tech_id}"), &owner)
                .json(&json!({ "disabled": false })),
        )
        .await;
        assert_eq!(status, 200);
        let tech_token = token_of(&app, "tech@example.com", PASSWORD).await;

        // Nobody locks themselves out: 400 with a reason.
        for body in [json!({ "disabled": true }), json!({ "role": "operator" })] {
            let (status, answer) = send_json(
                app.admin(Method::POST, &format!("/admin/users/{me}"), &owner)
                    .json(&body),
            )
            .await;
            assert_eq!(status, 400, "{answer}");
            assert!(
                answer["message"]
                    .as_str()
                    .unwrap()
                    .contains("your own role or disable yourself"),
                "{answer}"
            );
        }
        let (status, answer) =
            send_json(app.admin(Method::DELETE, &format!("/admin/users/{me}"), &owner)).await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains("cannot delete yourself")
        );
        // The last owner stays one, whoever asks: 409.
        let last = admin_users::update(
            &app.db,
            &tech_id,
            &me,
            Changes {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&last, domain::DomainError::Conflict(m) if m.contains("is the last owner")),
            "{last:?}"
        );
        let (status, answer) = send_json(
            app.admin(Method::POST, "/admin/users/nobody", &owner)
                .json(&json!({ "role": "owner" })),
        )
        .await;
        assert_eq!(status, 404, "{answer}");

        // Deleted: gone from the list, their token refused.
        let (status, body) =
            send_json(app.admin(Method::DELETE, &format!("/admin/users/{tech_id}"), &owner)).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({ "id": tech_id, "object": "user", "deleted": true })
        );
        let (status, _) = send_json(app.admin(Method::GET, "/admin/users/me", &tech_token)).await;
        assert_eq!(status, 401);
        let (_, body) = send_json(app.admin(Method::GET, "/admin/users", &owner)).await;
        assert_eq!(body["count"], 1);
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_shows_each_role_its_own_pages_and_invites_work_without_javascript() {
    on_every_db(async |app| {
        admin_with_role(&app, "tech@example.com", Role::Technician).await;
        let tech = app.browser();
        tech.post(app.url("/api/admin/login"))
            .form(&[("email", "tech@example.com"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        let page = |browser: reqwest::Client, path: &'static str| {
            let url = app.url(path);
            async move {
                let response = browser
                    .get(url)
                    .header("accept", "text/html")
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        let (status, devices) = page(tech.clone(), "/admin/devices").await;
        assert_eq!(status, 200);
        assert!(devices.contains("data-role=\"technician\""), "{devices}");
        assert!(devices.contains("href=\"/admin/vending/sessions\""));
        for hidden in [
            "href=\"/admin/orders\"",
            "href=\"/admin/users\"",
            "href=\"/admin/overview\"",
        ] {
            assert!(
                !devices.contains(hidden),
                "a technician's nav shows {hidden}"
            );
        }
        let (_, orders) = page(tech.clone(), "/admin/orders").await;
        assert!(orders.contains("may not manage the store"), "{orders}");
        let (_, users) = page(tech.clone(), "/admin/users").await;
        assert!(
            users.contains("may not manage admin users and invites"),
            "{users}"
        );
        let refused = tech
            .post(app.url("/api/admin/users/invite"))
            .header("accept", "application/json")
            .form(&[("email", "sneaky@example.com"), ("role", "owner")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
        assert_eq!(
            domain::admin_users::invites::list_page(&app.db, 0, 10)
                .await
                .unwrap()
                .count,
            0
        );

        // The owner's page lists the team; the invite form posts without JavaScript.
        app.sign_in().await;
        let (status, users) = page(app.client.clone(), "/admin/users").await;
        assert_eq!(status, 200);
        assert!(users.contains("data-testid=\"users-nav\""));
        assert!(users.contains("tech@example.com"), "{users}");
        let invited = app
            .post_form(
                "/api/admin/users/invite",
                &[("email", "friend@example.com"), ("role", "operator")],
            )
            .await;
        assert!(
            invited.status().is_success() || invited.status().is_redirection(),
            "{}",
            invited.status()
        );
        let listed = domain::admin_users::invites::list_page(&app.db, 0, 10)
            .await
            .unwrap();
        assert_eq!(listed.count, 1);
        assert_eq!(listed.items[0].role, Role::Operator);
        let (_, users) = page(app.client.clone(), "/admin/users").await;
        assert!(users.contains("friend@example.com"), "{users}");

        // The accept page: a plain form, then signed in as the new user.
        // The invite's mail issues a token as it goes out (replacing any
        // earlier one): let it go first, then issue the one used here.
        eventually(
            Duration::from_secs(15),
            "the invite mail sent",
            async || {
                domain::events::pending(&app.db)
                    .await
                    .unwrap()
                    .iter()
                    .all(|e| !e.name.starts_with("invite."))
            },
        )
        .await;
        let issued = domain::admin_users::invites::issue_token(&app.db, &listed.items[0].id)
            .await
            .unwrap()
            .unwrap();
        let newcomer = app.browser();
        let form = newcomer
            .get(app.url(&format!("/admin/accept-invite?token={}", issued.token)))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), 200);
        let form = form.text().await.unwrap();
        assert!(
            form.contains("name=\"password\"") && form.contains(&issued.token),
            "{form}"
        );
        let accepted = newcomer
            .post(app.url("/api/admin/accept-invite"))
            .header("accept", "text/html")
            .form(&[
                ("token", issued.token.as_str()),
                ("first_name", "Fay"),
                ("last_name", ""),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert!(accepted.status().is_redirection(), "{}", accepted.status());
        assert_eq!(accepted.headers()[LOCATION], "/admin/devices");
        let me = newcomer
            .get(app.url("/admin/users/me"))
            .send()
            .await
            .unwrap();
        let me: Value = me.json().await.unwrap();
        assert_eq!(me["user"]["email"], "friend@example.com");
        assert_eq!(me["user"]["role"], "operator");
    })
    .await;
}
