//! The staff's side (CLOUD-3, TEAM-3): a member links their own messenger account with a
//! one-time code from "My account" (a deep link that opens the property's bot with it),
//! chooses where their notifications go (one place: Web Push or one messenger, so nobody is
//! told twice), which events, and quiet hours; and the notices themselves.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::platform::{Inbound, Platform};
use super::{db, telegram, viber, Bot, MessengerError, Messengers};
use crate::store::Store;

/// How long a link code works.
const CODE_LIFE: Duration = Duration::from_secs(600);

/// What a member can be told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeEvent {
    /// A guest opened a new conversation.
    NewDialogue,
    /// A guest wrote again in a conversation.
    GuestMessage,
    /// A guest has waited past the owner's unanswered-alert time.
    Unanswered,
    /// A guest is calling the desk, or a call was missed.
    Call,
}

/// A member's one set of notification choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choices {
    /// Where notices go: "push" (this member's browsers), "email", "telegram", "viber",
    /// "messenger", or "off".
    pub channel: String,
    pub events: Vec<NoticeEvent>,
    /// Quiet hours in the property's time zone, "HH:MM" each; both empty for none. A span
    /// past midnight ("22:00" to "07:00") is one night.
    #[serde(default)]
    pub quiet_from: String,
    #[serde(default)]
    pub quiet_to: String,
}

impl Default for Choices {
    fn default() -> Self {
        Choices {
            channel: "push".into(),
            // A member who never chose keeps what the hub did before: push for guests'
            // messages and calls, and (when "notify me while offline" is on) e-mail for a
            // guest left waiting, which the chat sends.
            events: vec![
                NoticeEvent::NewDialogue,
                NoticeEvent::GuestMessage,
                NoticeEvent::Call,
            ],
            quiet_from: String::new(),
            quiet_to: String::new(),
        }
    }
}

/// Where one notice for one member goes.
#[derive(Debug, Clone, PartialEq)]
pub enum NoticeRoute {
    Push,
    Email,
    Messenger(Platform, String),
    Nowhere,
}

/// A code to link an account, and the link that carries it to the bot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkOffer {
    pub platform: Platform,
    pub code: String,
    /// Opens the property's bot with the code (Telegram `start`, Viber `context`, m.me
    /// `ref`).
    pub url: String,
    pub expires_in_secs: u64,
}

/// What the staff side keeps in memory: open link codes, and who has a linked account
/// (so a guest's message costs no store read when nobody could be told).
pub(super) struct StaffSide {
    codes: Mutex<HashMap<String, (i64, Platform, Instant)>>,
    linked: Mutex<HashSet<i64>>,
    /// Members who saved their own choices (the rest get the defaults).
    chose: Mutex<HashSet<i64>>,
}

impl StaffSide {
    pub(super) async fn load(store: &Store) -> Result<StaffSide, MessengerError> {
        Ok(StaffSide {
            codes: Mutex::new(HashMap::new()),
            linked: Mutex::new(
                members_in(store, "SELECT DISTINCT user_id FROM messenger_staff").await?,
            ),
            chose: Mutex::new(members_in(store, "SELECT user_id FROM notice_choices").await?),
        })
    }
}

/// The member ids `sql` selects.
async fn members_in(store: &Store, sql: &'static str) -> Result<HashSet<i64>, MessengerError> {
    store
        .read(move |c| -> Result<HashSet<i64>, MessengerError> {
            let mut stmt = c.prepare(sql)?;
            let ids = stmt.query_map([], |r| r.get(0))?;
            Ok(ids.collect::<Result<_, _>>()?)
        })
        .await
}

impl StaffSide {
    fn chose(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.chose.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn linked(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.linked.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn check_choices(c: &Choices) -> Result<(), MessengerError> {
    let channel_ok = ["push", "email", "off"].contains(&c.channel.as_str())
        || matches!(
            Platform::parse(&c.channel),
            Some(Platform::Telegram | Platform::Viber | Platform::Messenger)
        );
    if !channel_ok {
        return Err(MessengerError::Invalid(
            "channel: push, email, telegram, viber, messenger or off".into(),
        ));
    }
    let time_ok = |t: &str| t.is_empty() || chrono::NaiveTime::parse_from_str(t, "%H:%M").is_ok();
    if !time_ok(&c.quiet_from)
        || !time_ok(&c.quiet_to)
        || c.quiet_from.is_empty() != c.quiet_to.is_empty()
    {
        return Err(MessengerError::Invalid(
            "quiet hours: both as HH:MM, or both empty".into(),
        ));
    }
    Ok(())
}

/// `now` (a local time) falls in the quiet hours `from`–`to`.
fn quiet(from: &str, to: &str, now: chrono::NaiveTime) -> bool {
    let (Ok(f), Ok(t)) = (
        chrono::NaiveTime::parse_from_str(from, "%H:%M"),
        chrono::NaiveTime::parse_from_str(to, "%H:%M"),
    ) else {
        return false;
    };
    if f <= t {
        f <= now && now < t
    } else {
        now >= f || now < t
    }
}

impl Messengers {
    /// A member's choices (the defaults until they save their own).
    pub async fn choices(&self, user_id: i64) -> Result<Choices, MessengerError> {
        let row = self
            .inner
            .store
            .read(move |c| db::choices(c, user_id))
            .await?;
        Ok(match row {
            None => Choices::default(),
            Some((channel, events, quiet_from, quiet_to)) => Choices {
                channel,
                events: serde_json::from_str(&events).unwrap_or_default(),
                quiet_from,
                quiet_to,
            },
        })
    }

    /// Saves a member's choices; a messenger must be linked before it is chosen.
    pub async fn set_choices(&self, user_id: i64, c: Choices) -> Result<Choices, MessengerError> {
        check_choices(&c)?;
        if let Some(p) = Platform::parse(&c.channel) {
            if !self
                .staff_links(user_id)
                .await?
                .iter()
                .any(|l| l.platform == p)
            {
                return Err(MessengerError::Invalid(format!(
                    "link your {} account first",
                    p.label()
                )));
            }
        }
        let events = serde_json::to_string(&c.events).unwrap_or_else(|_| "[]".into());
        let stored = c.clone();
        self.inner
            .store
            .write(move |conn| {
                db::put_choices(
                    conn,
                    user_id,
                    &stored.channel,
                    &events,
                    &stored.quiet_from,
                    &stored.quiet_to,
                )
            })
            .await?;
        self.inner.staff.chose().insert(user_id);
        Ok(c)
    }

    /// Whether `user_id` saved their own choices: then e-mail of a guest left waiting goes
    /// by them, not by "notify me while offline".
    pub fn chose(&self, user_id: i64) -> bool {
        self.inner.staff.chose().contains(&user_id)
    }

    pub async fn staff_links(&self, user_id: i64) -> Result<Vec<db::StaffLink>, MessengerError> {
        self.inner
            .store
            .read(move |c| db::staff_links(c, user_id))
            .await
    }

    /// A one-time code (ten minutes) for the member to link their account on `platform`,
    /// with the deep link that opens the property's bot with it.
    pub fn link_code(&self, user_id: i64, platform: Platform) -> Result<LinkOffer, MessengerError> {
        let bot = self
            .bot(platform)
            .ok_or(MessengerError::NotConnected(platform.label()))?;
        let code: String = crate::secret::new_token()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        let payload = self.payload(&bot, &format!("s-{code}"));
        let url = match platform {
            Platform::Telegram => telegram::deep_link(&bot.row.link_name, &payload),
            Platform::Viber => viber::deep_link(&bot.row.link_name, &payload),
            Platform::Messenger => super::meta::messenger_link(&bot.row.link_name, &payload),
            Platform::Whatsapp => {
                return Err(MessengerError::Invalid(
                    "staff notifications go by Telegram, Viber or Messenger".into(),
                ))
            }
        };
        let mut codes = self
            .inner
            .staff
            .codes
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        codes.retain(|_, (_, _, at)| now.duration_since(*at) < CODE_LIFE);
        codes.insert(code.clone(), (user_id, platform, now));
        Ok(LinkOffer {
            platform,
            code,
            url,
            expires_in_secs: CODE_LIFE.as_secs(),
        })
    }

    /// The bot received `/start s-<code>` (or the platform's equivalent): links the
    /// account that sent it to the member the code was made for, once.
    pub(super) async fn link_from_platform(
        &self,
        bot: &Bot,
        inbound: &Inbound,
        code: &str,
    ) -> Result<(), MessengerError> {
        let platform = bot.row.platform;
        let found = {
            let mut codes = self
                .inner
                .staff
                .codes
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            codes
                .remove(code)
                .filter(|(_, p, at)| *p == platform && at.elapsed() < CODE_LIFE)
        };
        let Some((user_id, _, _)) = found else {
            let text = "This link has expired or was used already. Make a new one in the Team Messenger, under My account.".to_owned();
            self.send_now(bot, &inbound.address, text);
            return Ok(());
        };
        let (address, display) = (inbound.address.clone(), inbound.name.clone());
        let now = self.inner.clock.now_text();
        self.inner
            .store
            .write(move |c| db::link_staff(c, user_id, platform, &address, &display, &now))
            .await?;
        self.inner.staff.linked().insert(user_id);
        tracing::info!(
            platform = platform.as_str(),
            user_id,
            "A member linked a messenger account."
        );
        let text = format!(
            "Linked. {}'s notifications can come here now: choose them under My account. Open the Team Messenger: {}",
            self.inner.chat.property().name,
            self.team_link("/messenger/")
        );
        self.send_now(bot, &inbound.address, text);
        Ok(())
    }

    /// Unlinks the member's account on `platform`; notices chosen there go to push again.
    pub async fn unlink(&self, user_id: i64, platform: Platform) -> Result<(), MessengerError> {
        let removed = self
            .inner
            .store
            .write(move |c| -> Result<bool, MessengerError> {
                let removed = db::unlink_staff(c, user_id, platform)?;
                if let Some((channel, events, from, to)) = db::choices(c, user_id)? {
                    if channel == platform.as_str() {
                        db::put_choices(c, user_id, "push", &events, &from, &to)?;
                    }
                }
                Ok(removed)
            })
            .await?;
        if !removed {
            return Err(MessengerError::NotFound);
        }
        let still = !self.staff_links(user_id).await?.is_empty();
        if !still {
            self.inner.staff.linked().remove(&user_id);
        }
        Ok(())
    }

    /// Whether anyone has a messenger linked or made their own choices (cheap; for the
    /// chat's "could anyone be told").
    pub fn anyone_reachable(&self) -> bool {
        let side = &self.inner.staff;
        !side
            .linked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
            || !side
                .chose
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty()
    }

    /// Where `event` for `user_id` goes now, by their choices and quiet hours.
    pub async fn route(&self, user_id: i64, event: NoticeEvent) -> NoticeRoute {
        let Ok(choices) = self.choices(user_id).await else {
            return NoticeRoute::Push;
        };
        if !choices.events.contains(&event) || choices.channel == "off" {
            return NoticeRoute::Nowhere;
        }
        let zone: chrono_tz::Tz = self
            .inner
            .chat
            .property()
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::UTC);
        let local = self.inner.clock.now().with_timezone(&zone).time();
        if quiet(&choices.quiet_from, &choices.quiet_to, local) {
            return NoticeRoute::Nowhere;
        }
        if choices.channel == "email" {
            return NoticeRoute::Email;
        }
        let Some(platform) = Platform::parse(&choices.channel) else {
            return NoticeRoute::Push;
        };
        match self.staff_links(user_id).await {
            Ok(links) => links
                .into_iter()
                .find(|l| l.platform == platform)
                .map(|l| NoticeRoute::Messenger(platform, l.address))
                .unwrap_or(NoticeRoute::Push),
            Err(_) => NoticeRoute::Push,
        }
    }

    /// Sends a member a notice on their linked messenger: the title, the text and the
    /// link that opens the Team Messenger at `path` (sent in the background).
    pub fn notify(&self, platform: Platform, address: &str, title: &str, body: &str, path: &str) {
        let Some(bot) = self.bot(platform) else {
            return;
        };
        let text = format!("{title}\n{body}\n{}", self.team_link(path));
        self.send_now(&bot, address, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_span_midnight() {
        let t = |s| chrono::NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        assert!(quiet("22:00", "07:00", t("23:30")));
        assert!(quiet("22:00", "07:00", t("06:59")));
        assert!(!quiet("22:00", "07:00", t("07:00")));
        assert!(quiet("13:00", "14:00", t("13:30")));
        assert!(!quiet("13:00", "14:00", t("14:30")));
        assert!(!quiet("", "", t("03:00")));
    }
}
