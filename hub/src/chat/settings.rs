//! The chat settings staff edit in the admin app: widget design and initial state, how
//! dialogues are distributed, the idle timers, privacy consent, customer identification,
//! automatic messages and keyword answers, rating, and the CRM webhook. Stored as one JSON
//! row, typed and validated here; unknown fields are refused by name.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ChatError;
use crate::language::{self, Translations};
use crate::secret;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ChatSettings {
    pub widget: WidgetDesign,
    /// Round-robin among online staff (with the cap below), or everyone picks by hand.
    pub distribution: Distribution,
    /// The most open dialogues automatic distribution gives one person.
    pub max_dialogues_per_agent: u32,
    /// Agents may see colleagues' dialogues (admins and chat administrators always can).
    pub agents_see_others: bool,
    /// An assigned dialogue with no message for this long is ended; 0 keeps it open.
    pub auto_close_minutes: u32,
    /// An unassigned dialogue idle this long is ended.
    pub unassigned_close_days: u32,
    pub consent: Consent,
    pub identification: Identification,
    pub rating_enabled: bool,
    pub automation: Automation,
    /// Where "send to CRM" posts a dialogue, signed with HMAC-SHA256.
    pub crm_webhook_url: String,
    /// The key of that signature, shared with the CRM. Never sent to browsers.
    pub crm_webhook_secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WidgetDesign {
    /// "#rrggbb".
    pub color: String,
    /// In the default language (the property's first); `titles` has the others.
    pub title: String,
    pub titles: Translations,
    pub welcome_text: String,
    pub welcome_texts: Translations,
    /// "bubble", "chat" or "bell".
    pub icon: String,
    /// "right" or "left".
    pub position: String,
    /// The widget's own words: "en", "pt", "es", "fr", "de", "ru", or "auto" (the guest's
    /// browser language).
    pub language: String,
    /// "collapsed", "open", "hidden" or "welcome" (the welcome text slid out).
    pub initial_state: String,
    /// Phone number offered in the channels panel; empty hides it.
    pub phone: String,
    /// Messenger deep links offered in the channels panel.
    pub messenger_links: Vec<MessengerLink>,
    /// Video and voice calls to reception offered in the channels panel (CHAT-3; the same
    /// call path as the lobby kiosk). Off until the owner turns it on: every call rings
    /// every open Team Messenger.
    pub calls: bool,
    /// The hotel's own websites, as origins (`https://www.hotel.example`): only they may
    /// frame the widget (CSP `frame-ancestors`) and open guest sockets from their pages.
    /// Empty lets any site.
    pub sites: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MessengerLink {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    Auto,
    Manual,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Consent {
    pub enabled: bool,
    pub text: String,
    /// `text` in other languages: tag → text.
    pub texts: Translations,
    pub link: String,
    /// Channels that skip the consent step, e.g. "kiosk".
    pub excluded_channels: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Identification {
    /// The owner's endpoint the widget POSTs to with the site's cookies; empty turns it off.
    pub identify_url: String,
    /// The owner's endpoint the hub asks, server side, for `{id}`'s details.
    pub details_url: String,
    /// Shared with the owner's backend, which answers `signature` = hex HMAC-SHA256 of the
    /// id under it, so a browser cannot make an id up. Never sent to browsers.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Automation {
    /// Sent by the bot when a guest opens a new dialogue; empty sends nothing.
    pub welcome_message: String,
    /// `welcome_message` in other languages: tag → text.
    pub welcome_messages: Translations,
    pub page_messages: Vec<PageMessage>,
    pub keyword_answers: Vec<KeywordAnswer>,
    /// Guest words that hand the dialogue to a person, e.g. "human", "agent".
    pub handoff_words: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PageMessage {
    /// Shown when the page URL contains this; empty matches every page.
    pub url_contains: String,
    /// Seconds on the page before it shows.
    pub after_seconds: u32,
    pub text: String,
    /// `text` in other languages: tag → text.
    #[serde(default)]
    pub texts: Translations,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeywordAnswer {
    /// Words in any language; any one matches.
    pub keywords: Vec<String>,
    pub answer: String,
    /// `answer` in other languages: tag → text.
    #[serde(default)]
    pub answers: Translations,
}

/// The widget's starting title and greeting, and their words in the other languages the
/// widget speaks: an owner who kept a starting text has it read in each guest's language.
const STARTING_TITLE: &str = "Chat with us";
const STARTING_WELCOME: &str = "Hello! How can we help?";
const STARTING_TEXTS: [(&str, &str, &str); 5] = [
    ("ru", "Напишите нам", "Здравствуйте! Чем можем помочь?"),
    ("de", "Schreiben Sie uns", "Hallo! Wie können wir helfen?"),
    (
        "fr",
        "Écrivez-nous",
        "Bonjour ! Comment pouvons-nous vous aider ?",
    ),
    ("es", "Escríbanos", "¡Hola! ¿En qué podemos ayudarle?"),
    ("pt", "Fale connosco", "Olá! Como podemos ajudar?"),
];

/// The owner's text in `lang` (see [`language::pick`]); the starting text in `lang` when
/// the owner kept it untranslated.
fn owner_or_starting<'a>(
    text: &'a str,
    translations: &'a Translations,
    lang: &str,
    starting: &str,
    in_language: fn(&(&str, &'static str, &'static str)) -> &'static str,
) -> &'a str {
    let picked = language::pick(text, translations, lang);
    if text != starting || picked != text {
        return picked;
    }
    let primary = lang
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    STARTING_TEXTS
        .iter()
        .find(|(tag, _, _)| *tag == primary)
        .map_or(picked, in_language)
}

impl Default for WidgetDesign {
    fn default() -> Self {
        WidgetDesign {
            color: "#0b7a75".into(),
            title: STARTING_TITLE.into(),
            titles: Translations::new(),
            welcome_text: STARTING_WELCOME.into(),
            welcome_texts: Translations::new(),
            icon: "bubble".into(),
            position: "right".into(),
            language: "auto".into(),
            initial_state: "collapsed".into(),
            phone: String::new(),
            messenger_links: Vec::new(),
            calls: false,
            sites: Vec::new(),
        }
    }
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            widget: WidgetDesign::default(),
            distribution: Distribution::Auto,
            max_dialogues_per_agent: 5,
            agents_see_others: false,
            auto_close_minutes: 60,
            unassigned_close_days: 30,
            consent: Consent::default(),
            identification: Identification::default(),
            rating_enabled: true,
            automation: Automation::default(),
            crm_webhook_url: String::new(),
            crm_webhook_secret: String::new(),
        }
    }
}

fn invalid<T>(field: &str, message: &str) -> Result<T, ChatError> {
    Err(ChatError::Invalid(format!("{field}: {message}")))
}

fn check_text(field: &str, value: &str, max: usize) -> Result<(), ChatError> {
    if value.chars().count() > max || value.chars().any(|c| c.is_control() && c != '\n') {
        return invalid(
            field,
            &format!("at most {max} characters, no control characters"),
        );
    }
    Ok(())
}

/// Whether `site` is an origin as browsers send it in `Origin` (RFC 6454 §6.1): an http or
/// https scheme, a host, a port only when not the default, nothing after.
fn is_origin(site: &str) -> bool {
    url::Url::parse(site).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && u.origin().ascii_serialization() == site
    })
}

fn check_translations(field: &str, texts: &Translations, max: usize) -> Result<(), ChatError> {
    language::check(texts, max).or_else(|message| invalid(field, &message))
}

fn check_url(field: &str, value: &str) -> Result<(), ChatError> {
    if value.is_empty() {
        return Ok(());
    }
    let scheme_ok = value.starts_with("https://") || value.starts_with("http://");
    if !scheme_ok || value.len() > 500 || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return invalid(field, "an http(s) URL of at most 500 characters, or empty");
    }
    Ok(())
}

impl ChatSettings {
    pub fn validate(&self) -> Result<(), ChatError> {
        let w = &self.widget;
        let hex = w.color.len() == 7
            && w.color.starts_with('#')
            && w.color[1..].chars().all(|c| c.is_ascii_hexdigit());
        if !hex {
            return invalid("widget.color", "a colour as #rrggbb");
        }
        check_text("widget.title", &w.title, 60)?;
        check_text("widget.welcome_text", &w.welcome_text, 500)?;
        check_translations("widget.titles", &w.titles, 60)?;
        check_translations("widget.welcome_texts", &w.welcome_texts, 500)?;
        check_text("widget.phone", &w.phone, 30)?;
        if !["bubble", "chat", "bell"].contains(&w.icon.as_str()) {
            return invalid("widget.icon", "bubble, chat or bell");
        }
        if !["right", "left"].contains(&w.position.as_str()) {
            return invalid("widget.position", "right or left");
        }
        if !["collapsed", "open", "hidden", "welcome"].contains(&w.initial_state.as_str()) {
            return invalid("widget.initial_state", "collapsed, open, hidden or welcome");
        }
        if w.language.is_empty() || w.language.len() > 12 {
            return invalid("widget.language", "a language tag such as \"en\"");
        }
        if w.messenger_links.len() > 8 {
            return invalid("widget.messenger_links", "at most 8");
        }
        for l in &w.messenger_links {
            check_text("widget.messenger_links.label", &l.label, 40)?;
            let ok = ["https://", "tg://", "viber://", "whatsapp://"]
                .iter()
                .any(|p| l.url.starts_with(p))
                && l.url.len() <= 300;
            if !ok {
                return invalid(
                    "widget.messenger_links.url",
                    "an https, tg, viber or whatsapp link",
                );
            }
        }
        if w.sites.len() > 16 {
            return invalid("widget.sites", "at most 16");
        }
        for site in &w.sites {
            if !is_origin(site) {
                return invalid(
                    "widget.sites",
                    "enter each website as its address alone, such as https://www.hotel.example \
                     (without a page after it)",
                );
            }
        }
        if !(1..=100).contains(&self.max_dialogues_per_agent) {
            return invalid("max_dialogues_per_agent", "between 1 and 100");
        }
        if self.auto_close_minutes > 7 * 24 * 60 {
            return invalid(
                "auto_close_minutes",
                "at most a week (10080); 0 turns it off",
            );
        }
        if !(1..=365).contains(&self.unassigned_close_days) {
            return invalid("unassigned_close_days", "between 1 and 365");
        }
        check_text("consent.text", &self.consent.text, 1000)?;
        check_translations("consent.texts", &self.consent.texts, 1000)?;
        check_url("consent.link", &self.consent.link)?;
        if self.consent.enabled && self.consent.text.trim().is_empty() {
            return invalid("consent.text", "is required when consent is on");
        }
        check_url(
            "identification.identify_url",
            &self.identification.identify_url,
        )?;
        check_url(
            "identification.details_url",
            &self.identification.details_url,
        )?;
        check_text("identification.secret", &self.identification.secret, 200)?;
        if !self.identification.identify_url.is_empty() && self.identification.secret.len() < 16 {
            return invalid(
                "identification.secret",
                "identification needs a shared secret of 16+ characters: the site signs each \
                 id with it, so the hub never trusts an id the browser made up",
            );
        }
        let a = &self.automation;
        check_text("automation.welcome_message", &a.welcome_message, 1000)?;
        check_translations("automation.welcome_messages", &a.welcome_messages, 1000)?;
        if a.page_messages.len() > 20 || a.keyword_answers.len() > 50 || a.handoff_words.len() > 20
        {
            return invalid(
                "automation",
                "at most 20 page messages, 50 keyword answers, 20 hand-off words",
            );
        }
        for p in &a.page_messages {
            check_text("automation.page_messages.text", &p.text, 1000)?;
            check_translations("automation.page_messages.texts", &p.texts, 1000)?;
            check_text(
                "automation.page_messages.url_contains",
                &p.url_contains,
                200,
            )?;
            if p.text.trim().is_empty() || p.after_seconds > 3600 {
                return invalid(
                    "automation.page_messages",
                    "a text, and at most 3600 seconds",
                );
            }
        }
        for k in &a.keyword_answers {
            check_text("automation.keyword_answers.answer", &k.answer, 1000)?;
            check_translations("automation.keyword_answers.answers", &k.answers, 1000)?;
            if k.keywords.is_empty()
                || k.keywords
                    .iter()
                    .any(|w| w.trim().is_empty() || w.len() > 40)
            {
                return invalid(
                    "automation.keyword_answers.keywords",
                    "1 or more words of at most 40 characters",
                );
            }
        }
        check_url("crm_webhook_url", &self.crm_webhook_url)?;
        check_text("crm_webhook_secret", &self.crm_webhook_secret, 200)?;
        if !self.crm_webhook_url.is_empty() && self.crm_webhook_secret.len() < 16 {
            return invalid(
                "crm_webhook_secret",
                "16 or more characters when a CRM webhook is set",
            );
        }
        Ok(())
    }

    /// Whether a new dialogue on `channel` waits for the guest's consent (CHAT-12).
    pub fn consent_needed(&self, channel: &str) -> bool {
        self.consent.enabled && !self.consent.excluded_channels.iter().any(|c| c == channel)
    }

    /// The language a guest reads: the widget's fixed one, or with "auto" the guest's
    /// browser language (`browser`, as the widget reports it).
    pub fn guest_language<'a>(&'a self, browser: &'a str) -> &'a str {
        match self.widget.language.as_str() {
            "auto" => browser,
            fixed => fixed,
        }
    }

    /// What the widget may know, in `lang` (see [`Self::guest_language`]): never the
    /// identification secret or the CRM address, and each owner text once, already in the
    /// guest's language or the default one.
    pub fn public(&self, lang: &str) -> serde_json::Value {
        let w = &self.widget;
        let pages: Vec<_> = self
            .automation
            .page_messages
            .iter()
            .map(|p| {
                serde_json::json!({
                    "url_contains": p.url_contains,
                    "after_seconds": p.after_seconds,
                    "text": language::pick(&p.text, &p.texts, lang),
                })
            })
            .collect();
        serde_json::json!({
            "widget": {
                "color": w.color,
                "title": owner_or_starting(&w.title, &w.titles, lang, STARTING_TITLE, |t| t.1),
                "welcome_text": owner_or_starting(
                    &w.welcome_text, &w.welcome_texts, lang, STARTING_WELCOME, |t| t.2,
                ),
                "icon": w.icon,
                "position": w.position,
                "language": w.language,
                "initial_state": w.initial_state,
                "phone": w.phone,
                "messenger_links": w.messenger_links,
                "calls": w.calls,
            },
            "consent": {
                "enabled": self.consent.enabled,
                "text": language::pick(&self.consent.text, &self.consent.texts, lang),
                "link": self.consent.link,
                "excluded_channels": self.consent.excluded_channels,
            },
            "identify_url": self.identification.identify_url,
            "rating_enabled": self.rating_enabled,
            "page_messages": pages,
        })
    }

    /// The bot's greeting in a new dialogue, in `lang`; empty sends none.
    pub fn welcome_message(&self, lang: &str) -> &str {
        let a = &self.automation;
        language::pick(&a.welcome_message, &a.welcome_messages, lang).trim()
    }
}

/// The settings and the widget key; made with defaults on first use.
pub(super) fn load(conn: &Connection) -> Result<(ChatSettings, String), ChatError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT settings, widget_key FROM chat_settings WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        Some((json, key)) => {
            let settings = serde_json::from_str(&json)
                .map_err(|e| ChatError::Invalid(format!("stored chat settings: {e}")))?;
            Ok((settings, key))
        }
        None => Ok((ChatSettings::default(), String::new())),
    }
}

/// Creates the row on first start; the widget key is random and public.
pub(super) fn ensure(conn: &Connection, now: &str) -> Result<(), ChatError> {
    let key = secret::new_token();
    let json = serde_json::to_string(&ChatSettings::default())
        .map_err(|e| ChatError::Invalid(e.to_string()))?;
    conn.execute(
        "INSERT OR IGNORE INTO chat_settings (id, settings, widget_key, updated_at) \
         VALUES (1, ?1, ?2, ?3)",
        params![json, &key[..22], now],
    )?;
    Ok(())
}

pub(super) fn save(conn: &Connection, s: &ChatSettings, now: &str) -> Result<(), ChatError> {
    s.validate()?;
    let json = serde_json::to_string(s).map_err(|e| ChatError::Invalid(e.to_string()))?;
    conn.execute(
        "UPDATE chat_settings SET settings = ?1, updated_at = ?2 WHERE id = 1",
        params![json, now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_each_rule_bites() {
        let ok = ChatSettings::default();
        assert!(ok.validate().is_ok());
        let mut s = ok.clone();
        s.widget.color = "red".into();
        assert!(s.validate().is_err());
        let mut s = ok.clone();
        s.max_dialogues_per_agent = 0;
        assert!(s.validate().is_err());
        let mut s = ok.clone();
        s.consent.enabled = true;
        assert!(s.validate().is_err(), "consent needs its text");
        let mut s = ok.clone();
        s.identification.identify_url = "https://hotel.example/me".into();
        assert!(
            s.validate().is_err(),
            "identification needs a secret or a details URL"
        );
        s.identification.secret = "0123456789abcdef".into();
        assert!(s.validate().is_ok());
        let mut s = ok;
        s.crm_webhook_url = "ftp://x".into();
        assert!(s.validate().is_err());
    }

    #[test]
    fn the_public_view_hides_secrets() {
        let mut s = ChatSettings::default();
        s.identification.secret = "very-secret-value-123".into();
        s.crm_webhook_url = "https://crm.example/hook".into();
        s.crm_webhook_secret = "crm-secret-0123456789".into();
        let text = s.public("en").to_string();
        assert!(!text.contains("very-secret"));
        assert!(!text.contains("crm.example"));
        assert!(!text.contains("crm-secret"));
    }

    #[test]
    fn guests_read_owner_texts_in_their_language_or_the_default() {
        let mut s = ChatSettings::default();
        s.widget.titles.insert("ru".into(), "Напишите нам".into());
        s.consent.text = "We keep your messages for a year.".into();
        s.consent
            .texts
            .insert("ru".into(), "Мы храним переписку год.".into());
        s.automation.welcome_message = "Welcome!".into();
        s.automation
            .welcome_messages
            .insert("ru".into(), "Добро пожаловать!".into());
        let ru = s.public(s.guest_language("ru-RU"));
        assert_eq!(ru["widget"]["title"], "Напишите нам");
        assert_eq!(ru["consent"]["text"], "Мы храним переписку год.");
        assert_eq!(
            ru["widget"]["welcome_text"], "Здравствуйте! Чем можем помочь?",
            "a kept starting text reads in the guest's language"
        );
        assert_eq!(
            s.public("ja")["widget"]["welcome_text"],
            "Hello! How can we help?"
        );
        s.widget.welcome_text = "Hi from the sea!".into();
        assert_eq!(
            s.public("ru")["widget"]["welcome_text"],
            "Hi from the sea!",
            "the owner's own words are never replaced"
        );
        assert!(
            ru["widget"].get("titles").is_none(),
            "one text each, no maps"
        );
        assert_eq!(s.welcome_message("ru"), "Добро пожаловать!");
        assert_eq!(s.welcome_message("fr"), "Welcome!");
        s.widget.language = "en".into();
        assert_eq!(
            s.public(s.guest_language("ru"))["widget"]["title"],
            "Chat with us"
        );
        s.widget.titles.insert("Russian".into(), "x".into());
        assert!(s.validate().is_err());
    }
}
