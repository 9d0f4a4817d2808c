use domain::{
    DomainError,
    credentials::{Email, Password},
    customers::{self, AddressFields, Profile},
    settings,
};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::on_every_backend;

async fn registered_customer(
    db: &domain::db::DatabaseConnection,
    email: &str,
) -> customers::customer::Model {
    let email = Email::parse(email).unwrap();
    let identity = customers::register(db, &email, &Password::parse("long enough").unwrap())
        .await
        .unwrap();
    let profile = Profile {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        ..Default::default()
    };
    customers::create_for_identity(db, &identity.id, Some(&email), profile)
        .await
        .unwrap()
}

#[tokio::test]
async fn registration_then_customer_then_sign_in() {
    on_every_backend(async |db| {
        let email = Email::parse("Ada@Example.com").unwrap();
        let identity = customers::register(&db, &email, &Password::parse("long enough").unwrap()).await.unwrap();
        assert!(identity.password_hash.starts_with("$argon2id$"));
        assert_eq!(identity.customer_id, None);
        let again = customers::register(&db, &email, &Password::parse("other password").unwrap()).await;
        assert!(matches!(&again, Err(DomainError::Conflict(m)) if m == "Identity with email already exists"), "{again:?}");

        let customer = customers::create_for_identity(&db, &identity.id, Some(&email), Profile::default()).await.unwrap();
        assert!(customer.id.starts_with("cus_") && customer.has_account);
        assert_eq!(customer.email, "ada@example.com");
        let twice = customers::create_for_identity(&db, &identity.id, Some(&email), Profile::default()).await;
        assert!(matches!(twice, Err(DomainError::Invalid(_))));

        let signed_in = customers::authenticate(&db, " ADA@example.com", "long enough").await.unwrap();
        assert_eq!(signed_in.customer_id.as_deref(), Some(customer.id.as_str()));
        for (email, password) in [("ada@example.com", "wrong password"), ("nobody@example.com", "long enough"), ("no email", "x")] {
            let err = customers::authenticate(&db, email, password).await.unwrap_err();
            assert!(matches!(&err, DomainError::Unauthorized(m) if m == "Invalid email or password"), "{err}");
        }
    })
    .await;
}

#[tokio::test]
async fn profile_updates_keep_what_is_not_given() {
    on_every_backend(async |db| {
        let customer = registered_customer(&db, "ada@example.com").await;
        let updated = customers::update_profile(
            &db,
            &customer.id,
            Profile {
                phone: Some("+49 30 1234".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(updated.customer.phone.as_deref(), Some("+49 30 1234"));
        assert_eq!(updated.customer.first_name.as_deref(), Some("Ada"));
        assert!(matches!(
            customers::retrieve(&db, "cus_missing").await,
            Err(DomainError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn addresses_belong_to_one_customer_and_one_default_each() {
    on_every_backend(async |db| {
        let ada = registered_customer(&db, "ada@example.com").await;
        let bob = registered_customer(&db, "bob@example.com").await;
        let home = AddressFields {
            address_name: Some("Home".into()),
            city: Some("Berlin".into()),
            country_code: Some("DE".into()),
            is_default_shipping: Some(true),
            metadata: Some(serde_json::json!({"floor": 3})),
            ..Default::default()
        };
        let first = customers::add_address(&db, &ada.id, home.clone())
            .await
            .unwrap();
        assert!(first.id.starts_with("cuaddr_"));
        assert_eq!(first.country_code.as_deref(), Some("de"));
        assert_eq!(first.metadata, Some(serde_json::json!({"floor": 3})));
        let second = customers::add_address(&db, &ada.id, home).await.unwrap();

        let ada_now = customers::retrieve(&db, &ada.id).await.unwrap();
        assert_eq!(
            ada_now.default_shipping_address_id(),
            Some(second.id.as_str())
        );
        assert_eq!(ada_now.default_billing_address_id(), None);

        let renamed = customers::update_address(
            &db,
            &ada.id,
            &first.id,
            AddressFields {
                city: Some("Bonn".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (renamed.city.as_deref(), renamed.address_name.as_deref()),
            (Some("Bonn"), Some("Home"))
        );

        let (page, count) = customers::list_addresses(&db, &ada.id, 1, 10)
            .await
            .unwrap();
        assert_eq!((page.len(), count), (1, 2));
        assert_eq!(page[0].id, second.id);

        for foreign in [
            customers::find_address(&db, &bob.id, &first.id)
                .await
                .map(|_| ()),
            customers::update_address(&db, &bob.id, &first.id, AddressFields::default())
                .await
                .map(|_| ()),
            customers::delete_address(&db, &bob.id, &first.id).await,
        ] {
            assert!(
                matches!(foreign, Err(DomainError::NotFound { .. })),
                "{foreign:?}"
            );
        }
        customers::delete_address(&db, &ada.id, &first.id)
            .await
            .unwrap();
        assert_eq!(
            customers::list_addresses(&db, &ada.id, 0, 10)
                .await
                .unwrap()
                .1,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_stored_setting_is_generated_once() {
    on_every_backend(async |db| {
        let first = settings::get_or_insert_with(&db, "jwt_secret", || "one".into())
            .await
            .unwrap();
        let second = settings::get_or_insert_with(&db, "jwt_secret", || "two".into())
            .await
            .unwrap();
        assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
    })
    .await;
}

#[tokio::test]
async fn sign_up_registers_and_creates_the_customer_or_nothing() {
    on_every_backend(async |db| {
        let email = Email::parse("ada@example.com").unwrap();
        let password = Password::parse("long enough").unwrap();
        let customer = customers::sign_up(&db, &email, &password, Profile::default())
            .await
            .unwrap();
        let identity = customers::authenticate(&db, "ada@example.com", "long enough")
            .await
            .unwrap();
        assert_eq!(identity.customer_id, Some(customer.id));
        let again = customers::sign_up(&db, &email, &password, Profile::default()).await;
        assert!(matches!(again, Err(DomainError::Conflict(_))));
        assert_eq!(
            customers::customer::Entity::find()
                .count(&db)
                .await
                .unwrap(),
            1,
            "the failed sign-up left no customer"
        );
    })
    .await;
}
