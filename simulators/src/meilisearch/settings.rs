//! An index's settings as Meilisearch keeps them: read whole
//! (`GET /indexes/{uid}/settings`), changed field by field (`PATCH`, where
//! `null` resets a field), each field's type checked before a task is made.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::MeiliError;

pub const DEFAULT_RANKING_RULES: [&str; 6] = [
    "words",
    "typo",
    "proximity",
    "attribute",
    "sort",
    "exactness",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub searchable: Vec<String>,
    pub displayed: Vec<String>,
    pub filterable: Vec<String>,
    pub sortable: Vec<String>,
    pub ranking_rules: Vec<String>,
    pub stop_words: Vec<String>,
    pub synonyms: BTreeMap<String, Vec<String>>,
    pub distinct: Option<String>,
    pub typo_enabled: bool,
    pub one_typo: u8,
    pub two_typos: u8,
    pub typo_off_words: Vec<String>,
    pub typo_off_attributes: Vec<String>,
    pub max_total_hits: usize,
    pub max_values_per_facet: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            searchable: vec!["*".into()],
            displayed: vec!["*".into()],
            filterable: Vec::new(),
            sortable: Vec::new(),
            ranking_rules: DEFAULT_RANKING_RULES.map(String::from).to_vec(),
            stop_words: Vec::new(),
            synonyms: BTreeMap::new(),
            distinct: None,
            typo_enabled: true,
            one_typo: 5,
            two_typos: 9,
            typo_off_words: Vec::new(),
            typo_off_attributes: Vec::new(),
            max_total_hits: 1000,
            max_values_per_facet: 100,
        }
    }
}

fn invalid(field: &str, message: String) -> MeiliError {
    let code = format!("invalid_settings_{}", snake(field));
    MeiliError::bad_request(&code, message)
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn strings(field: &str, value: &Value) -> Result<Vec<String>, MeiliError> {
    let Value::Array(items) = value else {
        return Err(invalid(
            field,
            format!("Invalid value type at `.{field}`: expected an array, but found `{value}`."),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(n, item)| match item {
            Value::String(s) => Ok(s.clone()),
            other => Err(invalid(
                field,
                format!(
                    "Invalid value type at `.{field}[{n}]`: expected a string, but found `{other}`."
                ),
            )),
        })
        .collect()
}

/// `filterableAttributes` items are names, or `{ attributePatterns: [..] }`.
fn filterable(value: &Value) -> Result<Vec<String>, MeiliError> {
    let field = "filterableAttributes";
    let Value::Array(items) = value else {
        return Err(invalid(
            field,
            format!("Invalid value type at `.{field}`: expected an array, but found `{value}`."),
        ));
    };
    let mut names = Vec::new();
    for item in items {
        match item {
            Value::String(s) => names.push(s.clone()),
            Value::Object(o) => names.extend(strings(
                field,
                o.get("attributePatterns").unwrap_or(&Value::Null),
            )?),
            other => {
                return Err(invalid(
                    field,
                    format!(
                        "Invalid value type at `.{field}`: expected a string or an object, but found `{other}`."
                    ),
                ));
            }
        }
    }
    Ok(names)
}

fn small_number(field: &str, value: &Value) -> Result<u8, MeiliError> {
    value
        .as_u64()
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| {
            invalid(
                "typoTolerance",
                format!("Invalid value type at `.typoTolerance.minWordSizeForTypos.{field}`: expected a positive integer, but found `{value}`."),
            )
        })
}

impl Settings {
    pub fn to_json(&self) -> Value {
        json!({
            "displayedAttributes": self.displayed,
            "searchableAttributes": self.searchable,
            "filterableAttributes": self.filterable,
            "sortableAttributes": self.sortable,
            "rankingRules": self.ranking_rules,
            "stopWords": self.stop_words,
            "nonSeparatorTokens": [],
            "separatorTokens": [],
            "dictionary": [],
            "synonyms": self.synonyms,
            "distinctAttribute": self.distinct,
            "proximityPrecision": "byWord",
            "typoTolerance": {
                "enabled": self.typo_enabled,
                "minWordSizeForTypos": { "oneTypo": self.one_typo, "twoTypos": self.two_typos },
                "disableOnWords": self.typo_off_words,
                "disableOnAttributes": self.typo_off_attributes,
                "disableOnNumbers": false
            },
            "faceting": { "maxValuesPerFacet": self.max_values_per_facet, "sortFacetValuesBy": { "*": "alpha" } },
            "pagination": { "maxTotalHits": self.max_total_hits },
            "embedders": {},
            "searchCutoffMs": null,
            "localizedAttributes": null,
            "facetSearch": true,
            "prefixSearch": "indexingTime"
        })
    }

    /// Applies a `PATCH` body: each field present replaces the current one,
    /// `null` restores the default.
    pub fn patch(&mut self, body: &Map<String, Value>) -> Result<(), MeiliError> {
        let defaults = Settings::default();
        for (field, value) in body {
            let reset = value.is_null();
            match field.as_str() {
                "searchableAttributes" => {
                    self.searchable = if reset {
                        defaults.searchable.clone()
                    } else {
                        strings(field, value)?
                    }
                }
                "displayedAttributes" => {
                    self.displayed = if reset {
                        defaults.displayed.clone()
                    } else {
                        strings(field, value)?
                    }
                }
                "filterableAttributes" => {
                    self.filterable = if reset {
                        Vec::new()
                    } else {
                        filterable(value)?
                    }
                }
                "sortableAttributes" => {
                    self.sortable = if reset {
                        Vec::new()
                    } else {
                        strings(field, value)?
                    }
                }
                "stopWords" => {
                    self.stop_words = if reset {
                        Vec::new()
                    } else {
                        strings(field, value)?
                    }
                }
                "rankingRules" => {
                    self.ranking_rules = if reset {
                        defaults.ranking_rules.clone()
                    } else {
                        let rules = strings(field, value)?;
                        for rule in &rules {
                            let known = DEFAULT_RANKING_RULES.contains(&rule.as_str())
                                || rule.ends_with(":asc")
                                || rule.ends_with(":desc");
                            if !known {
                                return Err(invalid(
                                    field,
                                    format!(
                                        "Invalid value at `.rankingRules`: `{rule}` ranking rule is invalid. Valid ranking rules are words, typo, sort, proximity, attribute, exactness and custom ranking rules."
                                    ),
                                ));
                            }
                        }
                        rules
                    }
                }
                "synonyms" => {
                    self.synonyms = if reset {
                        BTreeMap::new()
                    } else {
                        let Value::Object(map) = value else {
                            return Err(invalid(
                                field,
                                format!(
                                    "Invalid value type at `.synonyms`: expected an object, but found `{value}`."
                                ),
                            ));
                        };
                        let mut synonyms = BTreeMap::new();
                        for (word, alternatives) in map {
                            synonyms.insert(word.clone(), strings(field, alternatives)?);
                        }
                        synonyms
                    }
                }
                "distinctAttribute" => {
                    self.distinct = match value {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        other => {
                            return Err(invalid(
                                field,
                                format!(
                                    "Invalid value type at `.distinctAttribute`: expected a string, but found `{other}`."
                                ),
                            ));
                        }
                    }
                }
                "typoTolerance" => self.patch_typos(value)?,
                "pagination" => {
                    self.max_total_hits = if reset {
                        defaults.max_total_hits
                    } else {
                        value
                            .get("maxTotalHits")
                            .and_then(Value::as_u64)
                            .map(|n| n as usize)
                            .unwrap_or(self.max_total_hits)
                    }
                }
                "faceting" => {
                    self.max_values_per_facet = if reset {
                        defaults.max_values_per_facet
                    } else {
                        value
                            .get("maxValuesPerFacet")
                            .and_then(Value::as_u64)
                            .map(|n| n as usize)
                            .unwrap_or(self.max_values_per_facet)
                    }
                }
                // Accepted and kept at their defaults: the stand-in has no use for them.
                "nonSeparatorTokens"
                | "separatorTokens"
                | "dictionary"
                | "proximityPrecision"
                | "embedders"
                | "searchCutoffMs"
                | "localizedAttributes"
                | "facetSearch"
                | "prefixSearch" => {}
                other => {
                    return Err(MeiliError::bad_request(
                        "bad_request",
                        format!(
                            "Unknown field `{other}`: expected one of `displayedAttributes`, `searchableAttributes`, `filterableAttributes`, `sortableAttributes`, `rankingRules`, `stopWords`, `nonSeparatorTokens`, `separatorTokens`, `dictionary`, `synonyms`, `distinctAttribute`, `proximityPrecision`, `typoTolerance`, `faceting`, `pagination`, `embedders`, `searchCutoffMs`, `localizedAttributes`, `facetSearch`, `prefixSearch`"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn patch_typos(&mut self, value: &Value) -> Result<(), MeiliError> {
        let defaults = Settings::default();
        let Some(typos) = value.as_object() else {
            if value.is_null() {
                self.typo_enabled = true;
                self.one_typo = defaults.one_typo;
                self.two_typos = defaults.two_typos;
                self.typo_off_words.clear();
                self.typo_off_attributes.clear();
                return Ok(());
            }
            return Err(invalid(
                "typoTolerance",
                format!(
                    "Invalid value type at `.typoTolerance`: expected an object, but found `{value}`."
                ),
            ));
        };
        if let Some(enabled) = typos.get("enabled").filter(|v| !v.is_null()) {
            self.typo_enabled = enabled.as_bool().ok_or_else(|| {
                invalid("typoTolerance", format!("Invalid value type at `.typoTolerance.enabled`: expected a boolean, but found `{enabled}`."))
            })?;
        }
        if let Some(sizes) = typos.get("minWordSizeForTypos").and_then(Value::as_object) {
            let one = match sizes.get("oneTypo").filter(|v| !v.is_null()) {
                Some(v) => small_number("oneTypo", v)?,
                None => self.one_typo,
            };
            let two = match sizes.get("twoTypos").filter(|v| !v.is_null()) {
                Some(v) => small_number("twoTypos", v)?,
                None => self.two_typos,
            };
            if one > two {
                return Err(invalid(
                    "typoTolerance",
                    format!(
                        "`minWordSizeForTypos` setting is invalid. `oneTypo` and `twoTypos` fields should be between `0` and `255`, and `twoTypos` should be greater or equals to `oneTypo` but found `oneTypo: {one}` and twoTypos: {two}`."
                    ),
                ));
            }
            self.one_typo = one;
            self.two_typos = two;
        }
        if let Some(words) = typos.get("disableOnWords").filter(|v| !v.is_null()) {
            self.typo_off_words = strings("typoTolerance", words)?;
        }
        if let Some(attributes) = typos.get("disableOnAttributes").filter(|v| !v.is_null()) {
            self.typo_off_attributes = strings("typoTolerance", attributes)?;
        }
        Ok(())
    }

    /// Whether `attribute` (dotted) may be filtered on: named, under a named
    /// parent (`prices` covers `prices.eur`), or every attribute (`*`).
    pub fn is_filterable(&self, attribute: &str) -> bool {
        covered(&self.filterable, attribute)
    }

    pub fn is_sortable(&self, attribute: &str) -> bool {
        covered(&self.sortable, attribute)
    }
}

fn covered(names: &[String], attribute: &str) -> bool {
    names.iter().any(|name| {
        name == "*"
            || name == attribute
            || attribute
                .strip_prefix(name.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    })
}
