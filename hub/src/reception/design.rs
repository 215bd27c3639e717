//! The guest page's design as the owner sets it: which blocks show, in what order and
//! colour, the texts (each with its translations), the Wi-Fi network, check-in and
//! check-out times and the chat's initial state. Validated before it is stored.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::language::{self, Translations};

/// A block of the guest page (GUEST-1…5, 8).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// The title and the invitation.
    Title,
    /// Wi-Fi, check-in and check-out, house rules, breakfast, free text.
    Information,
    /// City, local time, current weather, sunrise and sunset.
    Glance,
    /// Now, the next hours and the next days, with the forecast's age.
    Weather,
    /// The guest services directory.
    Places,
    /// The chat with the team, tagged with the unit.
    Chat,
    /// The guest's own stay, once their link or reference opened it.
    Reservation,
}

impl BlockKind {
    /// The name the page's section and the theme's rule use.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Title => "title",
            BlockKind::Information => "information",
            BlockKind::Glance => "glance",
            BlockKind::Weather => "weather",
            BlockKind::Places => "places",
            BlockKind::Chat => "chat",
            BlockKind::Reservation => "reservation",
        }
    }

    pub const ALL: [BlockKind; 7] = [
        BlockKind::Title,
        BlockKind::Reservation,
        BlockKind::Information,
        BlockKind::Glance,
        BlockKind::Weather,
        BlockKind::Places,
        BlockKind::Chat,
    ];
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PageBlock {
    pub kind: BlockKind,
    pub on: bool,
    /// The block's background, `#rrggbb`; none for the page's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
}

/// A text in the property's default language with its translations (tag → text).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub translations: Translations,
}

impl Text {
    fn of(text: &str) -> Text {
        Text {
            text: text.to_owned(),
            translations: Translations::new(),
        }
    }

    /// The text for a reader of `language`, with the default's fallback.
    pub fn pick(&self, language: &str) -> &str {
        language::pick(&self.text, &self.translations, language)
    }
}

/// Wi-Fi security as the `WIFI:` QR payload names it (ZXing's "Wi-Fi network config").
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub enum Security {
    #[serde(rename = "WPA")]
    Wpa,
    #[serde(rename = "WEP")]
    Wep,
    #[serde(rename = "nopass")]
    Open,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Wifi {
    pub ssid: String,
    #[serde(default)]
    pub password: String,
    pub security: Security,
    #[serde(default)]
    pub hidden: bool,
}

/// How the chat starts on the page (the widget's `data-state`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChatState {
    Collapsed,
    Open,
    Welcome,
}

impl ChatState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatState::Collapsed => "collapsed",
            ChatState::Open => "open",
            ChatState::Welcome => "welcome",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// In display order; every kind once.
    pub blocks: Vec<PageBlock>,
    pub title: Text,
    pub invitation: Text,
    /// The place's name as guests read it ("Lisbon", "Лиссабон"); empty: the city of the
    /// property's time zone.
    #[serde(default)]
    pub city: Text,
    /// The page's accent colour, `#rrggbb`.
    pub accent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wifi: Option<Wifi>,
    /// "HH:MM", local time; empty to leave out.
    #[serde(default)]
    pub check_in: String,
    #[serde(default)]
    pub check_out: String,
    #[serde(default)]
    pub house_rules: Text,
    #[serde(default)]
    pub breakfast: Text,
    #[serde(default)]
    pub notes: Text,
    pub chat_state: ChatState,
    /// The weather block offers the weather at the guest's own position (GUEST-2), for
    /// cars and day trips; the phone shares it only on a secure page (HTTPS or the relay).
    #[serde(default)]
    pub weather_by_position: bool,
}

impl Default for Design {
    fn default() -> Design {
        Design {
            blocks: BlockKind::ALL
                .iter()
                .map(|&kind| PageBlock {
                    kind,
                    on: true,
                    colour: None,
                })
                .collect(),
            title: Text::of("Welcome"),
            invitation: Text::of("We are glad you are here. Everything for your stay is on this page, and we are one message away."),
            city: Text::default(),
            accent: "#1f6f8b".into(),
            wifi: None,
            check_in: "15:00".into(),
            check_out: "11:00".into(),
            house_rules: Text::default(),
            breakfast: Text::default(),
            notes: Text::default(),
            chat_state: ChatState::Collapsed,
            weather_by_position: false,
        }
    }
}

/// What is wrong with a design, in words for the owner.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DesignError(pub String);

impl Design {
    pub fn check(&self) -> Result<(), DesignError> {
        let bad = |why: String| Err(DesignError(why));
        let mut seen = Vec::new();
        for b in &self.blocks {
            if seen.contains(&b.kind) {
                return bad(format!("the {:?} block is listed twice", b.kind));
            }
            seen.push(b.kind);
            if let Some(c) = &b.colour {
                check_colour(c)?;
            }
        }
        if seen.len() != BlockKind::ALL.len() {
            return bad("list every block once (turn off the ones not wanted)".into());
        }
        check_colour(&self.accent)?;
        for (name, text, max) in [
            ("title", &self.title, 120),
            ("city", &self.city, 80),
            ("invitation", &self.invitation, 1000),
            ("house rules", &self.house_rules, 4000),
            ("breakfast", &self.breakfast, 1000),
            ("notes", &self.notes, 4000),
        ] {
            if text.text.chars().count() > max {
                return bad(format!("the {name} is longer than {max} characters"));
            }
            language::check(&text.translations, max)
                .map_err(|e| DesignError(format!("{name}: {e}")))?;
        }
        for (name, time) in [("check-in", &self.check_in), ("check-out", &self.check_out)] {
            if !time.is_empty() && chrono::NaiveTime::parse_from_str(time, "%H:%M").is_err() {
                return bad(format!("the {name} time is HH:MM, like 15:00"));
            }
        }
        if let Some(w) = &self.wifi {
            if w.ssid.is_empty() || w.ssid.len() > 32 {
                return bad("a Wi-Fi network name is 1 to 32 bytes".into());
            }
            if w.password.len() > 63 || (w.security != Security::Open && w.password.is_empty()) {
                return bad(
                    "a Wi-Fi password is 1 to 63 characters (none for an open network)".into(),
                );
            }
        }
        Ok(())
    }

    /// Adds the blocks a design saved before they existed lacks, shown, each after the
    /// block that precedes it in [`BlockKind::ALL`].
    pub fn complete(&mut self) {
        for (i, kind) in BlockKind::ALL.iter().enumerate() {
            if self.blocks.iter().any(|b| b.kind == *kind) {
                continue;
            }
            let at = BlockKind::ALL[..i]
                .iter()
                .rev()
                .find_map(|before| self.blocks.iter().position(|b| b.kind == *before))
                .map_or(0, |p| p + 1);
            self.blocks.insert(
                at,
                PageBlock {
                    kind: *kind,
                    on: true,
                    colour: None,
                },
            );
        }
    }

    /// The blocks to show, in order.
    pub fn shown(&self) -> impl Iterator<Item = &PageBlock> {
        self.blocks.iter().filter(|b| b.on)
    }
}

pub(crate) fn check_colour(c: &str) -> Result<(), DesignError> {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(DesignError(format!("{c:?} is not a colour like #1f6f8b")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_design_is_valid_and_a_broken_one_is_refused_with_a_reason() {
        Design::default().check().unwrap();
        let mut d = Design::default();
        d.blocks.pop();
        assert!(d.check().unwrap_err().0.contains("every block"));
        // A design saved before the reservation block existed gets it after the title.
        d.blocks.retain(|b| b.kind != BlockKind::Reservation);
        d.complete();
        assert_eq!(d.blocks[1].kind, BlockKind::Reservation);
        assert_eq!(d.blocks.len(), BlockKind::ALL.len());
        d.check().unwrap();
        let d = Design {
            accent: "red".into(),
            ..Design::default()
        };
        assert!(d.check().is_err());
        let d = Design {
            check_out: "11h".into(),
            ..Design::default()
        };
        assert!(d.check().unwrap_err().0.contains("check-out"));
    }
}
