//! The outbox: what the team and the bot say to a guest on a messenger, sent in order by
//! one worker per guest. The chat's store is the queue; each guest's row keeps the id of
//! the last message the platform took, moved only after it took it, so a stop, a lost
//! connection or a platform's "wait" resumes where it was. Each chat is paced at its
//! platform's rate, and a 429 waits the time the platform gives.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::platform::{OutFile, Outgoing, Platform, SendError};
use super::{db, Messengers};

/// How long a worker with nothing to send lives on.
const IDLE: Duration = Duration::from_secs(300);
/// Messages read from the store at a time.
const BATCH: i64 = 20;

/// The workers, one per guest with something to send.
#[derive(Default)]
pub(super) struct Outbox {
    workers: Mutex<HashMap<i64, Arc<Slot>>>,
    /// When each platform may be sent to next: Telegram's limit across chats is about 30
    /// messages a second (core.telegram.org/bots/faq).
    next_slot: tokio::sync::Mutex<HashMap<Platform, tokio::time::Instant>>,
    /// When each chat may be sent to next (guests' and members' alike).
    next_in_chat: tokio::sync::Mutex<HashMap<(Platform, String), tokio::time::Instant>>,
}

impl Outbox {
    fn workers(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Slot>>> {
        self.workers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Slot {
    notify: Notify,
    /// Set under the workers' lock by every wake; a worker leaves only when it is clear.
    pending: AtomicBool,
}

/// Wakes the workers for messages the team writes, and at start for every guest (what was
/// unsent at the last stop goes out).
pub(super) fn spawn(m: Messengers) -> tokio::task::JoinHandle<()> {
    let mut replies = m.inner.chat.replies();
    tokio::spawn(async move {
        match m.inner.store.read(db::all_guests).await {
            Ok(guests) => {
                for g in guests {
                    wake(&m, g.id);
                }
            }
            Err(e) => tracing::error!(error = %e, "The messengers' outbox cannot read its guests."),
        }
        loop {
            let visitor_id = match replies.recv().await {
                Ok(v) => v,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "The outbox fell behind; every guest is looked at."
                    );
                    if let Ok(guests) = m.inner.store.read(db::all_guests).await {
                        for g in guests {
                            wake(&m, g.id);
                        }
                    }
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            match m
                .inner
                .store
                .read(move |c| db::guests_of_visitor(c, visitor_id))
                .await
            {
                Ok(guests) => {
                    for g in guests {
                        wake(&m, g.id);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "The outbox could not look a guest up."),
            }
        }
    })
}

/// Makes sure guest `guest_id`'s worker runs and looks at the store again.
pub(super) fn wake(m: &Messengers, guest_id: i64) {
    let mut workers = m.inner.outbox.workers();
    let slot = workers.entry(guest_id).or_insert_with(|| {
        let slot = Arc::new(Slot {
            notify: Notify::new(),
            pending: AtomicBool::new(true),
        });
        tokio::spawn(worker(m.clone(), guest_id, slot.clone()));
        slot
    });
    slot.pending.store(true, Ordering::SeqCst);
    slot.notify.notify_one();
}

async fn worker(m: Messengers, guest_id: i64, slot: Arc<Slot>) {
    loop {
        slot.pending.store(false, Ordering::SeqCst);
        if let Err(e) = drain(&m, guest_id).await {
            tracing::warn!(error = %e, "A messenger guest's outbox stopped for now.");
        }
        if tokio::time::timeout(IDLE, slot.notify.notified())
            .await
            .is_ok()
        {
            continue;
        }
        let mut workers = m.inner.outbox.workers();
        if !slot.pending.load(Ordering::SeqCst) {
            workers.remove(&guest_id);
            return;
        }
    }
}

/// Sends everything after the guest's cursor, in order, moving the cursor after each.
async fn drain(m: &Messengers, guest_id: i64) -> Result<(), super::MessengerError> {
    loop {
        let Some(guest) = m.inner.store.read(move |c| db::guest(c, guest_id)).await? else {
            return Ok(());
        };
        let Some(bot) = m.bot(guest.platform) else {
            // Disconnected: the messages wait for the platform to be connected again.
            return Ok(());
        };
        let batch = m
            .inner
            .chat
            .for_channel_guest(guest.visitor_id, guest.delivered_up_to, BATCH)
            .await
            .map_err(super::chat_error)?;
        if batch.is_empty() {
            return Ok(());
        }
        for message in batch {
            let outcome = if window_closed(m, &guest) {
                Err(format!(
                    "Not sent on {}: more than 24 hours have passed since the guest last wrote, and {} then takes only approved templates. The guest sees it when they write again.",
                    guest.platform.label(),
                    guest.platform.label()
                ))
            } else {
                let out = outgoing(m, &bot, &guest, &message).await;
                send_paced(m, &bot, &guest.address, &out, None).await
            };
            if let Err(why) = outcome {
                tracing::warn!(
                    platform = guest.platform.as_str(),
                    why,
                    "A message to a guest was not sent."
                );
                let _ = m.inner.chat.channel_note(message.dialogue_id, &why).await;
            }
            let (id, message_id) = (guest.id, message.id);
            m.inner
                .store
                .write(move |c| db::delivered(c, id, message_id))
                .await?;
        }
    }
}

/// Meta's 24-hour window since the guest last wrote has closed.
fn window_closed(m: &Messengers, guest: &db::GuestRow) -> bool {
    let Some(window) = guest.platform.reply_window() else {
        return false;
    };
    crate::clock::parse(&guest.last_inbound_at).is_some_and(|t| m.inner.clock.now() - t > window)
}

/// The message as the platform takes it: its text, and its file's bytes (with a signed
/// public URL for a platform that fetches files itself).
async fn outgoing(
    m: &Messengers,
    bot: &super::Bot,
    guest: &db::GuestRow,
    message: &crate::chat::Message,
) -> Outgoing {
    let text = message.body.clone();
    let Some(a) = &message.attachment else {
        return Outgoing { text, file: None };
    };
    match m
        .inner
        .chat
        .channel_attachment(guest.visitor_id, a.id)
        .await
    {
        Ok((bytes, name, content_type)) => {
            let public_url = m.public_base().map(|base| {
                format!(
                    "{base}/hooks/viber/media/{}/{}/{}",
                    guest.visitor_id,
                    a.id,
                    super::media_signature(&bot.creds, guest.visitor_id, a.id)
                )
            });
            let text = if text == a.file_name {
                String::new()
            } else {
                text
            };
            Outgoing {
                text,
                file: Some(OutFile {
                    bytes,
                    name,
                    content_type,
                    public_url,
                }),
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "A file for a messenger guest cannot be read; its text goes alone.");
            Outgoing { text, file: None }
        }
    }
}

/// Sends `out`, keeping the platform's per-chat gap and its overall pace, waiting as told
/// on a 429 and backing off (1 s doubling to 60 s) while the platform cannot be reached,
/// for at most `budget` when one is given. `Err` is why it was not sent.
pub(super) async fn send_paced(
    m: &Messengers,
    bot: &super::Bot,
    address: &str,
    out: &Outgoing,
    budget: Option<Duration>,
) -> Result<(), String> {
    let platform = bot.row.platform;
    let deadline = budget.map(|b| tokio::time::Instant::now() + b);
    let mut backoff = Duration::from_secs(1);
    loop {
        chat_pace(m, platform, address).await;
        overall_pace(m, platform).await;
        let sent = m.send(bot, address, out).await;
        chat_sent(m, platform, address).await;
        let wait = match sent {
            Ok(()) => return Ok(()),
            Err(SendError::RetryAfter(wait)) => {
                tracing::info!(
                    platform = platform.as_str(),
                    ?wait,
                    "The platform asked to wait."
                );
                wait
            }
            Err(SendError::Transient(e)) => {
                tracing::warn!(platform = platform.as_str(), error = %e, "A messenger send failed; trying again.");
                backoff = (backoff * 2).min(Duration::from_secs(60));
                backoff / 2
            }
            Err(SendError::Refused(e)) => {
                return Err(format!("Not sent on {}: {e}", platform.label()));
            }
        };
        if deadline.is_some_and(|d| tokio::time::Instant::now() + wait > d) {
            return Err(format!(
                "Not sent on {}: it kept refusing",
                platform.label()
            ));
        }
        tokio::time::sleep(wait).await;
    }
}

/// Waits for this chat's next free slot: the platform's per-chat gap after the last send.
async fn chat_pace(m: &Messengers, platform: Platform, address: &str) {
    let at = {
        let mut next = m.inner.outbox.next_in_chat.lock().await;
        let now = tokio::time::Instant::now();
        if next.len() > 1000 {
            next.retain(|_, t| *t > now);
        }
        let key = (platform, address.to_owned());
        let at = next.get(&key).copied().unwrap_or(now).max(now);
        next.insert(key, at + platform.per_chat_gap());
        at
    };
    tokio::time::sleep_until(at).await;
}

/// The chat's next slot counts from now, when the platform has answered: a request that
/// was slow on its way must not bring the next one within the gap of it at the platform.
async fn chat_sent(m: &Messengers, platform: Platform, address: &str) {
    let mut next = m.inner.outbox.next_in_chat.lock().await;
    let after = tokio::time::Instant::now() + platform.per_chat_gap();
    let slot = next.entry((platform, address.to_owned())).or_insert(after);
    *slot = (*slot).max(after);
}

/// Waits for the platform's next free slot across all chats (30 a second).
async fn overall_pace(m: &Messengers, platform: Platform) {
    let gap = Duration::from_millis(34);
    let at = {
        let mut next = m.inner.outbox.next_slot.lock().await;
        let now = tokio::time::Instant::now();
        let at = next.get(&platform).copied().unwrap_or(now).max(now);
        next.insert(platform, at + gap);
        at
    };
    tokio::time::sleep_until(at).await;
}
