use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use domain::{
    DomainError,
    payments::{
        self, PaymentProvider, ProviderError, ProviderOutcome, Providers,
        collection::Status as CollectionStatus, system::SystemProvider,
    },
};
use serde_json::{Value, json};

use crate::on_every_backend;

fn providers() -> Providers {
    Providers::default()
        .with(Arc::new(SystemProvider))
        .with(Arc::new(Picky::default()))
}

/// Declines when told to, and asks for more (3-D Secure) on the first authorize.
#[derive(Default)]
struct Picky {
    decline: AtomicBool,
}

#[async_trait]
impl PaymentProvider for Picky {
    fn id(&self) -> &'static str {
        "pp_picky"
    }
    async fn initiate(&self, _: &payments::Initiation) -> Result<Value, ProviderError> {
        if self.decline.load(Ordering::SeqCst) {
            return Err(ProviderError::Declined("card expired".into()));
        }
        Ok(json!({ "step": 1 }))
    }
    async fn authorize(&self, data: &Value) -> Result<ProviderOutcome, ProviderError> {
        Ok(if data["step"] == 1 {
            ProviderOutcome::RequiresMore(json!({ "step": 2 }))
        } else {
            ProviderOutcome::Authorized(data.clone())
        })
    }
    async fn capture(&self, data: &Value, _: i64, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
    async fn refund(&self, data: &Value, _: i64, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
    async fn cancel(&self, data: &Value, _: &str) -> Result<Value, ProviderError> {
        Ok(data.clone())
    }
}

#[tokio::test]
async fn the_system_provider_authorizes_then_captures_in_parts_and_refunds() {
    on_every_backend(async |db| {
        let providers = providers();
        assert_eq!(providers.ids(), ["pp_picky", "pp_system_default"]);
        let collection = payments::create_collection(&db, 1000, "EUR").await.unwrap();
        assert_eq!(collection.status, CollectionStatus::NotPaid);
        let session =
            payments::create_session(&db, &providers, &collection.id, "pp_system_default")
                .await
                .unwrap();
        let payment = payments::authorize_session(&db, &providers, &session.id)
            .await
            .unwrap()
            .expect("authorized");
        assert_eq!(payment.amount, 1000);
        assert_eq!(
            payments::find_collection(&db, &collection.id)
                .await
                .unwrap()
                .status,
            CollectionStatus::Authorized
        );
        let again = payments::authorize_session(&db, &providers, &session.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            again.id, payment.id,
            "authorizing twice yields the same payment"
        );

        payments::capture(&db, &providers, &payment.id, Some(400))
            .await
            .unwrap();
        assert_eq!(
            payments::find_collection(&db, &collection.id)
                .await
                .unwrap()
                .status,
            CollectionStatus::PartiallyCaptured
        );
        let over = payments::capture(&db, &providers, &payment.id, Some(601))
            .await
            .unwrap_err();
        assert!(over.to_string().contains("between 1 and 600"), "{over}");
        let done = payments::capture(&db, &providers, &payment.id, None)
            .await
            .unwrap();
        assert_eq!(done.captured_amount, 1000);
        assert_eq!(
            payments::find_collection(&db, &collection.id)
                .await
                .unwrap()
                .status,
            CollectionStatus::Completed
        );

        payments::refund(&db, &providers, &payment.id, 250)
            .await
            .unwrap();
        assert!(matches!(
            payments::refund(&db, &providers, &payment.id, 751).await,
            Err(DomainError::Invalid(_))
        ));
        assert_eq!(
            payments::refund(&db, &providers, &payment.id, 750)
                .await
                .unwrap()
                .refunded_amount,
            1000
        );
        assert!(matches!(
            payments::cancel(&db, &providers, &payment.id).await,
            Err(DomainError::Conflict(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn cancel_releases_an_uncaptured_authorization_once() {
    on_every_backend(async |db| {
        let providers = providers();
        let collection = payments::create_collection(&db, 500, "eur").await.unwrap();
        let session =
            payments::create_session(&db, &providers, &collection.id, "pp_system_default")
                .await
                .unwrap();
        let payment = payments::authorize_session(&db, &providers, &session.id)
            .await
            .unwrap()
            .unwrap();
        let canceled = payments::cancel(&db, &providers, &payment.id)
            .await
            .unwrap();
        assert!(canceled.canceled_at.is_some());
        assert_eq!(
            payments::cancel(&db, &providers, &payment.id)
                .await
                .unwrap()
                .canceled_at,
            canceled.canceled_at
        );
        assert!(matches!(
            payments::capture(&db, &providers, &payment.id, None).await,
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(
            payments::find_collection(&db, &collection.id)
                .await
                .unwrap()
                .status,
            CollectionStatus::Canceled
        );
    })
    .await;
}

#[tokio::test]
async fn providers_that_need_more_or_decline_are_reported() {
    on_every_backend(async |db| {
        let picky = Arc::new(Picky::default());
        let providers = Providers::default().with(picky.clone());
        let collection = payments::create_collection(&db, 700, "eur").await.unwrap();
        let session = payments::create_session(&db, &providers, &collection.id, "pp_picky")
            .await
            .unwrap();
        assert_eq!(
            payments::authorize_session(&db, &providers, &session.id)
                .await
                .unwrap(),
            None,
            "3-D Secure first"
        );
        assert!(
            payments::authorize_session(&db, &providers, &session.id)
                .await
                .unwrap()
                .is_some(),
            "then authorized"
        );

        picky.decline.store(true, Ordering::SeqCst);
        let declined = payments::create_session(&db, &providers, &collection.id, "pp_picky")
            .await
            .unwrap_err();
        assert_eq!(declined.to_string(), "payment declined: card expired");
        assert!(matches!(
            payments::create_session(&db, &providers, &collection.id, "pp_nope").await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            payments::create_session(&db, &providers, "pay_col_nope", "pp_picky").await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            payments::create_collection(&db, -1, "eur").await,
            Err(DomainError::Invalid(_))
        ));
    })
    .await;
}
