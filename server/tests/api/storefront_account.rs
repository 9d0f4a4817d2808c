//! The storefront's account forms, posted as a browser without JavaScript would.

use reqwest::header::LOCATION;

use crate::on_every_db;

const REGISTRATION: [(&str, &str); 4] = [
    ("email", "Ada@Example.com"),
    ("password", "long enough"),
    ("first_name", "Ada"),
    ("last_name", "Lovelace"),
];

#[tokio::test]
async fn a_shopper_registers_sees_the_account_and_signs_out_and_in() {
    on_every_db(async |app| {
        let home = app.page("/").await.text().await.unwrap();
        assert!(
            home.contains(r#"href="/account/login""#) && home.contains("Sign in"),
            "signed out, the header offers a sign-in"
        );
        assert!(home.contains(r#"data-testid="cart-count""#));
        let account = app.page("/account").await;
        assert_eq!(
            account.headers().get(LOCATION).map(|v| v.to_str().unwrap()),
            Some("/account/login")
        );

        let registered = app.post_form("/api/account/register", &REGISTRATION).await;
        assert_eq!(registered.status(), 200);
        assert_eq!(registered.headers()[LOCATION], "/account");
        let page = app.page("/account").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Ada Lovelace") && html.contains("ada@example.com"),
            "{html}"
        );
        assert!(
            html.contains(r#"href="/account""#) && html.contains("Sign out"),
            "the header links to the account"
        );

        let out = app.post_form("/api/account/logout", &[]).await;
        assert_eq!(out.headers()[LOCATION], "/account/login");
        assert!(
            app.page("/account").await.headers().contains_key(LOCATION),
            "signed out again"
        );

        let wrong = app
            .post_form(
                "/api/account/login",
                &[("email", "ada@example.com"), ("password", "wrong password")],
            )
            .await;
        assert_eq!(wrong.status(), 401);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("Invalid email or password")
        );
        let signed_in = app
            .post_form(
                "/api/account/login",
                &[("email", "ada@example.com"), ("password", "long enough")],
            )
            .await;
        assert_eq!(signed_in.headers()[LOCATION], "/account");
        assert_eq!(app.page("/account").await.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn bad_registrations_are_explained() {
    on_every_db(async |app| {
        for (email, password, message) in [
            ("not an email", "long enough", "is not an email address"),
            ("ada@example.com", "short", "at least 8 characters"),
        ] {
            let response = app
                .post_form(
                    "/api/account/register",
                    &[
                        ("email", email),
                        ("password", password),
                        ("first_name", ""),
                        ("last_name", ""),
                    ],
                )
                .await;
            assert_eq!(response.status(), 400);
            assert!(response.text().await.unwrap().contains(message));
        }
        app.post_form("/api/account/register", &REGISTRATION).await;
        let again = app.post_form("/api/account/register", &REGISTRATION).await;
        assert_eq!(again.status(), 409);
        assert!(
            again
                .text()
                .await
                .unwrap()
                .contains("already has an account")
        );
        let form = app.page("/account/register").await.text().await.unwrap();
        assert!(
            form.contains(r#"name="password""#)
                && form.contains(r#"action="/api/account/register""#),
            "{form}"
        );
    })
    .await;
}
