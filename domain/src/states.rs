//! Closed sets kept in a column (statuses, states, kinds) are Rust enums that
//! sea-orm maps to words (`#[derive(DeriveActiveEnum)]` with
//! `rs_type = "String"`): the same text column on SQLite and PostgreSQL, no
//! database enum type, so the stored words are the ones written before these
//! enums existed. Each also derives serde with the same words, so JSON shows
//! what the database holds (`assert_words` in each module's tests pins both).

use sea_orm::ActiveEnum;
/// Lists a set's variants (`State::iter()`), for crates without sea-orm.
pub use sea_orm::Iterable;

use crate::DomainError;

/// Shows each of these enums as its stored word (`to_string()`), for CSV
/// cells, logs, error messages and the Leptos pages' plain-string fields.
macro_rules! display_as_word {
    ($($ty:ty),+ $(,)?) => {$(
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&::sea_orm::ActiveEnum::to_value(self))
            }
        }
    )+};
}
pub(crate) use display_as_word;

/// `word` read as one of `E`'s words (from a query string, a form, a
/// device); `what` names the set in the error, e.g. "a session state".
pub fn parse<E: ActiveEnum<Value = String>>(word: &str, what: &str) -> Result<E, DomainError> {
    E::try_from_value(&word.to_owned())
        .map_err(|_| DomainError::Invalid(format!("{word:?} is not {what}")))
}

/// `E`'s variants, in order, are stored as `words` and shown in JSON as the
/// same words: the words are data already written (no migration renames
/// them) and API answers (Medusa's shapes), so a rename on either side must
/// fail a test rather than pass the compiler.
#[cfg(test)]
pub(crate) fn assert_words<E>(words: &[&str])
where
    E: ActiveEnum<Value = String> + serde::Serialize + std::fmt::Debug,
{
    let stored: Vec<String> = E::iter().map(|v| v.to_value()).collect();
    assert_eq!(stored, words);
    for variant in E::iter() {
        let json = serde_json::to_value(&variant).expect("serializes");
        assert_eq!(
            json,
            serde_json::Value::String(variant.to_value()),
            "{variant:?}"
        );
        let back: E = parse(&variant.to_value(), "a word").expect("parses");
        assert_eq!(back.to_value(), variant.to_value());
    }
    assert!(parse::<E>("no such word", "a word").is_err());
}
