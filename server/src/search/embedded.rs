//! The embedded product search: a tantivy index in a directory of its own
//! (under `./data` by default), kept by this process.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use domain::search::{Hit, ProductDocument, ProductSearch, SearchError, typo_distance};
use tantivy::{
    Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term,
    collector::TopDocs,
    directory::MmapDirectory,
    query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery},
    schema::{
        Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
        Value,
    },
    tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer},
};

/// Words split on anything not alphanumeric, lower-cased, accents folded
/// ("Käse" finds "kase" and "käse").
const TOKENIZER: &str = "automat_words";
/// The schema's version: a directory of its own, so a changed schema starts
/// a fresh index (rebuilt at start) instead of failing to open the old one.
const SCHEMA_DIR: &str = "products-v1";
/// The writer's indexing memory; tantivy's minimum is 15 MB, and a catalog is small.
const WRITER_BYTES: usize = 20_000_000;
/// Words of a query that are searched for; the rest are ignored (as
/// Meilisearch does past 10). Each word builds typo automata per field, so a
/// query of thousands of words would cost a core for one request.
const MAX_QUERY_WORDS: usize = 10;

struct Fields {
    id: Field,
    title: Field,
    handle: Field,
    /// Every other searchable text: subtitle, description, variants' titles
    /// and SKUs, categories, collections, tags.
    text: Field,
    status: Field,
    machine: Field,
    /// "currency amount" pairs (minor units), kept for engines' parity; not searched.
    price: Field,
    created_at: Field,
}

#[derive(Clone)]
pub struct EmbeddedSearch {
    inner: Arc<Inner>,
}

struct Inner {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    fields: Fields,
    /// A query word's other words (`AUTOMAT_SEARCH_SYNONYMS`), each as the
    /// index keeps words; a synonym of several words must match them all.
    synonyms: HashMap<String, Vec<Vec<String>>>,
}

fn engine(e: impl std::fmt::Display) -> SearchError {
    SearchError::Engine(e.to_string())
}

impl EmbeddedSearch {
    /// Opens the index under `dir`, creating it (empty) if there is none.
    /// Fails while another process holds it.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        Self::open_with_synonyms(dir, HashMap::new())
    }

    /// [`EmbeddedSearch::open`], a query word also finding its synonyms.
    pub fn open_with_synonyms(
        dir: &Path,
        synonyms: HashMap<String, Vec<String>>,
    ) -> Result<Self, SearchError> {
        let path: PathBuf = dir.join(SCHEMA_DIR);
        std::fs::create_dir_all(&path)
            .map_err(|e| engine(format!("cannot create {}: {e}", path.display())))?;
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(&path).map_err(engine)?;
        let index = Index::open_or_create(directory, schema).map_err(engine)?;
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
        );
        let writer = index
            .writer_with_num_threads(1, WRITER_BYTES)
            .map_err(|e| {
                engine(format!(
                    "cannot write the search index in {} (is another server using it?): {e}",
                    path.display()
                ))
            })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(engine)?;
        let mut search = Self {
            inner: Arc::new(Inner {
                index,
                reader,
                writer: Mutex::new(writer),
                fields,
                synonyms: HashMap::new(),
            }),
        };
        let mut known: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        for (word, others) in &synonyms {
            if let [word] = search.words(word).as_slice() {
                let entry = known.entry(word.clone()).or_default();
                entry.extend(
                    others
                        .iter()
                        .map(|o| search.words(o))
                        .filter(|w| !w.is_empty()),
                );
            }
        }
        Arc::get_mut(&mut search.inner)
            .expect("not shared yet")
            .synonyms = known;
        Ok(search)
    }

    /// Runs `change` on the writer, commits, and makes the change visible to searches.
    async fn write(
        &self,
        change: impl FnOnce(&IndexWriter<TantivyDocument>, &Fields) -> tantivy::Result<()>
        + Send
        + 'static,
    ) -> Result<(), SearchError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = inner
                .writer
                .lock()
                .map_err(|_| engine("the search writer panicked"))?;
            change(&writer, &inner.fields).map_err(engine)?;
            writer.commit().map_err(engine)?;
            inner.reader.reload().map_err(engine)
        })
        .await
        .map_err(engine)?
    }

    /// The words of `text` as the index keeps them.
    fn words(&self, text: &str) -> Vec<String> {
        let mut analyzer = self
            .inner
            .index
            .tokenizers()
            .get(TOKENIZER)
            .expect("registered at open");
        let mut stream = analyzer.token_stream(text);
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        words
    }

    /// Documents matching every word of `text` in one of `fields` (the
    /// first weighs most); the last word also matches as a prefix.
    fn query(&self, text: &str, fields: &[Field]) -> Option<BooleanQuery> {
        let mut words = self.words(text);
        words.truncate(MAX_QUERY_WORDS);
        let last = words.len().checked_sub(1)?;
        let clauses = words
            .iter()
            .enumerate()
            .map(|(n, word)| {
                let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (rank, field) in fields.iter().enumerate() {
                    let weight = if rank == 0 { 3.0 } else { 1.0 };
                    let term = Term::from_field_text(*field, word);
                    // An exact word scores by its relevance (BM25); typos and
                    // prefixes only add a constant, so exact matches rank first.
                    alternatives.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                            weight,
                        )),
                    ));
                    let distance = typo_distance(word);
                    if distance > 0 {
                        alternatives.push((
                            Occur::Should,
                            Box::new(FuzzyTermQuery::new(term.clone(), distance, true)),
                        ));
                    }
                    if n == last {
                        alternatives.push((
                            Occur::Should,
                            Box::new(FuzzyTermQuery::new_prefix(term, 0, true)),
                        ));
                    }
                    for synonym in self.inner.synonyms.get(word).into_iter().flatten() {
                        let all_words: Vec<(Occur, Box<dyn Query>)> = synonym
                            .iter()
                            .map(|w| {
                                let term = Term::from_field_text(*field, w);
                                (
                                    Occur::Must,
                                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
                                        as Box<dyn Query>,
                                )
                            })
                            .collect();
                        alternatives.push((Occur::Should, Box::new(BooleanQuery::new(all_words))));
                    }
                }
                (
                    Occur::Must,
                    Box::new(BooleanQuery::new(alternatives)) as Box<dyn Query>,
                )
            })
            .collect();
        Some(BooleanQuery::new(clauses))
    }

    fn run(&self, query: Option<BooleanQuery>, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let Some(query) = query else {
            return Ok(Vec::new());
        };
        let limit = limit.clamp(1, domain::search::MAX_HITS);
        let searcher = self.inner.reader.searcher();
        let found = searcher
            .search(&query, &TopDocs::with_limit(limit).order_by_score())
            .map_err(engine)?;
        let f = &self.inner.fields;
        found
            .into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address).map_err(engine)?;
                let text = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                Ok(Hit {
                    product_id: text(f.id),
                    title: text(f.title),
                    handle: text(f.handle),
                })
            })
            .collect()
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let words = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let searchable = TextOptions::default().set_indexing_options(words.clone());
    let searchable_stored = searchable.clone().set_stored();
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        title: builder.add_text_field("title", searchable_stored.clone()),
        handle: builder.add_text_field("handle", searchable_stored),
        text: builder.add_text_field("text", searchable),
        status: builder.add_text_field("status", STRING | STORED),
        machine: builder.add_text_field("machine", STRING | STORED),
        price: builder.add_text_field("price", STORED),
        created_at: builder.add_i64_field("created_at", INDEXED | STORED),
    };
    (builder.build(), fields)
}

fn to_document(d: &ProductDocument, f: &Fields) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &d.id);
    doc.add_text(f.title, &d.title);
    doc.add_text(f.handle, &d.handle);
    doc.add_text(f.status, &d.status);
    let texts = d
        .subtitle
        .iter()
        .chain(&d.description)
        .chain(&d.variant_titles)
        .chain(&d.skus)
        .chain(&d.categories)
        .chain(&d.collections)
        .chain(&d.tags);
    for text in texts {
        doc.add_text(f.text, text);
    }
    for machine in &d.machine_ids {
        doc.add_text(f.machine, machine);
    }
    for (currency, amount) in &d.prices {
        doc.add_text(f.price, format!("{currency} {amount}"));
    }
    doc.add_i64(f.created_at, d.created_at.timestamp_millis());
    doc
}

#[async_trait]
impl ProductSearch for EmbeddedSearch {
    async fn upsert(&self, documents: Vec<ProductDocument>) -> Result<(), SearchError> {
        self.write(move |writer, f| {
            for d in &documents {
                writer.delete_term(Term::from_field_text(f.id, &d.id));
                writer.add_document(to_document(d, f))?;
            }
            Ok(())
        })
        .await
    }

    async fn remove(&self, product_ids: Vec<String>) -> Result<(), SearchError> {
        self.write(move |writer, f| {
            for id in &product_ids {
                writer.delete_term(Term::from_field_text(f.id, id));
            }
            Ok(())
        })
        .await
    }

    async fn clear(&self) -> Result<(), SearchError> {
        self.write(|writer, _| writer.delete_all_documents().map(drop))
            .await
    }

    async fn count(&self) -> Result<u64, SearchError> {
        Ok(self.inner.reader.searcher().num_docs())
    }

    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let f = &self.inner.fields;
        self.run(self.query(query, &[f.title, f.handle, f.text]), limit)
    }

    async fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let f = &self.inner.fields;
        self.run(self.query(prefix, &[f.title]), limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str, title: &str, description: &str) -> ProductDocument {
        ProductDocument {
            id: id.into(),
            title: title.into(),
            subtitle: None,
            description: Some(description.into()),
            handle: title.to_lowercase().replace(' ', "-"),
            status: "published".into(),
            variant_titles: vec!["Default".into()],
            skus: vec![format!("SKU-{id}")],
            categories: vec!["Snacks".into()],
            collections: Vec::new(),
            tags: Vec::new(),
            prices: vec![("eur".into(), 250)],
            machine_ids: Vec::new(),
            created_at: chrono::Utc::now(),
        }
    }

    async fn ids(search: &EmbeddedSearch, q: &str) -> Vec<String> {
        search
            .search(q, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.product_id)
            .collect()
    }

    #[tokio::test]
    async fn a_query_searches_at_most_its_first_ten_words() {
        let dir = tempfile::tempdir().unwrap();
        let search = EmbeddedSearch::open(dir.path()).unwrap();
        let fields = [search.inner.fields.title];
        let query = search
            .query(&"chocolate ".repeat(5_000), &fields)
            .expect("words to search");
        assert_eq!(query.clauses().len(), MAX_QUERY_WORDS);
    }

    #[tokio::test]
    async fn finds_words_typos_prefixes_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let search = EmbeddedSearch::open(dir.path()).unwrap();
        search
            .upsert(vec![
                product("p1", "Dark Chocolate", "Bitter and smooth"),
                product("p2", "Iced Tea", "Peach, chilled"),
                product("p3", "Käsebrot", "Bread with cheese"),
            ])
            .await
            .unwrap();
        assert_eq!(search.count().await.unwrap(), 3);
        assert_eq!(ids(&search, "chocolate").await, ["p1"]);
        assert_eq!(ids(&search, "choclate").await, ["p1"], "a typo");
        assert_eq!(ids(&search, "choc").await, ["p1"], "a prefix");
        assert_eq!(
            ids(&search, "peach tea").await,
            ["p2"],
            "every word, any field"
        );
        assert_eq!(ids(&search, "kasebrot").await, ["p3"], "accents folded");
        assert_eq!(ids(&search, "SKU-p2").await, ["p2"]);
        assert!(
            ids(&search, "tee").await.is_empty(),
            "no typo in short words"
        );
        assert!(ids(&search, "  ,, ").await.is_empty());
        let suggested = search.suggest("dark cho", 5).await.unwrap();
        assert_eq!(suggested[0].title, "Dark Chocolate");

        search
            .upsert(vec![product("p1", "Milk Chocolate", "Sweet")])
            .await
            .unwrap();
        assert_eq!(search.count().await.unwrap(), 3, "replaced, not added");
        assert!(ids(&search, "dark").await.is_empty());
        search.remove(vec!["p1".into()]).await.unwrap();
        assert!(ids(&search, "chocolate").await.is_empty());
        search.clear().await.unwrap();
        assert_eq!(search.count().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn synonyms_find_the_other_words() {
        let dir = tempfile::tempdir().unwrap();
        let synonyms = HashMap::from([
            ("Soda".to_owned(), vec!["lemonade".to_owned()]),
            ("treat".to_owned(), vec!["dark chocolate".to_owned()]),
        ]);
        let search = EmbeddedSearch::open_with_synonyms(dir.path(), synonyms).unwrap();
        search
            .upsert(vec![
                product("p1", "Dark Chocolate", "Bitter"),
                product("p2", "Lemonade", "Fizzy"),
                product("p3", "Chocolate Milk", "Cold"),
            ])
            .await
            .unwrap();
        assert_eq!(ids(&search, "soda").await, ["p2"]);
        assert_eq!(
            ids(&search, "treat").await,
            ["p1"],
            "every word of the synonym"
        );
    }

    #[tokio::test]
    async fn reopens_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        {
            let search = EmbeddedSearch::open(dir.path()).unwrap();
            search
                .upsert(vec![product("p1", "Lemonade", "Fizzy")])
                .await
                .unwrap();
        }
        let search = EmbeddedSearch::open(dir.path()).unwrap();
        assert_eq!(ids(&search, "lemonade").await, ["p1"]);
    }
}
