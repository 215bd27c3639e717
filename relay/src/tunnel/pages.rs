//! What a browser is told when its hotel's hub cannot answer: short pages in the guest's
//! language (from `Accept-Language`, RFC 9110 §12.5.4), written as whole HTTP/1.1 responses
//! because the connection is raw bytes at that point.

/// Why the relay answers instead of the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// No hub of that name.
    Unknown,
    /// The hub's link is down.
    Offline,
    /// The hub did not answer in time.
    Silent,
    /// Too many connections (the hub's, or this address's).
    Busy,
}

const LANGUAGES: [&str; 6] = ["en", "ru", "de", "fr", "es", "pt"];

/// (title, explanation) per language, in [`LANGUAGES`] order.
fn words(trouble: Trouble) -> [(&'static str, &'static str); 6] {
    match trouble {
        Trouble::Unknown => [
            ("Hotel not found", "There is no hotel at this address. Please check the link you followed."),
            ("Отель не найден", "По этому адресу нет отеля. Проверьте, пожалуйста, ссылку."),
            ("Hotel nicht gefunden", "Unter dieser Adresse gibt es kein Hotel. Bitte prüfen Sie den Link."),
            ("Hôtel introuvable", "Aucun hôtel à cette adresse. Veuillez vérifier le lien."),
            ("Hotel no encontrado", "No hay ningún hotel en esta dirección. Compruebe el enlace, por favor."),
            ("Hotel não encontrado", "Não há nenhum hotel neste endereço. Verifique o link, por favor."),
        ],
        Trouble::Offline | Trouble::Silent => [
            ("The hotel is not reachable right now", "The hotel's system is offline for the moment. Please try again in a few minutes; your messages are not lost."),
            ("Отель сейчас недоступен", "Система отеля временно не в сети. Попробуйте, пожалуйста, через несколько минут; ваши сообщения не потеряются."),
            ("Das Hotel ist gerade nicht erreichbar", "Das System des Hotels ist vorübergehend offline. Bitte versuchen Sie es in ein paar Minuten erneut; Ihre Nachrichten gehen nicht verloren."),
            ("L'hôtel est injoignable pour le moment", "Le système de l'hôtel est momentanément hors ligne. Réessayez dans quelques minutes ; vos messages ne sont pas perdus."),
            ("El hotel no está disponible ahora", "El sistema del hotel está desconectado por el momento. Inténtelo de nuevo en unos minutos; sus mensajes no se pierden."),
            ("O hotel não está acessível agora", "O sistema do hotel está offline de momento. Tente novamente dentro de alguns minutos; as suas mensagens não se perdem."),
        ],
        Trouble::Busy => [
            ("Too many requests", "Please wait a moment and try again."),
            ("Слишком много запросов", "Подождите немного и попробуйте снова."),
            ("Zu viele Anfragen", "Bitte warten Sie einen Moment und versuchen Sie es erneut."),
            ("Trop de demandes", "Veuillez patienter un instant et réessayer."),
            ("Demasiadas solicitudes", "Espere un momento y vuelva a intentarlo."),
            ("Demasiados pedidos", "Aguarde um momento e tente novamente."),
        ],
    }
}

/// The first supported language in `accept_language` (quality order ignored: browsers list
/// the preferred one first), else English.
pub fn language(accept_language: Option<&str>) -> usize {
    accept_language
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let tag = item.split(';').next()?.trim().to_ascii_lowercase();
            let primary = tag.split('-').next()?.to_owned();
            LANGUAGES.iter().position(|l| *l == primary)
        })
        .next()
        .unwrap_or(0)
}

/// A whole HTTP/1.1 response for `trouble`, in language `lang` (from [`language`]).
pub fn response(trouble: Trouble, lang: usize) -> String {
    let (status, retry) = match trouble {
        Trouble::Unknown => ("404 Not Found", None),
        Trouble::Offline => ("503 Service Unavailable", Some(60)),
        Trouble::Silent => ("504 Gateway Timeout", Some(30)),
        Trouble::Busy => ("429 Too Many Requests", Some(10)),
    };
    let lang = lang.min(LANGUAGES.len() - 1);
    let (title, text) = words(trouble)[lang];
    let body = format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;margin:0;\
         padding:2rem 1.25rem;max-width:36rem;margin-inline:auto;color:#1d2733;line-height:1.5}}\
         h1{{font-size:1.4rem}}</style></head><body><h1>{title}</h1><p>{text}</p></body></html>",
        code = LANGUAGES[lang],
    );
    let retry = retry.map_or(String::new(), |s| format!("Retry-After: {s}\r\n"));
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\n{retry}Connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The hotel's `widget.js` while its hub is offline (a whole HTTP/1.1 response): the chat
/// button stays on the hotel's website and says, in language `lang`, that the hotel is not
/// reachable for the moment.
pub fn offline_widget(lang: usize) -> String {
    let lang = lang.min(LANGUAGES.len() - 1);
    let (title, text) = words(Trouble::Offline)[lang];
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    let body = include_str!("../../ui/offline-widget.js")
        .replacen("__TITLE__", &quote(title), 1)
        .replacen("__TEXT__", &quote(text), 1);
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/javascript; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nVary: Accept-Language\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guests_language_is_chosen_and_the_response_is_whole() {
        assert_eq!(language(Some("ru-RU,ru;q=0.9,en;q=0.8")), 1);
        assert_eq!(language(Some("ja, pt-BR;q=0.5")), 5);
        assert_eq!(language(Some("garbage;;,")), 0);
        assert_eq!(language(None), 0);
        let r = response(Trouble::Offline, 1);
        assert!(r.starts_with("HTTP/1.1 503"));
        assert!(r.contains("Отель сейчас недоступен"));
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        let js = offline_widget(1);
        assert!(js.contains("var title = \"Отель сейчас недоступен\";"));
        let (head, body) = js.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
    }
}
