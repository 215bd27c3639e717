//! Wiring: the messenger channels' start, and the one notification system (TEAM-3, CLOUD-3). What the capabilities announce
//! (a guest wrote, a call rings or was missed) becomes a notice for the members who are not
//! in the Team Messenger to see it (an open one alerts by itself), sent where each member
//! chose: Web Push or one linked messenger, by their events and quiet hours, so nobody is
//! told twice of one event.

use std::sync::Arc;

use crate::chat::Chat;
use crate::messengers::{Messengers, NoticeEvent, NoticeRoute};

/// Starts the messenger channels, the hub's public address for their webhooks read from
/// the cloud link, and offers them to guests (widget, guest pages, plates).
pub(crate) async fn start_messengers(
    config: &crate::config::Config,
    chat: &Arc<Chat>,
    reception: &crate::reception::Reception,
    cloud: &crate::cloud::Cloud,
    http: reqwest::Client,
) -> Result<Messengers, crate::messengers::MessengerError> {
    let (cloud, public) = (cloud.clone(), cloud.clone());
    let messengers = Messengers::start(crate::messengers::MessengersParts {
        store: chat.store.clone(),
        clock: chat.clock.clone(),
        data_dir: config.data_dir.clone(),
        http,
        config: config.messengers.clone(),
        chat: chat.clone(),
        reception: reception.clone(),
        public_url: Arc::new(move || public.status().public_url),
        cloud,
    })
    .await?;
    let links = messengers.clone();
    chat.offer_channels(Arc::new(move |unit, lang| {
        links
            .guest_links(unit, lang)
            .into_iter()
            .map(|l| crate::chat::ChannelLink {
                platform: l.platform.as_str().to_owned(),
                label: l.label.to_owned(),
                url: l.url,
                name: l.name,
            })
            .collect()
    }));
    Ok(messengers)
}

/// The notices' tasks: the messengers' outbox, guests' messages and calls.
pub(crate) fn spawn(
    team: &crate::team::Team,
    chat: &Arc<Chat>,
    push: &crate::push::Push,
    messengers: &Messengers,
    calls: &crate::calls::Calls,
) -> Vec<tokio::task::JoinHandle<()>> {
    // A member who made their own choices has a guest left waiting by them (below), not by
    // the chat's "notify me while offline" e-mail.
    let chose = messengers.clone();
    chat.filter_waiting_mail(move |id| !chose.chose(id));
    let notices = Notices {
        team: team.clone(),
        chat: chat.clone(),
        push: push.clone(),
        messengers: messengers.clone(),
    };
    vec![
        messengers.spawn_outbox(),
        guest_wrote(notices.clone()),
        self::calls(calls, notices),
    ]
}

/// What a notice goes through.
#[derive(Clone)]
struct Notices {
    pub chat: Arc<Chat>,
    pub team: crate::team::Team,
    pub push: crate::push::Push,
    pub messengers: Messengers,
}

/// The chat's alerts (a guest wrote; these members do not have the Team Messenger open)
/// become notices that open the conversation, naming the guest and their unit.
fn guest_wrote(n: Notices) -> tokio::task::JoinHandle<()> {
    let (push, messengers) = (n.push.clone(), n.messengers.clone());
    let mut alerts = n
        .chat
        .alerts(move |assignee| push.could_reach(assignee) || messengers.anyone_reachable());
    tokio::spawn(async move {
        loop {
            let alert = match alerts.recv().await {
                Ok(a) => a,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "Notices fell behind the chat's alerts.");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let unit = match alert.visitor_id {
                Some(v) => n.chat.visitor_card(v).await.ok().and_then(|card| {
                    card.tags
                        .iter()
                        .find_map(|t| t.strip_prefix("room-").map(str::to_owned))
                }),
                None => None,
            };
            let from = match &unit {
                Some(u) => format!("{} (room {u})", alert.from),
                None => alert.from.clone(),
            };
            let via = match alert.channel.as_str() {
                "web" | "reception" | "kiosk" => String::new(),
                other => format!(
                    " on {}",
                    crate::messengers::Platform::parse(other)
                        .map(|p| p.label())
                        .unwrap_or(other)
                ),
            };
            let (event, title) = if alert.unanswered {
                (
                    NoticeEvent::Unanswered,
                    format!("{from}{via} is waiting for an answer"),
                )
            } else if alert.new_dialogue {
                (
                    NoticeEvent::NewDialogue,
                    format!("{from} started a conversation{via}"),
                )
            } else {
                (NoticeEvent::GuestMessage, format!("{from} wrote{via}"))
            };
            let notice = crate::push::Notice {
                title,
                body: if alert.unanswered {
                    "Nobody has answered yet.".into()
                } else {
                    alert.text
                },
                url: format!("/messenger/?open={}", alert.dialogue_id),
                tag: format!("dialogue-{}", alert.dialogue_id),
            };
            let assignee = alert.assignee;
            to_absent(&n, |id| assignee.is_none_or(|a| a == id), event, &notice).await;
        }
    })
}

/// A call ringing or missed becomes a notice for the members not in the Team Messenger
/// (an open one rings by itself).
fn calls(calls: &crate::calls::Calls, n: Notices) -> tokio::task::JoinHandle<()> {
    let mut events = calls.subscribe();
    tokio::spawn(async move {
        loop {
            let (title, record) = match events.recv().await {
                Ok(crate::calls::CallEvent::Ringing(r)) => ("is calling the desk", r),
                Ok(crate::calls::CallEvent::Missed(r)) => ("called: nobody answered", r),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let notice = crate::push::Notice {
                title: format!("{} {title}", record.from),
                body: if record.video {
                    "Video call"
                } else {
                    "Audio call"
                }
                .into(),
                url: "/messenger/#calls".into(),
                tag: format!("call-{}", record.id),
            };
            to_absent(&n, |_| true, NoticeEvent::Call, &notice).await;
        }
    })
}

/// Sends `notice` to the members `wanted` who are not in the Team Messenger to see it,
/// each where they chose; a failure is logged.
async fn to_absent(
    n: &Notices,
    wanted: impl Fn(i64) -> bool,
    event: NoticeEvent,
    notice: &crate::push::Notice,
) {
    let connected = n.chat.connected_staff();
    let members = match n.team.members().await {
        Ok(all) => all,
        Err(e) => {
            tracing::warn!(error = %e, "Notices cannot list the team.");
            return;
        }
    };
    let subscribed = n.push.subscribed();
    let mut by_push = Vec::new();
    for m in members {
        if !wanted(m.id) || connected.contains(&m.id) {
            continue;
        }
        match n.messengers.route(m.id, event).await {
            NoticeRoute::Push if subscribed.contains(&m.id) => by_push.push(m.id),
            NoticeRoute::Messenger(platform, address) => {
                n.messengers
                    .notify(platform, &address, &notice.title, &notice.body, &notice.url);
            }
            NoticeRoute::Email => {
                if let Some(mailer) = n.chat.mailer().cloned() {
                    let text =
                        format!("{}\n\n{}", notice.body, n.messengers.team_link(&notice.url));
                    let (to, subject) = (m.email.clone(), notice.title.clone());
                    tokio::spawn(async move {
                        if let Err(e) = mailer.send(&to, &subject, &text).await {
                            tracing::warn!(error = %e, "A notice by e-mail was not sent.");
                        }
                    });
                }
            }
            NoticeRoute::Push | NoticeRoute::Nowhere => {}
        }
    }
    if by_push.is_empty() {
        return;
    }
    if let Err(e) = n.push.send(by_push, notice).await {
        tracing::warn!(error = %e, tag = %notice.tag, "A push notice was not sent.");
    }
}
