use domain::{
    DomainError,
    admin_users::{self, Email, Password},
};

use crate::on_every_backend;

#[tokio::test]
async fn admins_sign_in_with_the_right_password_only() {
    on_every_backend(async |db| {
        let email = Email::parse("Ops@Example.com").unwrap();
        let created = admin_users::create(&db, &email, &Password::parse("long enough").unwrap())
            .await
            .unwrap();
        assert!(created.password_hash.starts_with("$argon2id$"));
        let signed_in = admin_users::authenticate(&db, " ops@example.com", "long enough")
            .await
            .unwrap();
        assert_eq!(signed_in.id, created.id);
        for (email, password) in [
            ("ops@example.com", "wrong password"),
            ("nobody@example.com", "long enough"),
            ("not an email", "x"),
        ] {
            let err = admin_users::authenticate(&db, email, password)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, DomainError::Unauthorized(m) if m == "wrong email or password"),
                "{err}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn emails_are_unique_and_upsert_resets_the_password() {
    on_every_backend(async |db| {
        let email = Email::parse("ops@example.com").unwrap();
        admin_users::create(&db, &email, &Password::parse("first password").unwrap())
            .await
            .unwrap();
        let again =
            admin_users::create(&db, &email, &Password::parse("second password").unwrap()).await;
        assert!(matches!(again, Err(DomainError::Conflict(_))));
        admin_users::upsert(&db, &email, &Password::parse("second password").unwrap())
            .await
            .unwrap();
        assert!(
            admin_users::authenticate(&db, "ops@example.com", "first password")
                .await
                .is_err()
        );
        assert!(
            admin_users::authenticate(&db, "ops@example.com", "second password")
                .await
                .is_ok()
        );
        assert_eq!(admin_users::count(&db).await.unwrap(), 1);
    })
    .await;
}
