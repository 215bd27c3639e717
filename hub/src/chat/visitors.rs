//! Visitors: guests known by the hash of a token their browser keeps, and the visitor card
//! staff see and edit (CHAT-8): nickname, contacts, visits, address, approximate location,
//! current page, referrer and UTM parameters, tags.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ChatError;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Visitor {
    pub id: i64,
    /// The name if the guest gave one, else the nickname.
    pub display_name: String,
    pub nickname: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub visits: i64,
    pub ip: String,
    pub location: String,
    pub page_url: String,
    pub page_title: String,
    pub referrer: String,
    #[schema(value_type = Object)]
    pub utm: serde_json::Value,
    pub language: String,
    pub customer_id: Option<String>,
    #[schema(value_type = Object)]
    pub customer_details: serde_json::Value,
    pub first_seen: String,
    pub last_seen: String,
}

const COLUMNS: &str = "id, nickname, name, email, phone, notes, tags, visits, ip, location, \
     page_url, page_title, referrer, utm, language, customer_id, customer_details, first_seen, \
     last_seen";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Visitor> {
    let nickname: String = r.get(1)?;
    let name: String = r.get(2)?;
    let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
        let text: String = r.get(i)?;
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    };
    Ok(Visitor {
        id: r.get(0)?,
        display_name: if name.is_empty() {
            nickname.clone()
        } else {
            name.clone()
        },
        nickname,
        name,
        email: r.get(3)?,
        phone: r.get(4)?,
        notes: r.get(5)?,
        tags: serde_json::from_value(json(6)?).unwrap_or_default(),
        visits: r.get(7)?,
        ip: r.get(8)?,
        location: r.get(9)?,
        page_url: r.get(10)?,
        page_title: r.get(11)?,
        referrer: r.get(12)?,
        utm: json(13)?,
        language: r.get(14)?,
        customer_id: r.get(15)?,
        customer_details: json(16)?,
        first_seen: r.get(17)?,
        last_seen: r.get(18)?,
    })
}

pub(super) fn by_id(conn: &Connection, id: i64) -> Result<Visitor, ChatError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM visitors WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .ok_or(ChatError::NoSuchDialogue)
}

pub(super) fn by_token_hash(conn: &Connection, hash: &str) -> Result<Option<Visitor>, ChatError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM visitors WHERE token_hash = ?1"),
            [hash],
            from_row,
        )
        .optional()?)
}

pub(super) fn create(conn: &Connection, token_hash: &str, now: &str) -> Result<Visitor, ChatError> {
    conn.execute(
        "INSERT INTO visitors (token_hash, nickname, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)",
        params![token_hash, fresh_nickname(conn)?, now],
    )?;
    by_id(conn, conn.last_insert_rowid())
}

/// Gives the visitor `name` unless they already have one (a name staff or the guest set
/// wins over what a platform reports).
pub(super) fn set_name_if_empty(conn: &Connection, id: i64, name: &str) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE visitors SET name = ?2 WHERE id = ?1 AND name = ''",
        params![id, short(name, 80)],
    )?;
    Ok(())
}

/// Gives the visitor `phone` unless they already have one.
pub(super) fn set_phone_if_empty(conn: &Connection, id: i64, phone: &str) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE visitors SET phone = ?2 WHERE id = ?1 AND phone = ''",
        params![id, short(phone, 40)],
    )?;
    Ok(())
}

/// Where the guest is and came from, as the widget reports it on connect.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageInfo {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub referrer: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

fn short(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The `utm_*` parameters of a page address.
pub(super) fn utm_of(page_url: &str) -> serde_json::Value {
    let mut utm = serde_json::Map::new();
    if let Ok(u) = url::Url::parse(page_url) {
        for (k, v) in u.query_pairs() {
            if k.starts_with("utm_") && utm.len() < 10 {
                utm.insert(short(&k, 40), serde_json::Value::String(short(&v, 200)));
            }
        }
    }
    serde_json::Value::Object(utm)
}

/// A connect: remembers the page, the address and (once per visit) counts the visit.
pub(super) fn record_visit(
    conn: &Connection,
    id: i64,
    page: &PageInfo,
    ip: &str,
    location: &str,
    new_visit: bool,
    now: &str,
) -> Result<(), ChatError> {
    let mut tags: Vec<String> = page.tags.iter().take(10).map(|t| short(t, 40)).collect();
    tags.retain(|t| !t.trim().is_empty());
    let utm = utm_of(&page.url);
    conn.execute(
        "UPDATE visitors SET visits = visits + ?2, ip = ?3, location = ?4, page_url = ?5, \
         page_title = ?6, referrer = CASE WHEN ?7 = '' THEN referrer ELSE ?7 END, \
         utm = CASE WHEN ?8 = '{}' THEN utm ELSE ?8 END, \
         language = CASE WHEN ?9 = '' THEN language ELSE ?9 END, last_seen = ?10, \
         tags = CASE WHEN ?11 = '[]' THEN tags ELSE ?11 END WHERE id = ?1",
        params![
            id,
            i64::from(new_visit),
            ip,
            location,
            short(&page.url, 500),
            short(&page.title, 200),
            short(&page.referrer, 500),
            utm.to_string(),
            short(&page.language, 12),
            now,
            serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
        ],
    )?;
    Ok(())
}

pub(super) fn record_page(
    conn: &Connection,
    id: i64,
    url: &str,
    title: &str,
    now: &str,
) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE visitors SET page_url = ?2, page_title = ?3, last_seen = ?4 WHERE id = ?1",
        params![id, short(url, 500), short(title, 200), now],
    )?;
    Ok(())
}

/// What staff (or the guest, for their own contacts) may change on the card.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardEdit {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
}

pub(super) fn edit_card(conn: &Connection, id: i64, edit: &CardEdit) -> Result<Visitor, ChatError> {
    let current = by_id(conn, id)?;
    let name = match &edit.name {
        Some(n) => crate::team::clean_name("name", n, false)
            .map_err(|e| ChatError::Invalid(e.to_string()))?,
        None => current.name,
    };
    let email = match edit.email.as_deref().map(str::trim) {
        Some("") => String::new(),
        Some(e) => crate::team::clean_email(e).map_err(|e| ChatError::Invalid(e.to_string()))?,
        None => current.email,
    };
    let phone = match &edit.phone {
        Some(p) => {
            let p = p.trim();
            if p.len() > 30 || !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
                return Err(ChatError::Invalid(
                    "phone: digits, spaces, + - ( ) only".into(),
                ));
            }
            p.to_owned()
        }
        None => current.phone,
    };
    let notes = match &edit.notes {
        Some(n) if n.chars().count() > 2000 => {
            return Err(ChatError::Invalid("notes: at most 2000 characters".into()))
        }
        Some(n) => n.clone(),
        None => current.notes,
    };
    let tags = match &edit.tags {
        Some(t)
            if t.len() > 20
                || t.iter()
                    .any(|t| t.trim().is_empty() || t.chars().count() > 40) =>
        {
            return Err(ChatError::Invalid(
                "tags: at most 20, each 1 to 40 characters".into(),
            ))
        }
        Some(t) => t.iter().map(|t| t.trim().to_owned()).collect(),
        None => current.tags,
    };
    conn.execute(
        "UPDATE visitors SET name = ?2, email = ?3, phone = ?4, notes = ?5, tags = ?6 WHERE id = ?1",
        params![
            id,
            name,
            email,
            phone,
            notes,
            serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into())
        ],
    )?;
    by_id(conn, id)
}

pub(super) fn set_customer(
    conn: &Connection,
    id: i64,
    customer_id: &str,
    name: &str,
    details: &serde_json::Value,
) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE visitors SET customer_id = ?2, customer_details = ?3, \
         name = CASE WHEN ?4 = '' THEN name ELSE ?4 END WHERE id = ?1",
        params![id, customer_id, details.to_string(), short(name, 80)],
    )?;
    Ok(())
}

const ADJECTIVES: &[&str] = &[
    "Amber", "Brave", "Calm", "Clever", "Curious", "Gentle", "Golden", "Happy", "Jolly", "Kind",
    "Lucky", "Merry", "Nimble", "Quiet", "Sunny", "Swift", "Witty", "Bright", "Cosy", "Eager",
];
const ANIMALS: &[&str] = &[
    "Otter", "Fox", "Heron", "Lynx", "Badger", "Dolphin", "Falcon", "Koala", "Panda", "Puffin",
    "Seal", "Tiger", "Whale", "Zebra", "Owl", "Hedgehog", "Penguin", "Rabbit", "Gecko", "Bison",
];

/// Recent visitors whose nicknames a new one avoids: fewer than the 400 pairs, so one is
/// always free, and enough to cover everyone a small hotel has on its pages at once.
const RECENT: i64 = 300;

/// An "Adjective Animal" nickname that none of the last [`RECENT`] visitors has, so staff
/// never see two "Calm Otter"s among current visitors.
fn fresh_nickname(conn: &Connection) -> Result<String, ChatError> {
    use rand::seq::SliceRandom;
    let mut stmt =
        conn.prepare_cached("SELECT nickname FROM visitors ORDER BY id DESC LIMIT ?1")?;
    let taken: std::collections::HashSet<String> = stmt
        .query_map([RECENT], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let free: Vec<String> = ADJECTIVES
        .iter()
        .flat_map(|a| ANIMALS.iter().map(move |b| format!("{a} {b}")))
        .filter(|n| !taken.contains(n))
        .collect();
    Ok(free
        .choose(&mut rand::thread_rng())
        .cloned()
        .unwrap_or_else(|| "Kind Otter".to_owned()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn recent_visitors_never_share_a_nickname() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE visitors (id INTEGER PRIMARY KEY, nickname TEXT)")
            .unwrap();
        let mut seen = std::collections::HashSet::new();
        for i in 0..super::RECENT {
            let name = super::fresh_nickname(&conn).unwrap();
            assert!(
                seen.insert(name.clone()),
                "{name} came twice among {i} visitors"
            );
            conn.execute("INSERT INTO visitors (nickname) VALUES (?1)", [&name])
                .unwrap();
        }
    }

    #[test]
    fn utm_parameters_come_from_the_landing_page() {
        let utm = super::utm_of(
            "https://hotel.example/rooms?utm_source=mail&utm_campaign=spring%20sale&x=1",
        );
        assert_eq!(utm["utm_source"], "mail");
        assert_eq!(utm["utm_campaign"], "spring sale");
        assert!(utm.get("x").is_none());
        assert_eq!(super::utm_of("not a url"), serde_json::json!({}));
    }
}
