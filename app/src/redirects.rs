//! Where a sign-in sends the browser next.

/// `next` when it is a path on this site; `None` for anything a browser could
/// read as another site's address: `//host`, `/\host` (browsers read `\` as
/// `/`), `https://host`, or a path with control characters or whitespace
/// (browsers drop tabs and newlines, so `/\t/host` is `//host` to them).
pub fn same_site_path(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let local = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    local.then_some(next)
}

/// Where a page's form returns: `back` when it is `page` itself (any query),
/// `page` for anything else, another site or another page alike.
pub fn back_to_page<'a>(back: &'a str, page: &'a str) -> &'a str {
    same_site_path(back)
        .filter(|path| path.split(['?', '#']).next() == Some(page))
        .unwrap_or(page)
}

/// `value` percent-encoded for a query string (all but letters, digits,
/// `-._~` and `/`).
pub fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{back_to_page, query_value, same_site_path};

    #[test]
    fn a_form_returns_only_to_its_own_page() {
        let page = "/admin/shipping-options";
        assert_eq!(
            back_to_page("/admin/shipping-options?page=2", page),
            "/admin/shipping-options?page=2"
        );
        for elsewhere in [
            "/admin/users",
            "//evil.example/admin/shipping-options",
            "https://evil.example",
            "/admin/shipping-options-x",
        ] {
            assert_eq!(back_to_page(elsewhere, page), page, "{elsewhere}");
        }
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(query_value("/admin/orders"), "/admin/orders");
        assert_eq!(
            query_value("/admin/orders?status=open&q=a b"),
            "/admin/orders%3Fstatus%3Dopen%26q%3Da%20b"
        );
    }

    #[test]
    fn paths_of_this_site_are_kept() {
        for path in [
            "/",
            "/account",
            "/machines/vm-001",
            "/admin/orders?status=open#top",
            "/%2F/x",
        ] {
            assert_eq!(same_site_path(path), Some(path));
        }
    }

    #[test]
    fn anything_that_could_lead_to_another_site_is_refused() {
        for next in [
            "",
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " /account",
            "/\\evil.example",
            "\\\\evil.example",
            "/account\\..\\",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/\u{3000}/evil.example",
        ] {
            assert_eq!(same_site_path(next), None, "{next:?}");
        }
    }
}
