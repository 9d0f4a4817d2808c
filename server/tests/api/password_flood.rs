//! A flood of sign-ins and sign-ups (as from many addresses, so no rate
//! limit stops it) while shoppers check out: password hashing waits its
//! turn on its own threads, and checkouts go on.

use std::time::{Duration, Instant};

use domain::seed;
use serde_json::json;

use crate::{
    Options,
    customers::signed_up,
    spawn_app,
    store_carts::{add, complete, expect, new_cart, pay, ship},
};

const FLOOD: usize = 200;
/// Far above what a checkout takes on a quiet machine (tens of ms), far
/// below what it took with every password hashed while holding the writer's
/// turn, or on the runtime's threads.
const GENEROUS: Duration = Duration::from_secs(20);

#[tokio::test]
async fn checkouts_complete_during_a_flood_of_sign_ins() {
    for backend in testkit::db_backends() {
        let mut options = Options::on(backend);
        options.settings.rate_limits.off();
        let app = spawn_app(options).await;
        signed_up(&app, "member@example.com").await;

        let started = Instant::now();
        let flood: Vec<_> = (0..FLOOD)
            .map(|n| {
                let (client, base) = (app.client.clone(), app.base.clone());
                tokio::spawn(async move {
                    // Half guess the member's password, half sign up anew.
                    let (path, email) = if n % 2 == 0 {
                        ("/auth/customer/emailpass", "member@example.com".to_owned())
                    } else {
                        (
                            "/auth/customer/emailpass/register",
                            format!("new{n}@example.com"),
                        )
                    };
                    let response = client
                        .post(format!("{base}{path}"))
                        .json(&json!({ "email": email, "password": format!("guess number {n}") }))
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    let retry_after = response.headers().contains_key("retry-after");
                    (status, retry_after)
                })
            })
            .collect();

        let mut checkouts = Vec::new();
        while checkouts.len() < 20
            && (checkouts.len() < 3 || !flood.iter().all(|f| f.is_finished()))
        {
            let began = Instant::now();
            let address = json!({ "first_name": "Ada", "address_1": "Ring 1", "city": "Vienna", "country_code": "at" });
            let cart = new_cart(
                &app,
                json!({ "email": "shopper@example.com", "shipping_address": address }),
            )
            .await;
            let id = cart["id"].as_str().unwrap().to_owned();
            add(&app, &id, "sparkling-water", 1).await;
            ship(&app, &id, seed::STANDARD_DELIVERY.0).await;
            pay(&app, &id).await;
            let placed = expect(200, complete(&app, &id).await);
            assert_eq!(placed["type"], "order", "{placed}");
            checkouts.push(began.elapsed());
        }

        let mut answers = std::collections::BTreeMap::<u16, usize>::new();
        for attempt in flood {
            let (status, retry_after) = attempt.await.unwrap();
            assert!(
                matches!(status, 200 | 401 | 503),
                "a sign-in or sign-up answered {status}"
            );
            assert!(
                status != 503 || retry_after,
                "a busy answer says when to retry"
            );
            *answers.entry(status).or_default() += 1;
        }
        let flood_took = started.elapsed();
        let slowest = checkouts.iter().max().copied().unwrap_or_default();
        eprintln!(
            "{backend:?}: {FLOOD} sign-ins/sign-ups answered {answers:?} in {flood_took:?}; \
             {} checkouts meanwhile, slowest {slowest:?}, all {checkouts:?}",
            checkouts.len()
        );
        assert!(
            answers.get(&200).copied().unwrap_or(0) > 0,
            "the flood was served, not only refused: {answers:?}"
        );
        assert!(slowest < GENEROUS, "{checkouts:?}");
    }
}
