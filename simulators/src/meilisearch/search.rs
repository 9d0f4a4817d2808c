//! `POST /indexes/{uid}/search`: the query's words matched against the
//! searchable attributes (typos by word length, the last word as a prefix,
//! synonyms, stop words), the matching strategy, filters, sort, facets,
//! ranking by the index's ranking rules, and offset/limit or page paging
//! within `maxTotalHits`.

use std::{
    cmp::Ordering,
    collections::{BTreeMap, HashSet},
};

use serde_json::{Map, Value, json};

use super::{
    MeiliError, filter::Filter, filter::lookup, filter::values_at, settings::Settings, words,
};

/// The parameters Meilisearch knows; any other is refused, as Meilisearch does.
const KNOWN: &[&str] = &[
    "q",
    "offset",
    "limit",
    "page",
    "hitsPerPage",
    "attributesToRetrieve",
    "retrieveVectors",
    "attributesToCrop",
    "cropLength",
    "cropMarker",
    "attributesToHighlight",
    "highlightPreTag",
    "highlightPostTag",
    "showMatchesPosition",
    "filter",
    "sort",
    "distinct",
    "facets",
    "showRankingScore",
    "showRankingScoreDetails",
    "rankingScoreThreshold",
    "matchingStrategy",
    "attributesToSearchOn",
    "hybrid",
    "vector",
    "locales",
    "media",
    "showPerformanceDetails",
];

/// Meilisearch searches at most this many query words.
const MAX_QUERY_WORDS: usize = 10;

/// How one query word matched a document.
#[derive(Debug, Clone, Copy)]
struct WordMatch {
    typos: u8,
    /// Position of the best attribute among the searchable ones.
    attribute: usize,
    /// The whole word, not a prefix or a typo.
    exact: bool,
}

struct Candidate<'a> {
    order: usize,
    document: &'a Value,
    /// Query words matched (with the strategy's meaning), typos, attribute ranks, exact words.
    words: usize,
    typos: u32,
    attributes: usize,
    exact: usize,
}

fn number_param(
    body: &Map<String, Value>,
    name: &str,
    code: &str,
) -> Result<Option<usize>, MeiliError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(|n| Some(n as usize)).ok_or_else(|| {
            MeiliError::bad_request(
                code,
                format!(
                    "Invalid value type at `.{name}`: expected a positive integer, but found `{v}`."
                ),
            )
        }),
    }
}

fn string_list(
    body: &Map<String, Value>,
    name: &str,
    code: &str,
) -> Result<Option<Vec<String>>, MeiliError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    MeiliError::bad_request(code, format!("Invalid value type at `.{name}`: expected an array of strings, but found `{item}`."))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(MeiliError::bad_request(code, format!("Invalid value type at `.{name}`: expected an array, but found `{other}`."))),
    }
}

/// The searchable attributes in rank order: named, or every field of the documents.
fn searchable(settings: &Settings, documents: &[&Value]) -> Vec<String> {
    if settings.searchable.iter().any(|a| a == "*") {
        let mut seen = Vec::new();
        for document in documents {
            if let Value::Object(fields) = document {
                for name in fields.keys() {
                    if !seen.contains(name) {
                        seen.push(name.clone());
                    }
                }
            }
        }
        seen
    } else {
        settings.searchable.clone()
    }
}

/// The words of every text (and number) under `value`.
fn texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.extend(words::words(s)),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|i| texts(i, out)),
        Value::Object(fields) => fields.values().for_each(|v| texts(v, out)),
        _ => {}
    }
}

pub fn search(
    settings: &Settings,
    documents: &[&Value],
    body: &Map<String, Value>,
) -> Result<Value, MeiliError> {
    if let Some(unknown) = body.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(MeiliError::bad_request(
            "bad_request",
            format!(
                "Unknown field `{unknown}`: expected one of `{}`",
                KNOWN.join("`, `")
            ),
        ));
    }
    let q = match body.get("q") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(MeiliError::bad_request(
                "invalid_search_q",
                format!("Invalid value type at `.q`: expected a string, but found `{other}`."),
            ));
        }
    };
    let offset = number_param(body, "offset", "invalid_search_offset")?.unwrap_or(0);
    let limit = number_param(body, "limit", "invalid_search_limit")?.unwrap_or(20);
    let page = number_param(body, "page", "invalid_search_page")?;
    let hits_per_page = number_param(body, "hitsPerPage", "invalid_search_hits_per_page")?;
    let retrieve = string_list(
        body,
        "attributesToRetrieve",
        "invalid_search_attributes_to_retrieve",
    )?;
    let search_on = string_list(
        body,
        "attributesToSearchOn",
        "invalid_search_attributes_to_search_on",
    )?;
    let sort = string_list(body, "sort", "invalid_search_sort")?.unwrap_or_default();
    let facets = string_list(body, "facets", "invalid_search_facets")?.unwrap_or_default();
    let strategy = match body.get("matchingStrategy") {
        None | Some(Value::Null) => "last",
        Some(Value::String(s)) if ["last", "all", "frequency"].contains(&s.as_str()) => s.as_str(),
        Some(other) => {
            return Err(MeiliError::bad_request(
                "invalid_search_matching_strategy",
                format!(
                    "Unknown value `{other}` at `.matchingStrategy`: expected one of `last`, `all`, `frequency`."
                ),
            ));
        }
    };
    let show_score = body
        .get("showRankingScore")
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let filter = Filter::from_param(body.get("filter").unwrap_or(&Value::Null))
        .map_err(|m| MeiliError::bad_request("invalid_search_filter", m))?;
    if let Some(filter) = &filter {
        for attribute in filter.attributes() {
            if !settings.is_filterable(attribute) {
                return Err(MeiliError::bad_request(
                    "invalid_search_filter",
                    format!(
                        "Attribute `{attribute}` is not filterable. Available filterable attributes are: `{}`.",
                        settings.filterable.join(", ")
                    ),
                ));
            }
        }
    }
    let mut sort_keys = Vec::new();
    for rule in &sort {
        let (attribute, descending) = match rule.rsplit_once(':') {
            Some((a, "asc")) => (a, false),
            Some((a, "desc")) => (a, true),
            _ => {
                return Err(MeiliError::bad_request(
                    "invalid_search_sort",
                    format!(
                        "Invalid syntax for the sort parameter: expected expression ending by `:asc` or `:desc`, found `{rule}`."
                    ),
                ));
            }
        };
        if !settings.is_sortable(attribute) {
            return Err(MeiliError::bad_request(
                "invalid_search_sort",
                format!(
                    "Attribute `{attribute}` is not sortable. Available sortable attributes are: `{}`.",
                    settings.sortable.join(", ")
                ),
            ));
        }
        sort_keys.push((attribute.to_owned(), descending));
    }
    for facet in &facets {
        if !settings.is_filterable(facet) {
            return Err(MeiliError::bad_request(
                "invalid_search_facets",
                format!(
                    "Invalid facet distribution, attribute `{facet}` is not filterable. The available filterable attributes are `{}`.",
                    settings.filterable.join(", ")
                ),
            ));
        }
    }
    let mut attributes = searchable(settings, documents);
    if let Some(on) = &search_on {
        for a in on {
            if !attributes.contains(a) && !settings.searchable.iter().any(|s| s == "*") {
                return Err(MeiliError::bad_request(
                    "invalid_search_attributes_to_search_on",
                    format!(
                        "Attribute `{a}` is not searchable. Available searchable attributes are: `{}`.",
                        settings.searchable.join(", ")
                    ),
                ));
            }
        }
        attributes.retain(|a| on.contains(a));
    }

    let stop: HashSet<String> = settings.stop_words.iter().map(|w| words::fold(w)).collect();
    let mut query: Vec<String> = words::words(&q)
        .into_iter()
        .filter(|w| !stop.contains(w))
        .collect();
    query.truncate(MAX_QUERY_WORDS);
    // The last word is a prefix unless the shopper typed past it.
    let last_is_prefix = q.chars().last().is_some_and(char::is_alphanumeric);

    let mut candidates = Vec::new();
    for (order, document) in documents.iter().enumerate() {
        if filter.as_ref().is_some_and(|f| !f.matches(document)) {
            continue;
        }
        if query.is_empty() {
            candidates.push(Candidate {
                order,
                document,
                words: 0,
                typos: 0,
                attributes: 0,
                exact: 0,
            });
            continue;
        }
        let fields: Vec<Vec<String>> = attributes
            .iter()
            .map(|a| {
                let mut found = Vec::new();
                if let Some(v) = lookup(document, a) {
                    texts(v, &mut found);
                }
                found
            })
            .collect();
        let matches: Vec<Option<WordMatch>> = query
            .iter()
            .enumerate()
            .map(|(n, word)| {
                best_match(
                    settings,
                    &attributes,
                    &fields,
                    word,
                    last_is_prefix && n + 1 == query.len(),
                )
            })
            .collect();
        let counted = match strategy {
            "all" => {
                if matches.iter().all(Option::is_some) {
                    matches.len()
                } else {
                    0
                }
            }
            "frequency" => matches.iter().filter(|m| m.is_some()).count(),
            // `last`: the longest run of the query's first words all found.
            _ => matches.iter().take_while(|m| m.is_some()).count(),
        };
        if counted == 0 {
            continue;
        }
        let found: Vec<WordMatch> = matches.iter().flatten().copied().collect();
        candidates.push(Candidate {
            order,
            document,
            words: counted,
            typos: found.iter().map(|m| u32::from(m.typos)).sum(),
            attributes: found.iter().map(|m| m.attribute).sum(),
            exact: found.iter().filter(|m| m.exact).count(),
        });
    }

    candidates.sort_by(|a, b| rank(settings, &sort_keys, a, b));
    let total = candidates.len();
    let reachable = total.min(settings.max_total_hits);

    let mut facet_distribution = Map::new();
    let mut facet_stats = Map::new();
    for facet in &facets {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for c in &candidates {
            let mut seen = HashSet::new();
            for v in values_at(c.document, facet) {
                let label = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => {
                        if let Some(x) = n.as_f64() {
                            min = min.min(x);
                            max = max.max(x);
                        }
                        n.to_string()
                    }
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                if seen.insert(label.clone()) {
                    *counts.entry(label).or_default() += 1;
                }
            }
        }
        let shown: Map<String, Value> = counts
            .into_iter()
            .take(settings.max_values_per_facet)
            .map(|(k, n)| (k, json!(n)))
            .collect();
        facet_distribution.insert(facet.clone(), Value::Object(shown));
        if min.is_finite() {
            facet_stats.insert(facet.clone(), json!({ "min": min, "max": max }));
        }
    }

    let (skip, take) = match (page, hits_per_page) {
        (None, None) => (offset, limit),
        _ => {
            let page = page.unwrap_or(1);
            let per_page = hits_per_page.unwrap_or(20);
            (
                page.saturating_sub(1).saturating_mul(per_page),
                if page == 0 { 0 } else { per_page },
            )
        }
    };
    let hits: Vec<Value> = candidates
        .iter()
        .take(reachable)
        .skip(skip)
        .take(take)
        .map(|c| {
            let mut hit = shown_fields(settings, retrieve.as_deref(), c.document);
            if show_score && let Value::Object(fields) = &mut hit {
                let score = if query.is_empty() {
                    1.0
                } else {
                    c.words as f64 / query.len() as f64
                };
                fields.insert("_rankingScore".into(), json!(score));
            }
            hit
        })
        .collect();

    let mut answer = json!({
        "hits": hits,
        "query": q,
        "processingTimeMs": 0,
    });
    let fields = answer.as_object_mut().expect("an object");
    match (page, hits_per_page) {
        (None, None) => {
            fields.insert("limit".into(), json!(limit));
            fields.insert("offset".into(), json!(offset));
            fields.insert("estimatedTotalHits".into(), json!(reachable));
        }
        _ => {
            let per_page = hits_per_page.unwrap_or(20);
            fields.insert("hitsPerPage".into(), json!(per_page));
            fields.insert("page".into(), json!(page.unwrap_or(1)));
            fields.insert("totalHits".into(), json!(reachable));
            fields.insert(
                "totalPages".into(),
                json!(if per_page == 0 {
                    0
                } else {
                    reachable.div_ceil(per_page)
                }),
            );
        }
    }
    if !facets.is_empty() {
        fields.insert(
            "facetDistribution".into(),
            Value::Object(facet_distribution),
        );
        fields.insert("facetStats".into(), Value::Object(facet_stats));
    }
    Ok(answer)
}

fn best_match(
    settings: &Settings,
    attributes: &[String],
    fields: &[Vec<String>],
    word: &str,
    prefix: bool,
) -> Option<WordMatch> {
    let mut alternatives: Vec<Vec<String>> = vec![vec![word.to_owned()]];
    for (key, synonyms) in &settings.synonyms {
        if words::words(key) == [word] {
            alternatives.extend(synonyms.iter().map(|s| words::words(s)));
        }
    }
    let typo_off = !settings.typo_enabled
        || settings
            .typo_off_words
            .iter()
            .any(|w| words::fold(w) == word);
    let length = word.chars().count();
    let allowed = if typo_off {
        0
    } else if length >= usize::from(settings.two_typos) {
        2
    } else if length >= usize::from(settings.one_typo) {
        1
    } else {
        0
    };
    let mut best: Option<WordMatch> = None;
    for (rank, field) in fields.iter().enumerate() {
        let allowed = if settings.typo_off_attributes.contains(&attributes[rank]) {
            0
        } else {
            allowed
        };
        for alternative in &alternatives {
            let found = if alternative.len() > 1 {
                // A synonym of several words: all of them, exactly.
                alternative
                    .iter()
                    .all(|w| field.contains(w))
                    .then_some(WordMatch {
                        typos: 0,
                        attribute: rank,
                        exact: true,
                    })
            } else {
                let wanted = &alternative[0];
                field
                    .iter()
                    .filter_map(|candidate| {
                        if candidate == wanted {
                            return Some(WordMatch {
                                typos: 0,
                                attribute: rank,
                                exact: true,
                            });
                        }
                        if prefix {
                            let start: String =
                                candidate.chars().take(wanted.chars().count()).collect();
                            if let Some(typos) = words::typos(wanted, &start, allowed) {
                                return Some(WordMatch {
                                    typos,
                                    attribute: rank,
                                    exact: false,
                                });
                            }
                        }
                        words::typos(wanted, candidate, allowed).map(|typos| WordMatch {
                            typos,
                            attribute: rank,
                            exact: false,
                        })
                    })
                    .min_by_key(|m| (m.typos, !m.exact))
            };
            if let Some(found) = found {
                let better = best.is_none_or(|b| {
                    (found.typos, found.attribute, !found.exact) < (b.typos, b.attribute, !b.exact)
                });
                if better {
                    best = Some(found);
                }
            }
        }
    }
    best
}

fn sort_value(document: &Value, attribute: &str) -> Option<Value> {
    values_at(document, attribute)
        .into_iter()
        .find(|v| v.is_number() || v.is_string())
        .cloned()
}

fn compare_values(a: Option<Value>, b: Option<Value>, descending: bool) -> Ordering {
    match (a, b) {
        // Documents without the field come last either way.
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => {
            let order = match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                // Numbers before strings, as Meilisearch sorts them.
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => a.as_str().unwrap_or("").cmp(b.as_str().unwrap_or("")),
            };
            if descending { order.reverse() } else { order }
        }
    }
}

fn rank(settings: &Settings, sort: &[(String, bool)], a: &Candidate, b: &Candidate) -> Ordering {
    for rule in &settings.ranking_rules {
        let order = match rule.as_str() {
            "words" => b.words.cmp(&a.words),
            "typo" => a.typos.cmp(&b.typos),
            "attribute" => a.attributes.cmp(&b.attributes),
            "exactness" => b.exact.cmp(&a.exact),
            "sort" => sort
                .iter()
                .map(|(attribute, descending)| {
                    compare_values(
                        sort_value(a.document, attribute),
                        sort_value(b.document, attribute),
                        *descending,
                    )
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
            custom => match custom.rsplit_once(':') {
                Some((attribute, direction)) => compare_values(
                    sort_value(a.document, attribute),
                    sort_value(b.document, attribute),
                    direction == "desc",
                ),
                None => Ordering::Equal,
            },
        };
        if order.is_ne() {
            return order;
        }
    }
    a.order.cmp(&b.order)
}

/// The document as a hit: its displayed attributes, narrowed to those asked for.
fn shown_fields(settings: &Settings, retrieve: Option<&[String]>, document: &Value) -> Value {
    let Value::Object(fields) = document else {
        return document.clone();
    };
    let shown = |name: &String| {
        let displayed = settings.displayed.iter().any(|d| d == "*" || d == name);
        let asked = retrieve.is_none_or(|r| r.iter().any(|a| a == "*" || a == name));
        displayed && asked
    };
    Value::Object(
        fields
            .iter()
            .filter(|(k, _)| shown(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}
