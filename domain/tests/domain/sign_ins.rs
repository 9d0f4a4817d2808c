use domain::{
    DomainError, admin_users,
    credentials::{Email, Password},
    customers::{self, Profile},
    sign_ins::{self, Account},
};

use crate::on_every_backend;

#[tokio::test]
async fn ending_an_accounts_sign_ins_moves_its_generation_on_and_no_one_elses() {
    on_every_backend(async |db| {
        let password = Password::parse("long enough").unwrap();
        let customer = customers::sign_up(
            &db,
            &Email::parse("ada@example.com").unwrap(),
            &password,
            Profile::default(),
        )
        .await
        .unwrap();
        let other = customers::sign_up(
            &db,
            &Email::parse("bob@example.com").unwrap(),
            &password,
            Profile::default(),
        )
        .await
        .unwrap();
        let identity = customers::authenticate(&db, "ada@example.com", "long enough")
            .await
            .unwrap();
        let admin = admin_users::create(&db, &Email::parse("ops@example.com").unwrap(), &password)
            .await
            .unwrap();
        let ada = Account::Customer(customer.id.clone());
        let first = Some(sign_ins::FIRST_GENERATION);
        assert_eq!(sign_ins::generation(&db, &ada).await.unwrap(), first);
        assert_eq!(
            sign_ins::generation(&db, &Account::CustomerIdentity(identity.id.clone()))
                .await
                .unwrap(),
            first
        );

        let ends = sign_ins::ends_so_far();
        sign_ins::end_all(&db, &ada).await.unwrap();
        assert!(
            sign_ins::ends_so_far() > ends,
            "this process's caches are told"
        );
        let next = Some(sign_ins::FIRST_GENERATION + 1);
        assert_eq!(sign_ins::generation(&db, &ada).await.unwrap(), next);
        assert_eq!(
            sign_ins::generation(&db, &Account::CustomerIdentity(identity.id))
                .await
                .unwrap(),
            next,
            "the customer's identity is the same account"
        );
        assert_eq!(
            sign_ins::generation(&db, &Account::Customer(other.id))
                .await
                .unwrap(),
            first
        );
        let admin_account = Account::AdminUser(admin.id);
        assert_eq!(
            sign_ins::generation(&db, &admin_account).await.unwrap(),
            first
        );
        sign_ins::end_all(&db, &admin_account).await.unwrap();
        assert_eq!(
            sign_ins::generation(&db, &admin_account).await.unwrap(),
            next
        );

        let nobody = Account::AdminUser("user_nobody".into());
        assert_eq!(sign_ins::generation(&db, &nobody).await.unwrap(), None);
        let err = sign_ins::end_all(&db, &nobody).await.unwrap_err();
        assert!(matches!(err, DomainError::NotFound { .. }), "{err}");
    })
    .await;
}
