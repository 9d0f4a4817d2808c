//! Carts and lines written together with other shoppers' (group commit).

use std::time::Duration;

use domain::{
    carts::{self, CartDetail, CartPlace, CartWriter, NewCart},
    db::{DatabaseConnection, write_turn},
};
use sea_orm::{ActiveModelTrait, Set};

use crate::{carts::variant_of, on_every_backend, seeded};

async fn variant(db: &DatabaseConnection, handle: &str) -> String {
    variant_of(db, handle).await.0
}

/// The seeded store, a writer on it and where its carts sell.
async fn writer_on_seeded(db: &DatabaseConnection) -> (CartWriter, CartPlace) {
    seeded(db).await;
    let writer = CartWriter::start(db.clone());
    let place = CartPlace::of(db, &NewCart::in_currency("eur"))
        .await
        .unwrap();
    (writer, place)
}

/// Runs `writes` concurrently while the database's writer turn is held
/// (SQLite), so they all wait for one writer; answers whether it was held
/// (PostgreSQL has no such turn) and the results.
async fn while_the_writer_waits<T: Send + 'static>(
    db: &DatabaseConnection,
    writes: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>,
) -> (bool, Vec<T>) {
    let turn = write_turn(db).await.unwrap();
    let held = turn.is_some();
    let tasks: Vec<_> = writes.into_iter().map(tokio::spawn).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(turn);
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    (held, results)
}

fn assert_read_back(answer: &CartDetail, read: &CartDetail) {
    assert_eq!(answer.cart, read.cart);
    assert_eq!(answer.items, read.items);
    assert_eq!(answer.totals, read.totals);
}

#[tokio::test]
async fn carts_and_lines_waiting_together_are_written_in_one_transaction() {
    on_every_backend(async |db| {
        let (writer, place) = writer_on_seeded(&db).await;
        let creations = (0..20).map(|_| {
            let (writer, place) = (writer.clone(), place.clone());
            async move {
                writer
                    .create_cart_at(place, NewCart::in_currency("eur"))
                    .await
            }
        });
        let (held, created) = while_the_writer_waits(&db, creations).await;
        let created: Vec<CartDetail> = created.into_iter().map(Result::unwrap).collect();
        for answer in &created {
            assert_read_back(
                answer,
                &carts::get_cart(&db, &answer.cart.id).await.unwrap(),
            );
        }
        let after_creations = writer.batches();
        if held {
            // The first took the writer's turn alone; the other 19 waited and went together.
            assert!(
                after_creations <= 2,
                "{after_creations} transactions for 20 carts"
            );
        }

        let water = variant(&db, "sparkling-water").await;
        let additions = created.into_iter().map(|seen| {
            let (writer, water) = (writer.clone(), water.clone());
            async move { writer.add_line_item_to(seen, &water, 2).await }
        });
        let (_, added) = while_the_writer_waits(&db, additions).await;
        for answer in added {
            let answer = answer.unwrap();
            assert_eq!(answer.item_count(), 2);
            assert_read_back(
                &answer,
                &carts::get_cart(&db, &answer.cart.id).await.unwrap(),
            );
        }
        if held {
            let for_lines = writer.batches() - after_creations;
            assert!(for_lines <= 2, "{for_lines} transactions for 20 lines");
        }
    })
    .await;
}

#[tokio::test]
async fn concurrent_additions_to_one_cart_through_the_writer_lose_no_unit() {
    on_every_backend(async |db| {
        let (writer, place) = writer_on_seeded(&db).await;
        let seen = writer
            .create_cart_at(place, NewCart::in_currency("eur"))
            .await
            .unwrap();
        let water = variant(&db, "sparkling-water").await;
        let apple = variant(&db, "apple").await;
        // All from the same view of the cart: one line goes in the batch,
        // the rest find the cart changed and are written the ordinary way.
        let additions = (0..9).map(|n| {
            let (writer, seen) = (writer.clone(), seen.clone());
            let variant = if n % 3 == 0 {
                apple.clone()
            } else {
                water.clone()
            };
            async move { writer.add_line_item_to(seen, &variant, 1).await }
        });
        let (_, answers) = while_the_writer_waits(&db, additions).await;
        for answer in answers {
            assert!(
                answer.unwrap().item_count() >= 1,
                "an answer shows its own unit"
            );
        }
        let cart = carts::get_cart(&db, &seen.cart.id).await.unwrap();
        let units = |variant: &str| {
            cart.items
                .iter()
                .find(|line| line.variant_id == variant)
                .map(|line| line.quantity)
        };
        assert_eq!(units(&apple), Some(3));
        assert_eq!(units(&water), Some(6));
        assert_eq!(cart.items.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_write_that_fails_its_batch_does_not_fail_the_others() {
    on_every_backend(async |db| {
        let (writer, place) = writer_on_seeded(&db).await;
        let water = variant(&db, "sparkling-water").await;
        let mut seen = Vec::new();
        for _ in 0..2 {
            seen.push(
                writer
                    .create_cart_at(place.clone(), NewCart::in_currency("eur"))
                    .await
                    .unwrap(),
            );
        }
        // A line written behind the carts module's back, leaving the cart's
        // `updated_at` as it was: the cart still looks unchanged, and a
        // second line of that variant breaks the one-line-per-variant rule.
        let broken = seen[0].clone();
        carts::line_item::ActiveModel {
            id: Set("cali_behind_the_back".into()),
            cart_id: Set(broken.cart.id.clone()),
            variant_id: Set(water.clone()),
            product_id: Set("prod_x".into()),
            title: Set("x".into()),
            variant_title: Set("x".into()),
            quantity: Set(1),
            unit_price: Set(100),
            created_at: Set(broken.cart.created_at),
        }
        .insert(&db)
        .await
        .unwrap();

        let additions = seen.into_iter().map(|seen| {
            let (writer, water) = (writer.clone(), water.clone());
            async move { writer.add_line_item_to(seen, &water, 1).await }
        });
        let (_, mut answers) = while_the_writer_waits(&db, additions).await;
        let good = answers.pop().unwrap().unwrap();
        assert!(
            answers.pop().unwrap().is_err(),
            "the broken cart's line is refused"
        );
        let read = carts::get_cart(&db, &good.cart.id).await.unwrap();
        assert_eq!(read.item_count(), 1);
        assert_read_back(&good, &read);
    })
    .await;
}
