//! The admin side of payments: captures and refunds asked by an admin kept
//! in the payment's history (who, why, when), the payments list's filters,
//! and the review list of refused captures with its actions.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use domain::{
    DomainError,
    payments::{
        self, AskedFor, PaymentFilter, PaymentProvider, PaymentState, ProviderError,
        ProviderOutcome, Providers,
        operations::{self, Status},
        reviews::{self, Showing},
        system::SystemProvider,
    },
};
use serde_json::{Value, json};

use crate::on_every_backend;

/// Refuses captures while `lapsed`, as a bank does once a hold expired;
/// keeps the idempotency keys it was sent.
#[derive(Default)]
struct Lapsing {
    lapsed: AtomicBool,
    keys: Mutex<Vec<String>>,
}

#[async_trait]
impl PaymentProvider for Lapsing {
    fn id(&self) -> &'static str {
        "pp_lapsing"
    }
    async fn initiate(&self, _: &payments::Initiation) -> Result<Value, ProviderError> {
        Ok(json!({}))
    }
    async fn authorize(&self, data: &Value) -> Result<ProviderOutcome, ProviderError> {
        Ok(ProviderOutcome::Authorized(data.clone()))
    }
    async fn capture(&self, data: &Value, _: i64, key: &str) -> Result<Value, ProviderError> {
        self.keys.lock().unwrap().push(key.to_owned());
        if self.lapsed.load(Ordering::SeqCst) {
            return Err(ProviderError::Declined("the authorization expired".into()));
        }
        Ok(data.clone())
    }
    async fn refund(&self, data: &Value, _: i64, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
    async fn cancel(&self, data: &Value, key: &str) -> Result<Value, ProviderError> {
        self.keys.lock().unwrap().push(key.to_owned());
        Ok(data.clone())
    }
}

async fn authorized(
    db: &domain::db::DatabaseConnection,
    providers: &Providers,
    provider: &str,
    amount: i64,
) -> payments::payment::Model {
    let collection = payments::create_collection(db, amount, "eur")
        .await
        .unwrap();
    let session = payments::create_session(db, providers, &collection.id, provider)
        .await
        .unwrap();
    payments::authorize_session(db, providers, &session.id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn admin_captures_and_refunds_are_kept_with_who_and_why_and_listed_by_status() {
    on_every_backend(async |db| {
        let providers = Providers::default().with(Arc::new(SystemProvider));
        let untouched = authorized(&db, &providers, "pp_system_default", 500).await;
        let payment = authorized(&db, &providers, "pp_system_default", 1000).await;
        let admin = AskedFor::admin("user_1", Some("  ".into()));
        assert_eq!(admin.note, None, "a blank note is none");

        payments::capture_by(&db, &providers, &payment.id, Some(400), &admin)
            .await
            .unwrap();
        let over = payments::refund_by(
            &db,
            &providers,
            &payment.id,
            Some(500),
            &AskedFor::admin("user_1", None),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(over, DomainError::Invalid(_))
                && over.to_string().contains(
                    "can refund between 1 and 400 minor units (4.00 EUR), not 500 (5.00 EUR)"
                ),
            "a refund above what was captured is refused plainly: {over}"
        );
        let nothing = payments::refund_by(&db, &providers, &untouched.id, None, &admin)
            .await
            .unwrap_err();
        assert!(
            nothing.to_string().contains("nothing captured to refund"),
            "{nothing}"
        );
        let refunded = payments::refund_by(
            &db,
            &providers,
            &payment.id,
            Some(150),
            &AskedFor::admin("user_2", Some("damaged can".into())),
        )
        .await
        .unwrap();
        assert_eq!(
            (refunded.captured_amount, refunded.refunded_amount),
            (400, 150)
        );

        let history = operations::of_payment(&db, &payment.id).await.unwrap();
        let seen: Vec<_> = history
            .iter()
            .map(|o| {
                (
                    o.kind.to_string(),
                    o.amount,
                    o.status,
                    o.admin_user_id.as_deref(),
                    o.note.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "capture".to_owned(),
                    400,
                    Status::Done,
                    Some("user_1"),
                    None
                ),
                (
                    "refund".to_owned(),
                    150,
                    Status::Done,
                    Some("user_2"),
                    Some("damaged can")
                ),
            ]
        );
        assert!(history.iter().all(|o| o.completed_at.is_some()));

        let listed = async |status: &[PaymentState]| {
            let filter = PaymentFilter {
                status: status.to_vec(),
                ..Default::default()
            };
            payments::list_payments(&db, &filter, 0, 50)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|p| p.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            listed(&[]).await,
            [payment.id.clone(), untouched.id.clone()],
            "newest first"
        );
        assert_eq!(
            listed(&[PaymentState::PartiallyRefunded]).await,
            std::slice::from_ref(&payment.id)
        );
        assert_eq!(
            listed(&[PaymentState::Authorized]).await,
            std::slice::from_ref(&untouched.id)
        );
        assert!(
            listed(&[PaymentState::Captured, PaymentState::Refunded])
                .await
                .is_empty()
        );
        assert_eq!(PaymentState::of(&refunded), PaymentState::PartiallyRefunded);

        payments::refund_by(&db, &providers, &payment.id, None, &admin)
            .await
            .unwrap();
        assert_eq!(
            listed(&[PaymentState::Refunded]).await,
            std::slice::from_ref(&payment.id)
        );
        payments::cancel(&db, &providers, &untouched.id)
            .await
            .unwrap();
        assert_eq!(
            listed(&[PaymentState::Canceled]).await,
            std::slice::from_ref(&untouched.id)
        );
        let by_id = PaymentFilter {
            id: vec![untouched.id.clone()],
            ..Default::default()
        };
        assert_eq!(
            payments::list_payments(&db, &by_id, 0, 50)
                .await
                .unwrap()
                .count,
            1
        );
        assert!(PaymentState::parse("paid").is_err());
    })
    .await;
}

#[tokio::test]
async fn a_refused_capture_is_reviewed_then_retried_voided_or_resolved_by_an_admin() {
    on_every_backend(async |db| {
        let lapsing = Arc::new(Lapsing::default());
        let providers = Providers::default().with(lapsing.clone());
        let payment = authorized(&db, &providers, "pp_lapsing", 1000).await;
        lapsing.lapsed.store(true, Ordering::SeqCst);

        let refused =
            payments::capture_by(&db, &providers, &payment.id, None, &AskedFor::default())
                .await
                .unwrap_err();
        assert!(refused.to_string().contains("expired"), "{refused}");
        // Refused twice: still one item to review.
        payments::capture_by(&db, &providers, &payment.id, None, &AskedFor::default())
            .await
            .unwrap_err();
        let open = reviews::list(&db, Showing::Open, 0, 50).await.unwrap();
        assert_eq!(open.count, 1);
        let item = open.items[0].clone();
        assert_eq!(
            (item.reason.as_str(), item.amount, item.payment_id.as_str()),
            ("capture_failed", 1000, payment.id.as_str())
        );
        assert!(item.detail.contains("expired"), "{}", item.detail);
        assert_eq!(reviews::open_count(&db).await.unwrap(), 1);
        let history = operations::of_payment(&db, &payment.id).await.unwrap();
        assert_eq!(history.len(), 1, "the same key answered twice is one row");
        assert_eq!(history[0].status, Status::Refused);

        // A retry asks with a key of its own (the refused key would only
        // get the refusal back), and is kept whatever the answer.
        let again = reviews::retry_capture(&db, &providers, &item.id, "user_1", None)
            .await
            .unwrap_err();
        assert!(again.to_string().contains("declined"), "{again}");
        let keys = lapsing.keys.lock().unwrap().clone();
        assert_eq!(keys[0], format!("{}:capture:0:1000", payment.id));
        assert_eq!(keys[0], keys[1]);
        assert!(
            keys[2].starts_with(&format!("{}:capture:0:1000:payrevact_", payment.id)),
            "{keys:?}"
        );
        let blank = reviews::resolve(&db, &item.id, "user_1", " ".into())
            .await
            .unwrap_err();
        assert!(matches!(blank, DomainError::Invalid(_)), "{blank}");
        assert!(
            reviews::find(&db, &item.id)
                .await
                .unwrap()
                .resolved_at
                .is_none(),
            "still open after a refused retry"
        );

        lapsing.lapsed.store(false, Ordering::SeqCst);
        let done = reviews::retry_capture(
            &db,
            &providers,
            &item.id,
            "user_2",
            Some("card topped up".into()),
        )
        .await
        .unwrap();
        assert!(done.resolved_at.is_some());
        assert_eq!(
            payments::find_payment(&db, &payment.id)
                .await
                .unwrap()
                .captured_amount,
            1000
        );
        let actions = reviews::actions_of(&db, std::slice::from_ref(&item.id))
            .await
            .unwrap();
        let seen: Vec<_> = actions
            .iter()
            .map(|a| {
                (
                    a.action.as_str(),
                    a.admin_user_id.as_str(),
                    a.note.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("retry_capture", "user_1", None),
                ("retry_capture", "user_2", Some("card topped up")),
            ]
        );
        assert!(
            actions[0].outcome.starts_with("refused"),
            "{}",
            actions[0].outcome
        );
        assert!(
            actions[1].outcome.starts_with("captured"),
            "{}",
            actions[1].outcome
        );
        let late = reviews::resolve(&db, &item.id, "user_1", "twice".into())
            .await
            .unwrap_err();
        assert!(matches!(late, DomainError::Conflict(_)), "{late}");

        // Another lapsed hold: given back, or written off with a note.
        lapsing.lapsed.store(true, Ordering::SeqCst);
        let voided = authorized(&db, &providers, "pp_lapsing", 700).await;
        let written_off = authorized(&db, &providers, "pp_lapsing", 300).await;
        for p in [&voided, &written_off] {
            payments::capture_by(&db, &providers, &p.id, None, &AskedFor::default())
                .await
                .unwrap_err();
        }
        let items = reviews::list(&db, Showing::Open, 0, 50)
            .await
            .unwrap()
            .items;
        let item_of = |payment_id: &str| {
            items
                .iter()
                .find(|i| i.payment_id == payment_id)
                .unwrap()
                .id
                .clone()
        };
        reviews::void_hold(&db, &providers, &item_of(&voided.id), "user_1", None)
            .await
            .unwrap();
        assert!(
            payments::find_payment(&db, &voided.id)
                .await
                .unwrap()
                .canceled_at
                .is_some()
        );
        reviews::resolve(
            &db,
            &item_of(&written_off.id),
            "user_1",
            "paid in cash".into(),
        )
        .await
        .unwrap();
        assert_eq!(reviews::open_count(&db).await.unwrap(), 0);
        assert_eq!(
            reviews::list(&db, Showing::Resolved, 0, 50)
                .await
                .unwrap()
                .count,
            3
        );
    })
    .await;
}
