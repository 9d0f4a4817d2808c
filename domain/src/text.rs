//! Free text people type (names, titles, descriptions, addresses): trimmed,
//! blank meaning absent, and never longer than its field allows, so a
//! hostile client cannot store megabytes in a name.

use crate::DomainError;

/// Names and titles.
pub const NAME_CHARS: usize = 200;
/// A street address on one line.
pub const ADDRESS_CHARS: usize = 500;
/// Descriptions and notes.
pub const DESCRIPTION_CHARS: usize = 1000;

/// The trimmed text, `None` when absent or blank; longer than `max_chars`
/// is refused, naming `what`.
pub fn optional(
    text: Option<&str>,
    what: &str,
    max_chars: usize,
) -> Result<Option<String>, DomainError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max_chars {
        return Err(DomainError::Invalid(format!(
            "{what} is too long: at most {max_chars} characters"
        )));
    }
    Ok(Some(text.to_owned()))
}

/// The trimmed text, which must be there: blank is refused with `missing`.
pub fn required(
    text: &str,
    what: &str,
    max_chars: usize,
    missing: &str,
) -> Result<String, DomainError> {
    optional(Some(text), what, max_chars)?.ok_or_else(|| DomainError::Invalid(missing.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_blank_is_absent_and_long_is_refused() {
        assert_eq!(
            optional(Some("  Fridge "), "a name", 10)
                .unwrap()
                .as_deref(),
            Some("Fridge")
        );
        assert_eq!(optional(Some("   "), "a name", 10).unwrap(), None);
        assert_eq!(optional(None, "a name", 10).unwrap(), None);
        // Characters, not bytes.
        assert!(optional(Some("ééééé"), "a name", 5).is_ok());
        let long = optional(Some("abcdef"), "a name", 5)
            .unwrap_err()
            .to_string();
        assert!(long.contains("a name is too long: at most 5"), "{long}");
        let missing = required(" ", "a name", 5, "a machine needs a name").unwrap_err();
        assert!(
            missing.to_string().contains("a machine needs a name"),
            "{missing}"
        );
    }
}
