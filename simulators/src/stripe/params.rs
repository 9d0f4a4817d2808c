//! Stripe's request encoding: `application/x-www-form-urlencoded` with
//! nested keys (`metadata[cart_id]=…`, `card[number]=…`) and lists
//! (`payment_method_types[]=card`, `expand[0]=latest_charge`), read into a
//! tree of strings, and an accessor that reads it the way Stripe validates:
//! missing, malformed and unknown parameters are refused by name.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::ApiError;

/// Reads a form body or query string into a tree whose leaves are strings.
/// A list is kept as an object keyed by position (`"0"`, `"1"`, …).
pub fn parse_form(input: &str) -> Result<Map<String, Value>, ApiError> {
    let mut root = Map::new();
    for (key, value) in form_urlencoded::parse(input.as_bytes()) {
        let path = split_key(&key)
            .ok_or_else(|| ApiError::invalid_request(format!("Invalid parameter name: {key}")))?;
        insert(&mut root, &path, value.into_owned(), &key)?;
    }
    Ok(root)
}

/// `a[b][]` → `["a", "b", ""]`.
fn split_key(key: &str) -> Option<Vec<&str>> {
    let (root, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if root.is_empty() {
        return None;
    }
    let mut path = vec![root];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        path.push(&inner[..end]);
        rest = &inner[end + 1..];
    }
    Some(path)
}

fn insert(
    node: &mut Map<String, Value>,
    path: &[&str],
    value: String,
    full: &str,
) -> Result<(), ApiError> {
    let conflict = || {
        ApiError::invalid_request(format!(
            "Invalid value for {full}: it is both a value and a hash."
        ))
    };
    let key = match path[0] {
        // `list[]` appends.
        "" => node.len().to_string(),
        k => k.to_owned(),
    };
    if path.len() == 1 {
        if node.get(&key).is_some_and(Value::is_object) {
            return Err(conflict());
        }
        node.insert(key, Value::String(value));
        return Ok(());
    }
    let child = node.entry(key).or_insert_with(|| Value::Object(Map::new()));
    match child {
        Value::Object(map) => insert(map, &path[1..], value, full),
        _ => Err(conflict()),
    }
}

/// A metadata change: Stripe replaces keys one by one, deletes a key given
/// an empty value, and clears all on `metadata=""`.
#[derive(Debug, Clone)]
pub enum MetadataUpdate {
    Clear,
    Set(BTreeMap<String, String>),
}

impl MetadataUpdate {
    pub fn apply(self, metadata: &mut BTreeMap<String, String>) {
        match self {
            MetadataUpdate::Clear => metadata.clear(),
            MetadataUpdate::Set(entries) => {
                for (k, v) in entries {
                    if v.is_empty() {
                        metadata.remove(&k);
                    } else {
                        metadata.insert(k, v);
                    }
                }
            }
        }
    }

    pub fn into_new(self) -> BTreeMap<String, String> {
        let mut metadata = BTreeMap::new();
        self.apply(&mut metadata);
        metadata
    }
}

/// The parameters of one request, taken one by one; what is left over at
/// [`finish`](Params::finish) is an unknown parameter.
#[derive(Debug, Default)]
pub struct Params {
    map: Map<String, Value>,
    /// `billing_details[address]` for a nested hash, empty at the top.
    prefix: String,
}

impl Params {
    pub fn new(map: Map<String, Value>) -> Self {
        Self {
            map,
            prefix: String::new(),
        }
    }

    fn name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}[{key}]", self.prefix)
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn string(&mut self, key: &str) -> Result<Option<String>, ApiError> {
        match self.map.remove(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid_request(format!(
                "Invalid string: {} must be a string, not a hash or list.",
                self.name(key)
            ))
            .param(self.name(key))),
        }
    }

    pub fn required_string(&mut self, key: &str) -> Result<String, ApiError> {
        match self.string(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ApiError::missing(&self.name(key))),
        }
    }

    /// A string that may be emptied: `Some(None)` for `key=` (unset).
    pub fn nullable_string(&mut self, key: &str) -> Result<Option<Option<String>>, ApiError> {
        Ok(self.string(key)?.map(|s| (!s.is_empty()).then_some(s)))
    }

    pub fn integer(&mut self, key: &str) -> Result<Option<i64>, ApiError> {
        let name = self.name(key);
        self.string(key)?
            .map(|s| {
                s.parse::<i64>().map_err(|_| {
                    ApiError::invalid_request(format!("Invalid integer: {s}"))
                        .code("parameter_invalid_integer")
                        .param(name)
                })
            })
            .transpose()
    }

    pub fn required_integer(&mut self, key: &str) -> Result<i64, ApiError> {
        let name = self.name(key);
        self.integer(key)?.ok_or_else(|| ApiError::missing(&name))
    }

    /// A positive amount in minor units.
    pub fn amount(&mut self, key: &str) -> Result<Option<i64>, ApiError> {
        let name = self.name(key);
        match self.integer(key)? {
            Some(a) if a < 1 => Err(ApiError::invalid_request(format!(
                "Invalid positive integer: {name} must be at least 1."
            ))
            .code("parameter_invalid_integer")
            .param(name)),
            other => Ok(other),
        }
    }

    pub fn boolean(&mut self, key: &str) -> Result<Option<bool>, ApiError> {
        let name = self.name(key);
        self.string(key)?
            .map(|s| match s.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ApiError::invalid_request(format!("Invalid boolean: {s}")).param(name)),
            })
            .transpose()
    }

    /// One of `allowed`.
    pub fn one_of(&mut self, key: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        let name = self.name(key);
        match self.string(key)? {
            Some(s) if !allowed.contains(&s.as_str()) => Err(ApiError::invalid_request(format!(
                "Invalid {name}: must be one of {}",
                allowed.join(", ")
            ))
            .param(name)),
            other => Ok(other),
        }
    }

    /// A list: `key[]=a&key[]=b`, `key[0]=a&key[1]=b`, or (like Stripe) one bare value.
    pub fn list(&mut self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        let name = self.name(key);
        match self.map.remove(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(Some(Vec::new())),
            Some(Value::String(s)) => Ok(Some(vec![s])),
            Some(Value::Object(items)) => {
                let mut indexed = Vec::with_capacity(items.len());
                for (k, v) in items {
                    let (Ok(index), Value::String(s)) = (k.parse::<usize>(), v) else {
                        return Err(
                            ApiError::invalid_request(format!("Invalid array: {name}")).param(name)
                        );
                    };
                    indexed.push((index, s));
                }
                indexed.sort_by_key(|(i, _)| *i);
                Ok(Some(indexed.into_iter().map(|(_, s)| s).collect()))
            }
            Some(_) => Err(ApiError::invalid_request(format!("Invalid array: {name}")).param(name)),
        }
    }

    /// A nested hash (`card[number]=…`), read with its own accessor.
    pub fn hash(&mut self, key: &str) -> Result<Option<Params>, ApiError> {
        let name = self.name(key);
        match self.map.remove(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Params { map, prefix: name })),
            // `key=` unsets a hash.
            Some(Value::String(s)) if s.is_empty() => Ok(Some(Params {
                map: Map::new(),
                prefix: name,
            })),
            Some(_) => Err(ApiError::invalid_request(format!(
                "Invalid object: {name} must be a hash."
            ))
            .param(name)),
        }
    }

    /// The hash as plain JSON (strings), for values the simulator stores but
    /// does not interpret (billing details, shipping).
    pub fn raw_hash(&mut self, key: &str) -> Result<Option<Value>, ApiError> {
        Ok(self.hash(key)?.map(|p| Value::Object(p.map)))
    }

    pub fn metadata(&mut self) -> Result<Option<MetadataUpdate>, ApiError> {
        let name = self.name("metadata");
        match self.map.remove("metadata") {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(Some(MetadataUpdate::Clear)),
            Some(Value::Object(entries)) => {
                if entries.len() > 50 {
                    return Err(ApiError::invalid_request(
                        "You can have at most 50 metadata keys.",
                    )
                    .param(name));
                }
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let Value::String(v) = v else {
                        return Err(ApiError::invalid_request(format!(
                            "Invalid value for metadata[{k}]: metadata values must be strings."
                        ))
                        .param(format!("{name}[{k}]")));
                    };
                    if k.chars().count() > 40 {
                        return Err(ApiError::invalid_request(format!(
                            "Metadata keys can have up to 40 characters; {k} has more."
                        ))
                        .param(format!("{name}[{k}]")));
                    }
                    if v.chars().count() > 500 {
                        return Err(ApiError::invalid_request(format!(
                            "Metadata values can have up to 500 characters, but you passed in a value that is {} characters.",
                            v.chars().count()
                        ))
                        .param(format!("{name}[{k}]")));
                    }
                    out.insert(k, v);
                }
                Ok(Some(MetadataUpdate::Set(out)))
            }
            Some(_) => Err(ApiError::invalid_request("Invalid hash: metadata").param(name)),
        }
    }

    /// Parameters Stripe accepts that the simulator does not model.
    pub fn ignore(&mut self, keys: &[&str]) {
        for key in keys {
            self.map.remove(*key);
        }
    }

    /// Refuses what nobody took, as Stripe refuses unknown parameters.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => {
                let name = if self.prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{}[{key}]", self.prefix)
                };
                Err(
                    ApiError::invalid_request(format!("Received unknown parameter: {name}"))
                        .code("parameter_unknown")
                        .param(name),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys_lists_and_percent_encoding() {
        let map = parse_form(
            "amount=1000&metadata[cart_id]=cart_1&metadata%5Bsession%5D=ps%201\
             &payment_method_types[]=card&payment_method_types[]=link&expand[0]=latest_charge",
        )
        .unwrap();
        let mut p = Params::new(map);
        assert_eq!(p.required_integer("amount").unwrap(), 1000);
        let metadata = p.metadata().unwrap().unwrap().into_new();
        assert_eq!(metadata["cart_id"], "cart_1");
        assert_eq!(metadata["session"], "ps 1");
        assert_eq!(
            p.list("payment_method_types").unwrap().unwrap(),
            vec!["card", "link"]
        );
        assert_eq!(p.list("expand").unwrap().unwrap(), vec!["latest_charge"]);
        p.finish().unwrap();
    }

    #[test]
    fn unknown_and_malformed_parameters_are_refused_by_name() {
        let mut p = Params::new(parse_form("amount=ten&card[numbr]=4242").unwrap());
        let err = p.integer("amount").unwrap_err();
        assert_eq!(err.body["code"], "parameter_invalid_integer");
        assert_eq!(err.body["param"], "amount");
        let mut card = p.hash("card").unwrap().unwrap();
        assert!(card.string("number").unwrap().is_none());
        let err = card.finish().unwrap_err();
        assert_eq!(err.body["param"], "card[numbr]");
        assert_eq!(err.body["code"], "parameter_unknown");
    }

    #[test]
    fn a_key_cannot_be_a_value_and_a_hash() {
        assert!(parse_form("metadata=x&metadata[a]=b").is_err());
        assert!(parse_form("metadata[a]=b&metadata=x").is_err());
        assert!(parse_form("[a]=b").is_err());
    }
}
