//! The guest side's small services beside the socket: who a token is, the per-address
//! message limit, files in the guest's own dialogues, and the out-of-hours contact form
//! (a Lead, CHAT-9). Methods of [`Chat`]; a guest only ever reaches their own data.

use std::net::IpAddr;
use std::time::Instant;

use super::attachments::{self, Stored};
use super::service::Posted;
use super::visitors::{self, Visitor};
use super::{db, Chat, ChatError};
use crate::secret;

/// What an out-of-hours guest leaves (CHAT-9).
pub struct LeadForm<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub message: &'a str,
}

impl Chat {
    /// The visitor a browser token names, if any.
    pub async fn guest_by_token(&self, token: &str) -> Result<Option<Visitor>, ChatError> {
        let hash = secret::token_hash(token);
        self.store
            .read(move |c| visitors::by_token_hash(c, &hash))
            .await
    }

    /// Guest messages, files and forms share one per-address limit; `Err(seconds)` to wait.
    pub fn count_guest_message(&self, from: IpAddr) -> Result<(), u64> {
        self.limits.messages.hit(&from.to_string(), Instant::now())
    }

    /// A file in the guest's dialogue (opening one if needed); refused for a blocked address.
    pub async fn guest_upload(
        &self,
        visitor: &Visitor,
        from: IpAddr,
        client_id: Option<String>,
        bytes: &[u8],
        file_name: &str,
        consented: bool,
    ) -> Result<Posted, ChatError> {
        let blocked_ip = from.to_string();
        if self
            .store
            .read(move |c| db::is_blocked(c, &blocked_ip))
            .await?
        {
            return Err(ChatError::NotAllowed("this address is blocked"));
        }
        let visitor_id = visitor.id;
        self.post_file(bytes, file_name, |body, file| async move {
            self.guest_post(visitor_id, client_id, &body, "web", consented, Some(file))
                .await
        })
        .await
    }

    /// A file from one of the guest's own dialogues; another guest's file looks exactly
    /// like a missing one.
    pub async fn guest_attachment(&self, visitor_id: i64, id: i64) -> Result<Stored, ChatError> {
        self.store
            .read(move |c| {
                let a = attachments::lookup(c, id)?;
                let d = db::dialogue(c, a.dialogue_id)?;
                if d.visitor_id != Some(visitor_id) {
                    return Err(ChatError::NoSuchDialogue);
                }
                Ok(a)
            })
            .await
    }

    /// Stores the contact form as a Lead, fills the visitor card's empty name and e-mail,
    /// and tells the team (socket notice, e-mail when set up). The Lead's id.
    pub async fn leave_lead(
        &self,
        visitor: &Visitor,
        form: LeadForm<'_>,
    ) -> Result<i64, ChatError> {
        let invalid = |e: crate::team::TeamError| ChatError::Invalid(e.to_string());
        let name = crate::team::clean_name("name", form.name, true).map_err(invalid)?;
        let email = crate::team::clean_email(form.email).map_err(invalid)?;
        let message = super::clean_body(form.message)?;
        let phone: String = form
            .phone
            .chars()
            .filter(|c| c.is_ascii_digit() || " +-()".contains(*c))
            .take(30)
            .collect();
        let now = self.clock.now_text();
        let (n, e, m, p, page, visitor_id) = (
            name.clone(),
            email.clone(),
            message.clone(),
            phone.clone(),
            visitor.page_url.clone(),
            visitor.id,
        );
        let id = self
            .store
            .write(move |c| {
                c.execute(
                    "INSERT INTO leads (visitor_id, name, email, phone, message, page_url, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    rusqlite::params![visitor_id, n, e, p, m, page, now],
                )?;
                c.execute(
                    "UPDATE visitors SET name = CASE WHEN name = '' THEN ?2 ELSE name END, \
                     email = CASE WHEN email = '' THEN ?3 ELSE email END WHERE id = ?1",
                    rusqlite::params![visitor_id, n, e],
                )?;
                Ok::<_, ChatError>(c.last_insert_rowid())
            })
            .await?;
        self.bus.team_send(super::bus::TeamEvent::Notice {
            kind: "lead",
            text: format!("New contact form from {name}"),
        });
        if let Some(mailer) = self.mailer().cloned() {
            let team = self.team.clone();
            let text = format!(
                "A guest left a message outside working hours.\n\nName: {name}\nE-mail: {email}\nPhone: {phone}\n\n{message}\n"
            );
            let connected = self.presence.connected();
            tokio::spawn(async move {
                super::notify_team(&team, &mailer, &connected, "New contact form", &text).await;
            });
        }
        Ok(id)
    }
}

/// An open guest socket counted against its address; the count drops with it.
pub struct AddressSlot {
    chat: std::sync::Arc<Chat>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self
            .chat
            .limits
            .sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

impl Chat {
    /// Counts a guest socket's connect against its address; `Err(seconds)` to wait.
    pub fn count_guest_connect(&self, from: IpAddr) -> Result<(), u64> {
        self.limits.connects.hit(&from.to_string(), Instant::now())
    }

    /// A slot for one more open socket from `ip`, or `None` past
    /// `[chat] guest_sockets_per_address`.
    pub fn take_socket_slot(self: &std::sync::Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let mut open = self
            .limits
            .sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= self.config.guest_sockets_per_address {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            chat: self.clone(),
            ip,
        })
    }

    /// Frames one guest socket may send per 10 s (`[chat] guest_frames_per_10s`).
    pub fn guest_frames_per_10s(&self) -> u32 {
        self.config.guest_frames_per_10s
    }

    /// CHAT-4: checks the host site's signed answer, fetches the customer's details from
    /// its backend (best effort) and puts them on the visitor card. The customer's name.
    pub async fn identify_guest(
        &self,
        visitor_id: i64,
        answer: &super::identify::Answer,
    ) -> Result<String, ChatError> {
        let settings = self.settings();
        let (id, name) = super::identify::verify(&settings.identification, answer)?;
        let details = super::identify::fetch_details(&self.http, &settings.identification, &id)
            .await
            .unwrap_or_else(|why| {
                tracing::warn!(error = %why, "Customer details could not be fetched.");
                serde_json::json!({})
            });
        let stored_name = name.clone();
        self.store
            .write(move |c| visitors::set_customer(c, visitor_id, &id, &stored_name, &details))
            .await?;
        Ok(name)
    }

    /// The page the guest is on now, for the visitor card.
    pub async fn record_page(
        &self,
        visitor_id: i64,
        url: String,
        title: String,
    ) -> Result<(), ChatError> {
        let now = self.clock.now_text();
        self.store
            .write(move |c| visitors::record_page(c, visitor_id, &url, &title, &now))
            .await
    }
}

impl Chat {
    /// The property's settings (name, logo, hours) as the guest's welcome shows them.
    pub fn property(&self) -> crate::team::PropertySettings {
        self.team.property().current()
    }
}

impl Chat {
    /// The guest's latest dialogue, found by the e-mail or phone a booking gives (a phone
    /// needs at least six digits); for scenarios writing to a guest.
    pub async fn guest_dialogue(&self, email: &str, phone: &str) -> Result<Option<i64>, ChatError> {
        let (email, phone) = (email.to_owned(), phone.to_owned());
        self.store
            .read(move |c| Ok::<_, ChatError>(db::guest_dialogue(c, &email, &phone)?))
            .await
    }
}

impl Chat {
    /// Guest sockets open now (widgets, reception pages, kiosks).
    pub fn guest_sockets(&self) -> usize {
        self.bus.guest_sockets()
    }
}
