//! Keeping the search index in step with the catalog through the outbox.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use domain::{
    catalog::{
        self,
        editing::{self, ProductInput},
    },
    events::{self, Dispatcher},
    search::{Hit, ProductDocument, ProductSearch, SearchError, SearchIndexer},
};
use serde_json::json;

use crate::on_every_backend;

/// Records each write the indexer asks of the engine.
#[derive(Default)]
struct Writes {
    upserts: Mutex<Vec<Vec<String>>>,
    removals: Mutex<Vec<Vec<String>>>,
}

#[async_trait]
impl ProductSearch for Writes {
    async fn upsert(&self, documents: Vec<ProductDocument>) -> Result<(), SearchError> {
        let ids = documents.into_iter().map(|d| d.id).collect();
        self.upserts.lock().unwrap().push(ids);
        Ok(())
    }
    async fn remove(&self, product_ids: Vec<String>) -> Result<(), SearchError> {
        self.removals.lock().unwrap().push(product_ids);
        Ok(())
    }
    async fn clear(&self) -> Result<(), SearchError> {
        Ok(())
    }
    async fn count(&self) -> Result<u64, SearchError> {
        Ok(0)
    }
    async fn search(&self, _query: &str, _limit: usize) -> Result<Vec<Hit>, SearchError> {
        Ok(Vec::new())
    }
    async fn suggest(&self, _prefix: &str, _limit: usize) -> Result<Vec<Hit>, SearchError> {
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn a_batch_of_product_events_is_one_index_write() {
    on_every_backend(async |db| {
        let mut created = Vec::new();
        for n in 0..5 {
            let input = ProductInput {
                title: format!("Sandwich {n}"),
                ..Default::default()
            };
            created.push(editing::create(&db, input).await.unwrap());
        }
        events::emit(&db, catalog::PRODUCT_DELETED, &json!({"id": "prod_gone"}))
            .await
            .unwrap();
        let writes = Arc::new(Writes::default());
        let indexer = Arc::new(SearchIndexer::new(db.clone(), writes.clone()));
        let dispatcher = Dispatcher::new(db.clone(), vec![indexer]);
        dispatcher.run_once(100).await.unwrap();
        assert!(events::pending(&db).await.unwrap().is_empty());

        let upserts = writes.upserts.lock().unwrap().clone();
        assert_eq!(upserts.len(), 1, "one write for five products: {upserts:?}");
        let mut indexed = upserts[0].clone();
        indexed.sort();
        created.sort();
        assert_eq!(indexed, created);
        assert_eq!(
            *writes.removals.lock().unwrap(),
            [vec!["prod_gone".to_owned()]]
        );
    })
    .await;
}
