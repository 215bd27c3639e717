//! Language tags (BCP 47, RFC 5646 §2.1, the simple shapes browsers send) and texts the
//! owner writes once per language: which one a guest reads, with the fallback.

use std::collections::BTreeMap;

/// A text in more languages than the default: tag ("ru", "pt-BR") → text. The default
/// language's text lives beside it, in the field this map translates.
pub type Translations = BTreeMap<String, String>;

/// Whether `tag` is a language tag of the shapes we accept: a 2–3 letter lower-case primary
/// subtag, then subtags of 2–8 letters or digits ("en", "pt-BR", "zh-Hant").
pub fn is_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The text for a reader of `wanted` (a tag as a browser sends it, any case): the exact
/// tag, else its primary language ("pt-BR" reads "pt"), else another region of that
/// language ("pt" reads "pt-BR"), else `default`. An empty translation counts as missing,
/// so a half-filled form falls back rather than showing nothing.
pub fn pick<'a>(default: &'a str, translations: &'a Translations, wanted: &str) -> &'a str {
    let wanted = wanted.trim().to_ascii_lowercase();
    let primary = wanted.split('-').next().unwrap_or_default();
    if primary.is_empty() {
        return default;
    }
    let filled = || translations.iter().filter(|(_, t)| !t.trim().is_empty());
    let same = |tag: &str| tag.eq_ignore_ascii_case(&wanted);
    let of_primary = |tag: &str| tag.eq_ignore_ascii_case(primary);
    let same_language = |tag: &str| {
        tag.split('-')
            .next()
            .is_some_and(|p| p.eq_ignore_ascii_case(primary))
    };
    filled()
        .find(|(tag, _)| same(tag))
        .or_else(|| filled().find(|(tag, _)| of_primary(tag)))
        .or_else(|| filled().find(|(tag, _)| same_language(tag)))
        .map_or(default, |(_, text)| text.as_str())
}

/// Checks a translation map: language tags as keys, at most `max` characters a text and
/// no control characters but new lines. The error names the offending tag.
pub fn check(translations: &Translations, max: usize) -> Result<(), String> {
    if translations.len() > 20 {
        return Err("at most 20 languages".into());
    }
    for (tag, text) in translations {
        if !is_tag(tag) {
            return Err(format!(
                "\"{tag}\" is not a language tag such as \"ru\" or \"pt-BR\""
            ));
        }
        if text.chars().count() > max || text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(format!(
                "{tag}: at most {max} characters, no control characters"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(pairs: &[(&str, &str)]) -> Translations {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_nearest_translation_wins_and_empty_ones_fall_back() {
        let t = texts(&[("ru", "Привет"), ("pt-BR", "Olá"), ("de", " ")]);
        assert_eq!(pick("Hello", &t, "ru-RU"), "Привет");
        assert_eq!(pick("Hello", &t, "RU"), "Привет");
        assert_eq!(pick("Hello", &t, "pt"), "Olá");
        assert_eq!(pick("Hello", &t, "pt-PT"), "Olá");
        assert_eq!(pick("Hello", &t, "de"), "Hello");
        assert_eq!(pick("Hello", &t, "fr"), "Hello");
        assert_eq!(pick("Hello", &t, ""), "Hello");
    }

    #[test]
    fn an_exact_region_beats_the_bare_language() {
        let t = texts(&[("pt", "Olá (PT)"), ("pt-BR", "Oi")]);
        assert_eq!(pick("Hello", &t, "pt-BR"), "Oi");
        assert_eq!(pick("Hello", &t, "pt-AO"), "Olá (PT)");
    }

    #[test]
    fn keys_must_be_tags_and_texts_bounded() {
        assert!(check(&texts(&[("ru", "ok")]), 10).is_ok());
        assert!(check(&texts(&[("Russian", "ok")]), 10)
            .unwrap_err()
            .contains("Russian"));
        assert!(check(&texts(&[("ru", "a\u{7}b")]), 10).is_err());
        assert!(check(&texts(&[("ru", "long text here")]), 5).is_err());
    }
}
