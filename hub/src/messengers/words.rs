//! What the hub itself says to a guest on a messenger, in the guest's language (en, ru, de,
//! fr, es, pt; English for the rest).

/// The language's first subtag, lower case (`ru-RU` → `ru`).
fn base(lang: &str) -> String {
    lang.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The answer to a guest who opened the chat (a deep link or Start) without writing yet.
pub(super) fn greeting(lang: &str, hotel: &str, unit: Option<&str>) -> String {
    let unit = unit.unwrap_or_default();
    let (hello, here) = match base(lang).as_str() {
        "ru" => (
            "Здравствуйте! Это",
            "Напишите здесь — команда ответит в этом чате.",
        ),
        "de" => (
            "Hallo! Hier ist",
            "Schreiben Sie hier, unser Team antwortet in diesem Chat.",
        ),
        "fr" => (
            "Bonjour ! Ici",
            "Écrivez ici, notre équipe vous répond dans ce chat.",
        ),
        "es" => (
            "¡Hola! Le atiende",
            "Escriba aquí y nuestro equipo le responderá en este chat.",
        ),
        "pt" => (
            "Olá! Aqui é",
            "Escreva aqui e a nossa equipa responde neste chat.",
        ),
        _ => (
            "Hello! This is",
            "Write here and our team will answer in this chat.",
        ),
    };
    let room = if unit.is_empty() {
        String::new()
    } else {
        format!(" ({unit})")
    };
    format!("{hello} {hotel}{room}. {here}")
}

/// Asked once when a guest writes on WhatsApp with no room known (wa.me links carry no
/// hidden parameter).
pub(super) fn which_room(lang: &str) -> &'static str {
    match base(lang).as_str() {
        "ru" => "В каком номере вы остановились? Так мы быстрее поможем.",
        "de" => "In welchem Zimmer wohnen Sie? So können wir schneller helfen.",
        "fr" => "Dans quelle chambre séjournez-vous ? Nous pourrons vous aider plus vite.",
        "es" => "¿En qué habitación se aloja? Así podremos ayudarle antes.",
        "pt" => "Em que quarto está hospedado? Assim ajudamos mais depressa.",
        _ => "Which room are you staying in? It helps us help you faster.",
    }
}

/// The text WhatsApp's link fills in for a guest in `unit`, carrying its code in brackets.
pub(super) fn whatsapp_text(lang: &str, unit: &str, code: &str) -> String {
    let hello = match base(lang).as_str() {
        "ru" => "Здравствуйте! Я в номере",
        "de" => "Hallo! Ich bin in Zimmer",
        "fr" => "Bonjour ! Je suis dans la chambre",
        "es" => "¡Hola! Estoy en la habitación",
        "pt" => "Olá! Estou no quarto",
        _ => "Hello! I am in room",
    };
    format!("{hello} {unit} [{code}]")
}

/// A guess at a WhatsApp guest's language from their number's country calling code (ITU-T
/// E.164 assignments), since WhatsApp reports none; empty when the code says nothing.
pub(super) fn language_of_number(digits: &str) -> &'static str {
    const CODES: &[(&str, &str)] = &[
        ("351", "pt"),
        ("244", "pt"),
        ("258", "pt"),
        ("55", "pt"),
        ("375", "ru"),
        ("7", "ru"),
        ("49", "de"),
        ("43", "de"),
        ("33", "fr"),
        ("34", "es"),
        ("52", "es"),
        ("54", "es"),
        ("56", "es"),
        ("57", "es"),
        ("51", "es"),
        ("353", "en"),
        ("44", "en"),
        ("61", "en"),
        ("64", "en"),
        ("1", "en"),
    ];
    CODES
        .iter()
        .filter(|(code, _)| digits.starts_with(code))
        .max_by_key(|(code, _)| code.len())
        .map(|(_, lang)| *lang)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_numbers_country_code_gives_a_language() {
        assert_eq!(super::language_of_number("351961234567"), "pt");
        assert_eq!(super::language_of_number("79161234567"), "ru");
        assert_eq!(super::language_of_number("375291234567"), "ru");
        assert_eq!(super::language_of_number("4915112345678"), "de");
        assert_eq!(super::language_of_number("12025550123"), "en");
        assert_eq!(super::language_of_number("30691234567"), "");
    }
}
