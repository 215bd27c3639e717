//! `hub demo`: a property to try everything with — Seaview Guest House in Lisbon, its rooms,
//! a few chat shortcuts, an owner and an agent with one-time passwords printed once. Run again, it leaves the
//! existing data alone.

use crate::clock::Clock;
use crate::store::Store;
use crate::team::db::{self, NewUser};
use crate::team::property::{self, PropertySettings, Weekday, WorkingDay};
use crate::team::{secret, Role, TeamError};

pub struct DemoAccount {
    pub role: Role,
    pub email: &'static str,
    pub password: String,
}

const ROOMS: &[&str] = &["101", "102", "103", "201", "202", "Garden Villa"];

/// Canned answers for the Team Messenger (type `/` and the code).
const SHORTCUTS: &[(&str, &str)] = &[
    (
        "breakfast",
        "Breakfast is served from 7:30 to 10:30 in the garden room.",
    ),
    (
        "checkout",
        "Check-out is until 11:00; we are happy to keep your luggage after that.",
    ),
    (
        "parking",
        "Parking is free for guests, in front of the house.",
    ),
    (
        "taxi",
        "We can call you a taxi: tell us the time and where you are going.",
    ),
];

/// Creates the demo property unless an owner exists; returns the new accounts.
pub async fn seed(store: &Store, clock: &Clock) -> Result<Option<Vec<DemoAccount>>, TeamError> {
    if store.read(db::owner_exists).await? {
        return Ok(None);
    }
    let owner_pw = secret::new_password();
    let agent_pw = secret::new_password();
    let owner_hash = secret::hash_off_runtime(owner_pw.clone()).await?;
    let agent_hash = secret::hash_off_runtime(agent_pw.clone()).await?;
    let now = clock.now_text();
    store
        .write(move |c| {
            let settings = PropertySettings {
                name: "Seaview Guest House".into(),
                logo_url: String::new(),
                time_zone: "Europe/Lisbon".into(),
                latitude: Some(38.7139),
                longitude: Some(-9.1334),
                working_hours: [
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri,
                    Weekday::Sat,
                    Weekday::Sun,
                ]
                .into_iter()
                .map(|day| WorkingDay {
                    day,
                    open: "08:00".into(),
                    close: "22:00".into(),
                })
                .collect(),
                out_of_hours_text:
                    "Reception is closed now. Leave a message and we answer from 8:00.".into(),
                unanswered_alert_minutes: 5,
                languages: vec!["en".into(), "pt".into()],
            };
            property::save(c, &settings, &now)?;
            for room in ROOMS {
                let kind = if room.contains("Villa") {
                    crate::bookings::rooms::RoomKind::Villa
                } else {
                    crate::bookings::rooms::RoomKind::Room
                };
                crate::bookings::rooms::create(c, room, kind, &now)?;
            }
            db::create_user(
                c,
                &NewUser {
                    email: "owner@demo.hotel",
                    name: "Olivia Owner",
                    nickname: "Olivia",
                    role: Role::Owner,
                    password_hash: &owner_hash,
                },
                &now,
            )?;
            db::create_user(
                c,
                &NewUser {
                    email: "agent@demo.hotel",
                    name: "Andre Agent",
                    nickname: "Andre",
                    role: Role::Agent,
                    password_hash: &agent_hash,
                },
                &now,
            )?;
            for (code, body) in SHORTCUTS {
                c.execute(
                    "INSERT INTO shortcuts (code, body, created_at) VALUES (?1, ?2, ?3)",
                    rusqlite::params![code, body, now],
                )?;
            }
            c.execute("DELETE FROM setup_code", [])?;
            Ok::<_, TeamError>(())
        })
        .await?;
    Ok(Some(vec![
        DemoAccount {
            role: Role::Owner,
            email: "owner@demo.hotel",
            password: owner_pw,
        },
        DemoAccount {
            role: Role::Agent,
            email: "agent@demo.hotel",
            password: agent_pw,
        },
    ]))
}
