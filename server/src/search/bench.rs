//! `automat bench-search`: how many searches per second an engine answers,
//! and how long they take, over a generated catalog (10,000 products by
//! default). The embedded engine gets an index in a throwaway directory;
//! Meilisearch (`AUTOMAT_MEILISEARCH_URL`) an index of its own
//! (`<index>_bench`), emptied first. No database is involved: this measures
//! the engine behind the port, as the Store API's `q` calls it.

use std::time::{Duration, Instant};

use domain::search::ProductDocument;

use crate::config::Settings;

#[derive(Debug, Clone, clap::Args)]
pub struct SearchLoad {
    /// Products in the generated catalog.
    #[arg(long, default_value_t = 10_000)]
    pub products: usize,
    /// Searches in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// How long searches run while measured (after one second's warm-up).
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
}

const ADJECTIVES: [&str; 16] = [
    "Dark",
    "Sparkling",
    "Cold",
    "Fresh",
    "Spicy",
    "Sweet",
    "Salted",
    "Organic",
    "Vegan",
    "Smoked",
    "Crispy",
    "Creamy",
    "Iced",
    "Roasted",
    "Honey",
    "Classic",
];
const NOUNS: [&str; 20] = [
    "Chocolate",
    "Water",
    "Coffee",
    "Sandwich",
    "Salad",
    "Yogurt",
    "Lemonade",
    "Pretzel",
    "Granola",
    "Smoothie",
    "Burrito",
    "Cookie",
    "Cheesecake",
    "Kombucha",
    "Hummus",
    "Wrap",
    "Noodles",
    "Muffin",
    "Juice",
    "Almonds",
];
const FLAVOURS: [&str; 10] = [
    "peach", "mango", "vanilla", "berry", "lime", "ginger", "mint", "caramel", "apple", "cherry",
];
const CATEGORIES: [&str; 5] = ["Drinks", "Snacks", "Meals", "Desserts", "Breakfast"];

/// What shoppers type: whole words, typos, prefixes, two words, nothing found.
const QUERIES: [&str; 12] = [
    "chocolate",
    "choclate",
    "coff",
    "sparkling water",
    "vegan wrap",
    "kombucha ginger",
    "smothie",
    "dark",
    "cheesecak",
    "honey granola",
    "zzzqx",
    "iced tea peach",
];

fn catalog(count: usize) -> Vec<ProductDocument> {
    let now = chrono::Utc::now();
    (0..count)
        .map(|n| {
            let adjective = ADJECTIVES[n % ADJECTIVES.len()];
            let noun = NOUNS[(n / ADJECTIVES.len()) % NOUNS.len()];
            let flavour = FLAVOURS[(n / 7) % FLAVOURS.len()];
            let title = format!("{adjective} {noun} {n}");
            ProductDocument {
                id: format!("prod_bench_{n:06}"),
                handle: title.to_lowercase().replace(' ', "-"),
                subtitle: Some(format!("with {flavour}")),
                description: Some(format!(
                    "A {} {} with a hint of {flavour}, made fresh every morning.",
                    adjective.to_lowercase(),
                    noun.to_lowercase()
                )),
                status: "published".into(),
                variant_titles: vec!["Small".into(), "Large".into()],
                skus: vec![format!("SKU-{n:06}-S"), format!("SKU-{n:06}-L")],
                categories: vec![CATEGORIES[n % CATEGORIES.len()].into()],
                collections: Vec::new(),
                tags: vec![flavour.into()],
                prices: vec![("eur".into(), 150 + (n as i64 % 400))],
                machine_ids: vec![format!("vm-{:03}", n % 50)],
                created_at: now - chrono::Duration::seconds(n as i64),
                title,
            }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

pub async fn run(settings: Settings, load: SearchLoad) -> anyhow::Result<()> {
    // The configured engine, on an index of its own: a throwaway directory,
    // or `<index>_bench` on Meilisearch.
    let scratch = std::env::temp_dir().join(format!("automat-bench-search-{}", std::process::id()));
    let mut own = settings.clone();
    own.search_dir = scratch.clone();
    own.search.meilisearch_index = format!("{}_bench", settings.search.meilisearch_index);
    let engine = super::open(&own).await?;
    let name = match own.search.meilisearch_url {
        Some(_) => super::describe(&own),
        None => "embedded (tantivy)".to_owned(),
    };
    engine.clear().await?;
    let started = Instant::now();
    for batch in catalog(load.products).chunks(500) {
        engine.upsert(batch.to_vec()).await?;
    }
    let indexing = started.elapsed();
    anyhow::ensure!(
        engine.count().await? == load.products as u64,
        "the index holds another number of products than were indexed"
    );

    let measure_from = Instant::now() + Duration::from_secs(1);
    let until = measure_from + Duration::from_secs(load.secs);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..load.concurrency.max(1) {
        let engine = engine.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut n = worker;
            loop {
                let query = QUERIES[n % QUERIES.len()];
                n += 1;
                let start = Instant::now();
                if start >= until {
                    break;
                }
                engine.search(query, 20).await?;
                if start >= measure_from {
                    latencies.push(start.elapsed());
                }
            }
            anyhow::Ok(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done??);
    }
    latencies.sort();
    drop(engine);
    let _ = std::fs::remove_dir_all(&scratch);
    let rate = latencies.len() as f64 / load.secs.max(1) as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {name} | {} products | indexed in {:.1} s | {} in flight | {:.0} searches/s | p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms |",
        load.products,
        indexing.as_secs_f64(),
        load.concurrency,
        rate,
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
    );
    Ok(())
}
