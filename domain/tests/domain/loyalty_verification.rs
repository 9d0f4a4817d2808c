//! Loyalty points belong to their member: a phone number alone shows the
//! member masked and earns; the balance, rewards that cost points and
//! account links need the phone proved by a code texted to it.

use std::sync::{Arc, atomic::Ordering};

use domain::{
    DomainError,
    events::{self, Dispatcher},
    loyalty::{self, LoyaltyError, finalize::FinalizeOnOrderPlaced, phone_code, verification},
};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use serde_json::json;

use crate::{
    loyalty::{PHONE, PHONE_E164, another_cart, cart, register, texting, verify_by_sms},
    on_every_backend,
};

fn refusal(outcome: Result<loyalty::SessionDetail, LoyaltyError>) -> String {
    match outcome {
        Err(LoyaltyError::Domain(DomainError::Invalid(message))) => message,
        other => panic!("expected a refused code, got {other:?}"),
    }
}

/// Moves every code's clock back by `seconds` (the throttle and the
/// lifetime, without waiting them out).
async fn codes_older_by(db: &DatabaseConnection, seconds: i64) {
    let codes = phone_code::Entity::find().all(db).await.unwrap();
    for code in codes {
        use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
        let shift = chrono::Duration::seconds(seconds);
        let mut older = code.clone().into_active_model();
        older.created_at = Set(code.created_at - shift);
        older.expires_at = Set(code.expires_at - shift);
        older.update(db).await.unwrap();
    }
}

#[tokio::test]
async fn a_phone_alone_shows_the_member_masked_and_earns_but_never_tells_or_spends_the_balance() {
    on_every_backend(async |db| {
        let (host, sms, loyalty) = texting(&db).await;
        let cart_id = cart(&db).await;
        let identified = loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        assert_eq!(identified.session.member_id, "****5678", "masked");
        assert!(!identified.verified);
        assert_eq!(identified.points_balance, None, "the balance is not told");

        let calculated = loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        let shown: Vec<&str> = calculated
            .rewards
            .iter()
            .map(|r| r.reward_id.as_str())
            .collect();
        assert_eq!(
            shown,
            ["line-50"],
            "rewards that cost points are not shown: they would tell the balance"
        );
        assert_eq!(
            calculated.discount_total, 50,
            "the free instant reward applies"
        );
        assert_eq!(calculated.points_earnable, 7);
        assert_eq!(calculated.points_balance, None);

        let refused = loyalty::select_reward(&db, &cart_id, "ticket-80", true).await;
        match refused {
            Err(DomainError::NotAllowed(message)) => {
                assert!(message.contains("phone must be verified"), "{message}")
            }
            other => panic!("redeeming without proof must be refused: {other:?}"),
        }
        assert_eq!(
            domain::carts::get_cart(&db, &cart_id)
                .await
                .unwrap()
                .totals
                .discount_total,
            50
        );

        // The order earns points, and redeems nothing that costs them.
        let dispatcher = Dispatcher::new(
            db.clone(),
            vec![Arc::new(FinalizeOnOrderPlaced::new(
                db.clone(),
                loyalty.clone(),
            ))],
        );
        events::emit(
            &db,
            domain::orders::ORDER_PLACED,
            &json!({"id": "order_1", "cart_id": cart_id}),
        )
        .await
        .unwrap();
        assert_eq!(dispatcher.run_once(10).await.unwrap(), 1);
        let finalized = host.finalized.lock().unwrap().clone();
        assert_eq!(finalized[0].1, ["line-50"]);
        let done = loyalty::session_for_cart(&db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.session.points_earned, Some(7), "earned");
        assert_eq!(done.points_balance, None);
        assert!(sms.sent.lock().unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_instant_reward_that_costs_points_waits_for_the_phone() {
    on_every_backend(async |db| {
        let (host, sms, loyalty) = texting(&db).await;
        host.costly_instant.store(true, Ordering::SeqCst);
        let cart_id = cart(&db).await;
        loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        let unproved = loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        assert_eq!(
            unproved.discount_total, 50,
            "not the 30 that costs 40 points"
        );
        assert_eq!(
            domain::carts::get_cart(&db, &cart_id)
                .await
                .unwrap()
                .totals
                .discount_total,
            50
        );
        verify_by_sms(&db, &loyalty, &sms, &cart_id).await;
        let proved = loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        assert_eq!(
            proved.discount_total, 80,
            "applied once the phone is proved"
        );
    })
    .await;
}

#[tokio::test]
async fn the_code_texted_to_the_phone_lets_the_cart_redeem_once() {
    on_every_backend(async |db| {
        let (_, sms, loyalty) = texting(&db).await;
        let cart_id = cart(&db).await;
        loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        assert!(
            matches!(
                loyalty.verify_cart(&db, &cart_id, "123456", None).await,
                Err(LoyaltyError::Domain(DomainError::Invalid(_)))
            ),
            "no code was sent yet"
        );

        let sent = loyalty.send_cart_code(&db, &cart_id).await.unwrap();
        assert_eq!(sent.phone_ending, "01");
        let messages = sms.sent.lock().unwrap().clone();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].0, PHONE_E164);
        let code = sms.last_code();
        let stored = phone_code::Entity::find().all(&db).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert!(!stored[0].code_hash.contains(&code), "stored as a tag");
        assert_eq!(
            stored[0].expires_at - stored[0].created_at,
            verification::CODE_LIFETIME
        );
        let pending = loyalty::session_for_cart(&db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            pending.code_sent.map(|c| c.phone_ending).as_deref(),
            Some("01")
        );

        let verified = loyalty
            .verify_cart(&db, &cart_id, &format!(" {code} "), None)
            .await
            .unwrap();
        assert!(verified.verified);
        assert_eq!(verified.points_balance, Some(100));
        assert!(verified.code_sent.is_none());
        let calculated = loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        assert_eq!(calculated.rewards.len(), 3, "now every reward shows");
        let chosen = loyalty::select_reward(&db, &cart_id, "ticket-80", true)
            .await
            .unwrap();
        assert_eq!(chosen.discount_total, 130);

        let again = refusal(loyalty.verify_cart(&db, &cart_id, &code, None).await);
        assert!(again.contains("already used"), "{again}");
        assert!(
            loyalty::linked_membership(&db, "cus_nobody")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_codes_burn_the_code_expired_codes_are_refused_and_resends_are_throttled() {
    on_every_backend(async |db| {
        let (_, sms, loyalty) = texting(&db).await;
        let cart_id = cart(&db).await;
        loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        loyalty.send_cart_code(&db, &cart_id).await.unwrap();
        let code = sms.last_code();
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for left in (0..verification::MAX_ATTEMPTS).rev() {
            let message = refusal(loyalty.verify_cart(&db, &cart_id, wrong, None).await);
            if left > 0 {
                assert!(message.contains(&format!("{left} tries left")), "{message}");
            } else {
                assert!(message.contains("last try"), "{message}");
            }
        }
        let burned = refusal(loyalty.verify_cart(&db, &cart_id, &code, None).await);
        assert!(burned.contains("too many times"), "{burned}");
        let session = loyalty::session_for_cart(&db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        assert!(!session.verified);
        assert!(
            session.code_sent.is_none(),
            "the burned code is gone from view"
        );
        assert!(matches!(
            loyalty.verify_cart(&db, &cart_id, "12ab56", None).await,
            Err(LoyaltyError::Domain(DomainError::Invalid(_)))
        ));

        // Asked again at once: throttled.
        match loyalty.send_cart_code(&db, &cart_id).await {
            Err(LoyaltyError::Domain(DomainError::TooManyRequests {
                retry_after_secs, ..
            })) => assert!((1..=60).contains(&retry_after_secs)),
            other => panic!("a resend within the minute must wait: {other:?}"),
        }
        codes_older_by(&db, 61).await;
        loyalty.send_cart_code(&db, &cart_id).await.unwrap();
        let fresh = sms.last_code();
        // Past its lifetime, the right code is refused.
        codes_older_by(&db, verification::CODE_LIFETIME.num_seconds() + 1).await;
        let expired = refusal(loyalty.verify_cart(&db, &cart_id, &fresh, None).await);
        assert!(expired.contains("expired"), "{expired}");

        // A phone gets a few codes an hour, however they are asked for.
        // Two sent so far; two more here, the fifth for the same phone written otherwise.
        for _ in 3..verification::MAX_CODES_PER_HOUR {
            loyalty.send_cart_code(&db, &cart_id).await.unwrap();
            codes_older_by(&db, 61).await;
        }
        let other_cart = another_cart(&db).await;
        loyalty
            .identify(&db, &other_cart, "+1 (555) 010-0001", None)
            .await
            .unwrap();
        loyalty.send_cart_code(&db, &other_cart).await.unwrap();
        codes_older_by(&db, 61).await;
        match loyalty.send_cart_code(&db, &cart_id).await {
            Err(LoyaltyError::Domain(DomainError::TooManyRequests { message, .. })) => {
                assert!(message.contains("within the hour"), "{message}")
            }
            other => panic!("the hourly cap must hold: {other:?}"),
        }
        assert_eq!(
            sms.sent.lock().unwrap().len(),
            verification::MAX_CODES_PER_HOUR
        );
    })
    .await;
}

#[tokio::test]
async fn a_new_code_voids_the_old_one_and_a_failed_sms_leaves_no_code() {
    on_every_backend(async |db| {
        let (_, sms, loyalty) = texting(&db).await;
        let cart_id = cart(&db).await;
        loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();

        sms.down.store(true, Ordering::SeqCst);
        assert!(matches!(
            loyalty.send_cart_code(&db, &cart_id).await,
            Err(LoyaltyError::Unavailable(_))
        ));
        assert!(
            phone_code::Entity::find()
                .all(&db)
                .await
                .unwrap()
                .is_empty()
        );
        sms.down.store(false, Ordering::SeqCst);

        loyalty.send_cart_code(&db, &cart_id).await.unwrap();
        let first = sms.last_code();
        codes_older_by(&db, 61).await;
        loyalty.send_cart_code(&db, &cart_id).await.unwrap();
        let second = sms.last_code();
        if first != second {
            refusal(loyalty.verify_cart(&db, &cart_id, &first, None).await);
        }
        assert!(
            loyalty
                .verify_cart(&db, &cart_id, &second, None)
                .await
                .unwrap()
                .verified
        );
        assert!(
            matches!(
                loyalty.send_cart_code(&db, &cart_id).await,
                Err(LoyaltyError::Domain(DomainError::Conflict(_)))
            ),
            "verified already"
        );
    })
    .await;
}

#[tokio::test]
async fn a_verified_link_lets_the_signed_in_customer_redeem_without_a_code() {
    on_every_backend(async |db| {
        let (_, sms, loyalty) = texting(&db).await;
        let member = register(&db, "member@example.com", None).await;
        let stranger = register(&db, "stranger@example.com", None).await;
        assert!(
            matches!(
                loyalty
                    .send_link_code(&db, &member, "+1 555 999 0000")
                    .await,
                Err(LoyaltyError::Domain(DomainError::NotFound { .. }))
            ),
            "only a member's phone"
        );
        loyalty.send_link_code(&db, &member, PHONE).await.unwrap();
        let code = sms.last_code();
        assert!(
            matches!(
                loyalty.verify_link(&db, &stranger, &code).await,
                Err(LoyaltyError::Domain(DomainError::Invalid(_)))
            ),
            "a code sent for one account links no other"
        );
        loyalty.verify_link(&db, &member, &code).await.unwrap();
        assert!(
            verification::verified_membership(&db, &member)
                .await
                .unwrap()
                .is_some()
        );

        let cart_id = cart(&db).await;
        let signed_in = loyalty
            .identify(&db, &cart_id, "+1 555 010 0001", Some(&member))
            .await
            .unwrap();
        assert!(signed_in.verified, "no code needed");
        assert_eq!(signed_in.points_balance, Some(100));
        loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        loyalty::select_reward(&db, &cart_id, "ticket-80", true)
            .await
            .unwrap();

        for (who, what) in [
            (None, "a guest"),
            (Some(stranger.as_str()), "another customer"),
        ] {
            let other_cart = another_cart(&db).await;
            let identified = loyalty
                .identify(&db, &other_cart, PHONE, who)
                .await
                .unwrap();
            assert!(!identified.verified, "{what} proves nothing");
        }

        // A link made before codes were asked for (unverified) is no proof.
        db.execute_unprepared(&format!(
            "UPDATE loyalty_customers SET verified_at = NULL WHERE customer_id = '{member}'"
        ))
        .await
        .unwrap();
        let cart_id = another_cart(&db).await;
        let unproved = loyalty
            .identify(&db, &cart_id, PHONE, Some(&member))
            .await
            .unwrap();
        assert!(!unproved.verified);

        // A code for the cart proves it, and links the signed-in account again.
        codes_older_by(&db, 61).await;
        loyalty.send_cart_code(&db, &cart_id).await.unwrap();
        let proved = loyalty
            .verify_cart(&db, &cart_id, &sms.last_code(), Some(&member))
            .await
            .unwrap();
        assert!(proved.verified);
        assert!(
            verification::verified_membership(&db, &member)
                .await
                .unwrap()
                .is_some(),
            "linked again, verified"
        );
    })
    .await;
}
