//! How the stand-in reads text: words split on anything not a letter or a
//! digit, lower-cased, accents folded (as Meilisearch's tokenizer does for
//! Latin scripts), and how far a query word may be from a document's word.

/// The words of `text`, normalised.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
        .collect()
}

/// Lower-cased, accents folded.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => out.push('a'),
            'ç' | 'č' | 'ć' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' => out.push('i'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'š' | 'ś' => out.push('s'),
            'ž' | 'ź' | 'ż' => out.push('z'),
            'ß' => out.push_str("ss"),
            other => out.push(other),
        }
    }
    out
}

/// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`,
/// or `None` when more than `max`. A different first letter counts twice,
/// as Meilisearch counts it.
pub fn typos(a: &str, b: &str, max: u8) -> Option<u8> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let first = u8::from(a.first() != b.first());
    let distance = edit_distance(&a, &b).saturating_add(usize::from(first));
    u8::try_from(distance).ok().filter(|d| *d <= max)
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    // Optimal string alignment: Levenshtein plus adjacent swaps.
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_lowered_and_folded() {
        assert_eq!(words("Käse-Brot, SKU-12"), ["kase", "brot", "sku", "12"]);
        assert_eq!(words("Süßwaren"), ["susswaren"]);
        assert!(words(" ,, ").is_empty());
    }

    #[test]
    fn typos_count_edits_and_the_first_letter_twice() {
        assert_eq!(typos("choclate", "chocolate", 2), Some(1));
        assert_eq!(typos("chocolaet", "chocolate", 2), Some(1), "a swap");
        assert_eq!(typos("xhocolate", "chocolate", 1), None, "first letter");
        assert_eq!(typos("xhocolate", "chocolate", 2), Some(2));
        assert_eq!(typos("tea", "tee", 0), None);
    }
}
