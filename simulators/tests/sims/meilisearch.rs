//! The Meilisearch stand-in through the real `meilisearch-sdk` client:
//! what the client sends must be understood, and what it reads back must
//! parse, or these fail.

use std::collections::HashMap;

use meilisearch_sdk::{
    client::Client,
    errors::{Error, ErrorCode},
    search::{MatchingStrategies, Selectors},
    settings::{MinWordSizeForTypos, Settings, TypoToleranceSettings},
    tasks::Task,
};
use serde::{Deserialize, Serialize};
use simulators::meilisearch::{self, MeilisearchConfig};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Product {
    id: String,
    title: String,
    description: String,
    categories: Vec<String>,
    prices: HashMap<String, i64>,
    created_at: i64,
}

fn product(
    id: &str,
    title: &str,
    description: &str,
    category: &str,
    eur: i64,
    created_at: i64,
) -> Product {
    Product {
        id: id.into(),
        title: title.into(),
        description: description.into(),
        categories: vec![category.into()],
        prices: HashMap::from([("eur".into(), eur)]),
        created_at,
    }
}

async fn finished(
    client: &Client,
    task: Result<meilisearch_sdk::task_info::TaskInfo, Error>,
) -> Task {
    task.unwrap()
        .wait_for_completion(client, None, None)
        .await
        .unwrap()
}

fn ids(results: &meilisearch_sdk::search::SearchResults<Product>) -> Vec<&str> {
    results.hits.iter().map(|h| h.result.id.as_str()).collect()
}

#[tokio::test]
async fn the_sdk_indexes_configures_and_searches() {
    let sim = meilisearch::spawn(MeilisearchConfig::default())
        .await
        .unwrap();
    let client = Client::new(sim.url(), sim.master_key()).unwrap();
    let created = finished(&client, client.create_index("products", Some("id")).await).await;
    assert!(matches!(created, Task::Succeeded { .. }), "{created:?}");
    let index = client.get_index("products").await.unwrap();
    assert_eq!(index.primary_key.as_deref(), Some("id"));

    let settings = Settings::new()
        .with_searchable_attributes(["title", "categories", "description"])
        .with_filterable_attributes(["categories", "prices"])
        .with_sortable_attributes(["created_at", "prices"])
        .with_synonyms(HashMap::from([("soda", vec!["lemonade"])]))
        .with_typo_tolerance(TypoToleranceSettings {
            min_word_size_for_typos: Some(MinWordSizeForTypos {
                one_typo: Some(4),
                two_typos: Some(8),
            }),
            ..Default::default()
        });
    let applied = finished(&client, index.set_settings(&settings).await).await;
    assert!(matches!(applied, Task::Succeeded { .. }), "{applied:?}");
    let read = index.get_settings().await.unwrap();
    assert_eq!(
        read.sortable_attributes,
        Some(vec!["created_at".to_owned(), "prices".to_owned()])
    );

    let products = vec![
        product(
            "p1",
            "Dark Chocolate",
            "Bitter and smooth",
            "Snacks",
            250,
            1,
        ),
        product("p2", "Iced Tea", "Peach, chilled", "Drinks", 300, 2),
        product("p3", "Lemonade", "Fizzy and sour", "Drinks", 200, 3),
        product("p4", "Chocolate Milk", "Cold cocoa", "Drinks", 280, 4),
    ];
    // A write is a task: enqueued first, searchable once it succeeded.
    let info = index.add_or_replace(&products, Some("id")).await.unwrap();
    assert_eq!(info.status, "enqueued");
    let done = info.wait_for_completion(&client, None, None).await.unwrap();
    assert!(matches!(done, Task::Succeeded { .. }), "{done:?}");
    assert_eq!(index.get_stats().await.unwrap().number_of_documents, 4);

    let found = index
        .search()
        .with_query("choclate")
        .execute::<Product>()
        .await
        .unwrap();
    assert_eq!(ids(&found), ["p1", "p4"], "a typo; the title ranks first");
    let found = index
        .search()
        .with_query("choc")
        .execute::<Product>()
        .await
        .unwrap();
    assert_eq!(found.hits.len(), 2, "a prefix");
    let found = index
        .search()
        .with_query("soda")
        .execute::<Product>()
        .await
        .unwrap();
    assert_eq!(ids(&found), ["p3"], "a synonym");
    let found = index
        .search()
        .with_query("chocolate cold")
        .with_matching_strategy(MatchingStrategies::ALL)
        .execute::<Product>()
        .await
        .unwrap();
    assert_eq!(ids(&found), ["p4"], "every word, any attribute");
    let found = index
        .search()
        .with_query("chocolate")
        .with_attributes_to_search_on(&["description"])
        .execute::<Product>()
        .await
        .unwrap();
    assert!(found.hits.is_empty(), "{:?}", ids(&found));

    let found = index
        .search()
        .with_filter("categories = drinks AND prices.eur < 290")
        .with_sort(&["prices.eur:asc"])
        .with_facets(Selectors::Some(&["categories"]))
        .execute::<Product>()
        .await
        .unwrap();
    assert_eq!(ids(&found), ["p3", "p4"], "filtered, cheapest first");
    let facets = found.facet_distribution.unwrap();
    assert_eq!(facets["categories"]["Drinks"], 2);
    let found = index
        .search()
        .with_sort(&["created_at:desc"])
        .with_limit(2)
        .with_offset(1)
        .execute::<Product>()
        .await
        .unwrap();
    assert_eq!(ids(&found), ["p3", "p2"]);
    assert_eq!(found.estimated_total_hits, Some(4));

    // Filters and sorts on attributes not declared are refused, as Meilisearch does.
    let refused = index
        .search()
        .with_filter("title = Lemonade")
        .execute::<Product>()
        .await
        .unwrap_err();
    let Error::Meilisearch(e) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(e.error_code, ErrorCode::InvalidSearchFilter);
    let refused = index
        .search()
        .with_sort(&["title:asc"])
        .execute::<Product>()
        .await
        .unwrap_err();
    let Error::Meilisearch(e) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(e.error_code, ErrorCode::InvalidSearchSort);

    // Replaced, deleted, emptied.
    let replaced = vec![product("p1", "Milk Chocolate", "Sweet", "Snacks", 260, 1)];
    finished(&client, index.add_or_replace(&replaced, None).await).await;
    let found = index
        .search()
        .with_query("dark")
        .execute::<Product>()
        .await
        .unwrap();
    assert!(found.hits.is_empty());
    let back: Product = index.get_document("p1").await.unwrap();
    assert_eq!(back, replaced[0]);
    finished(&client, index.delete_documents(&["p1", "nope"]).await).await;
    assert_eq!(index.get_stats().await.unwrap().number_of_documents, 3);
    finished(&client, index.delete_all_documents().await).await;
    assert_eq!(index.get_stats().await.unwrap().number_of_documents, 0);
}

#[tokio::test]
async fn failures_come_back_as_meilisearch_errors() {
    let sim = meilisearch::spawn(MeilisearchConfig::default())
        .await
        .unwrap();
    let client = Client::new(sim.url(), sim.master_key()).unwrap();
    let index = client.index("products");

    // A batch with one bad id fails as a whole.
    let bad = vec![
        product("ok", "Fine", "", "Snacks", 1, 1),
        product("not ok!", "Bad id", "", "Snacks", 1, 1),
    ];
    let task = finished(&client, index.add_or_replace(&bad, Some("id")).await).await;
    let Task::Failed { content } = task else {
        panic!("{task:?}")
    };
    assert_eq!(content.error.error_code, ErrorCode::InvalidDocumentId);
    assert_eq!(index.get_stats().await.unwrap().number_of_documents, 0);

    let missing = client
        .index("nowhere")
        .search()
        .with_query("x")
        .execute::<Product>()
        .await
        .unwrap_err();
    let Error::Meilisearch(e) = missing else {
        panic!("{missing:?}")
    };
    assert_eq!(e.error_code, ErrorCode::IndexNotFound);

    let wrong_key = Client::new(sim.url(), Some("not-the-key")).unwrap();
    let refused = wrong_key.get_index("products").await.unwrap_err();
    let Error::Meilisearch(e) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(e.error_code, ErrorCode::InvalidApiKey);
    let no_key = Client::new(sim.url(), None::<String>).unwrap();
    let refused = no_key.get_index("products").await.unwrap_err();
    let Error::Meilisearch(e) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(e.error_code, ErrorCode::MissingAuthorizationHeader);
    assert!(no_key.health().await.is_ok(), "health needs no key");
}
