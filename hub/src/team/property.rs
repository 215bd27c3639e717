//! The property's settings (TEAM-1): name, logo, time zone, location, working hours, the
//! out-of-hours text, the unanswered-message alert delay and languages. Every staff member
//! reads them; owners and admins change them.

use std::sync::{Arc, RwLock};

use chrono::NaiveTime;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::ToSchema;

use super::TeamError;
use crate::clock::Clock;
use crate::language::{self, Translations};
use crate::store::Store;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PropertySettings {
    pub name: String,
    /// An http(s) URL, or empty.
    pub logo_url: String,
    /// An IANA time zone, e.g. "Europe/Lisbon".
    pub time_zone: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Opening hours per weekday; a day that is missing is closed.
    pub working_hours: Vec<WorkingDay>,
    /// In the default language (the first of `languages`).
    pub out_of_hours_text: String,
    /// The out-of-hours text in other languages: tag → text; a guest whose language is
    /// missing reads `out_of_hours_text`.
    #[serde(default)]
    pub out_of_hours_texts: Translations,
    /// Minutes a guest message may wait before the team is alerted.
    pub unanswered_alert_minutes: u32,
    /// Language tags; the first is the default.
    pub languages: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorkingDay {
    pub day: Weekday,
    /// "HH:MM", local time.
    pub open: String,
    /// "HH:MM"; "24:00" for midnight; before `open` when the hours run past midnight.
    pub close: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl PropertySettings {
    pub fn validate(&self) -> Result<(), TeamError> {
        let invalid = |field, message: &str| {
            Err(TeamError::Invalid {
                field,
                message: message.to_owned(),
            })
        };
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return invalid("name", "1 to 100 characters");
        }
        if !self.logo_url.is_empty()
            && (!(self.logo_url.starts_with("https://") || self.logo_url.starts_with("http://"))
                || self.logo_url.len() > 500
                || self
                    .logo_url
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control()))
        {
            return invalid(
                "logo_url",
                "an http(s) URL of at most 500 characters, or empty",
            );
        }
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return invalid(
                "time_zone",
                "not an IANA time zone such as \"Europe/Lisbon\"",
            );
        }
        match (self.latitude, self.longitude) {
            (None, None) => {}
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {}
            _ => {
                return invalid(
                    "latitude",
                    "give latitude (-90…90) and longitude (-180…180) together",
                )
            }
        }
        let mut seen = Vec::new();
        for day in &self.working_hours {
            if seen.contains(&day.day) {
                return invalid("working_hours", "each weekday at most once");
            }
            seen.push(day.day);
            match (parse_time(&day.open), parse_time(&day.close)) {
                // Closing before opening runs past midnight (a night desk).
                (Some(open), Some(close)) if close != open => {}
                (Some(_), Some(_)) => {
                    return invalid("working_hours", "opening and closing differ")
                }
                _ => return invalid("working_hours", "times are HH:MM"),
            }
        }
        if self.out_of_hours_text.chars().count() > 1000 {
            return invalid("out_of_hours_text", "at most 1000 characters");
        }
        if let Err(message) = language::check(&self.out_of_hours_texts, 1000) {
            return invalid("out_of_hours_texts", &message);
        }
        if !(1..=1440).contains(&self.unanswered_alert_minutes) {
            return invalid("unanswered_alert_minutes", "between 1 and 1440");
        }
        if self.languages.is_empty() || self.languages.len() > 20 {
            return invalid("languages", "1 to 20 language tags");
        }
        for (i, tag) in self.languages.iter().enumerate() {
            if !language::is_tag(tag) || self.languages[..i].contains(tag) {
                return invalid("languages", "distinct tags such as \"en\" or \"pt-BR\"");
            }
        }
        Ok(())
    }
}

/// Minutes since midnight; "24:00" is the end of the day.
fn parse_time(s: &str) -> Option<u32> {
    if s == "24:00" {
        return Some(24 * 60);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M").ok()?;
    Some(chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t))
}

/// The row exists from the first start on (see [`ensure`]).
fn load(conn: &Connection) -> Result<PropertySettings, TeamError> {
    let row = conn.query_row(
        "SELECT name, logo_url, time_zone, latitude, longitude, working_hours, out_of_hours_text,
                unanswered_alert_minutes, languages, out_of_hours_texts FROM property WHERE id = 1",
        [],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<f64>>(3)?,
                r.get::<_, Option<f64>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, u32>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
            ))
        },
    )?;
    fn json<T: serde::de::DeserializeOwned>(
        field: &'static str,
        text: &str,
    ) -> Result<T, TeamError> {
        serde_json::from_str(text).map_err(|e| TeamError::Invalid {
            field,
            message: format!("stored value is damaged: {e}"),
        })
    }
    Ok(PropertySettings {
        name: row.0,
        logo_url: row.1,
        time_zone: row.2,
        latitude: row.3,
        longitude: row.4,
        working_hours: json("working_hours", &row.5)?,
        out_of_hours_text: row.6,
        unanswered_alert_minutes: row.7,
        languages: json("languages", &row.8)?,
        out_of_hours_texts: json("out_of_hours_texts", &row.9)?,
    })
}

fn save(conn: &Connection, s: &PropertySettings, now: &str) -> Result<(), TeamError> {
    let hours = serde_json::to_string(&s.working_hours).unwrap_or_else(|_| "[]".into());
    let languages = serde_json::to_string(&s.languages).unwrap_or_else(|_| "[\"en\"]".into());
    let out_of_hours_texts =
        serde_json::to_string(&s.out_of_hours_texts).unwrap_or_else(|_| "{}".into());
    conn.execute(
        "INSERT INTO property (id, name, logo_url, time_zone, latitude, longitude, working_hours,
                               out_of_hours_text, unanswered_alert_minutes, languages, updated_at,
                               out_of_hours_texts)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET name = ?1, logo_url = ?2, time_zone = ?3, latitude = ?4,
           longitude = ?5, working_hours = ?6, out_of_hours_text = ?7,
           unanswered_alert_minutes = ?8, languages = ?9, updated_at = ?10,
           out_of_hours_texts = ?11",
        params![
            s.name.trim(),
            s.logo_url,
            s.time_zone,
            s.latitude,
            s.longitude,
            hours,
            s.out_of_hours_text,
            s.unanswered_alert_minutes,
            languages,
            now,
            out_of_hours_texts
        ],
    )?;
    Ok(())
}

/// Makes the settings row on first start, named as the owner will likely rename it.
fn ensure(conn: &Connection, now: &str) -> Result<(), TeamError> {
    conn.execute(
        "INSERT OR IGNORE INTO property (id, name, updated_at) VALUES (1, 'My hotel', ?1)",
        [now],
    )?;
    Ok(())
}

/// The property's settings changed; sent after the commit with what was saved.
#[derive(Debug, Clone)]
pub struct PropertyChanged {
    pub settings: PropertySettings,
}

/// The front door to the settings: the current ones in memory (read without the store),
/// saves, and [`PropertyChanged`] for whoever follows them (bookings re-time their stays,
/// the forecast moves, schedules follow the zone). Cheap to clone.
#[derive(Clone)]
pub struct Property {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    current: RwLock<PropertySettings>,
    events: broadcast::Sender<PropertyChanged>,
}

impl Property {
    /// Makes the settings row on first start and reads it.
    pub async fn start(store: Store, clock: Clock) -> Result<Property, TeamError> {
        let now = clock.now_text();
        let current = store
            .write(move |c| {
                ensure(c, &now)?;
                load(c)
            })
            .await?;
        let (events, _) = broadcast::channel(16);
        Ok(Property {
            inner: Arc::new(Inner {
                store,
                clock,
                current: RwLock::new(current),
                events,
            }),
        })
    }

    /// The settings as last saved.
    pub fn current(&self) -> PropertySettings {
        self.inner
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The property's IANA zone; UTC if the stored name is not one (validation keeps it one).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.current().time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<PropertyChanged> {
        self.inner.events.subscribe()
    }

    /// Checks and stores new settings, then tells the followers.
    pub async fn save(&self, settings: PropertySettings) -> Result<PropertySettings, TeamError> {
        settings.validate()?;
        let now = self.inner.clock.now_text();
        let saved = self
            .inner
            .store
            .write(move |c| {
                save(c, &settings, &now)?;
                load(c)
            })
            .await?;
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = saved.clone();
        // Nobody following yet (start-up) is not a failure.
        let _ = self.inner.events.send(PropertyChanged {
            settings: saved.clone(),
        });
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> PropertySettings {
        PropertySettings {
            name: "Seaview".into(),
            logo_url: String::new(),
            time_zone: "Europe/Lisbon".into(),
            latitude: Some(38.7),
            longitude: Some(-9.1),
            working_hours: vec![WorkingDay {
                day: Weekday::Mon,
                open: "08:00".into(),
                close: "24:00".into(),
            }],
            out_of_hours_text: "Back at eight.".into(),
            out_of_hours_texts: [("pt-BR".to_owned(), "Voltamos às oito.".to_owned())].into(),
            unanswered_alert_minutes: 5,
            languages: vec!["en".into(), "pt-BR".into()],
        }
    }

    #[test]
    fn valid_settings_pass_and_each_rule_bites() {
        assert!(valid().validate().is_ok());
        type Change = Box<dyn Fn(&mut PropertySettings)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "time_zone",
                Box::new(|s| s.time_zone = "Mars/Olympus".into()),
            ),
            ("latitude", Box::new(|s| s.longitude = None)),
            ("latitude", Box::new(|s| s.latitude = Some(91.0))),
            (
                "working_hours",
                // Opening and closing at the same minute is no hours at all (07:00 overnight
                // hours are fine and tested in chat::hours).
                Box::new(|s| {
                    let open = s.working_hours[0].open.clone();
                    s.working_hours[0].close = open;
                }),
            ),
            (
                "working_hours",
                Box::new(|s| s.working_hours[0].open = "8am".into()),
            ),
            (
                "languages",
                Box::new(|s| s.languages = vec!["en".into(), "en".into()]),
            ),
            (
                "languages",
                Box::new(|s| s.languages = vec!["English".into()]),
            ),
            (
                "unanswered_alert_minutes",
                Box::new(|s| s.unanswered_alert_minutes = 0),
            ),
            (
                "logo_url",
                Box::new(|s| s.logo_url = "javascript:alert(1)".into()),
            ),
            ("name", Box::new(|s| s.name = "  ".into())),
        ];
        for (field, change) in cases {
            let mut s = valid();
            change(&mut s);
            match s.validate() {
                Err(TeamError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: expected a refusal, got {other:?}"),
            }
        }
    }
}
