//! The dialogue lifecycle's rules, on a real store: round robin with its cap, manual
//! distribution, the bot, private notes and replies.

use std::sync::Arc;

use super::db::{self, DialogueRow};
use super::service::Posted;
use super::settings::{ChatSettings, Distribution, KeywordAnswer};
use super::visitors::PageInfo;
use super::*;
use crate::clock::Clock;
use crate::store::{Store, StoreOptions};
use crate::team::{Availability, Member};

async fn chat(dir: &std::path::Path) -> Arc<Chat> {
    let store = Store::open(&dir.join("hub.db"), StoreOptions::default()).unwrap();
    Chat::for_test(store, Clock::system()).await
}

async fn staff(chat: &Chat, email: &'static str, online: bool) -> Member {
    let status = if online {
        Availability::Online
    } else {
        Availability::Offline
    };
    crate::team::test_member(&chat.store, email, email, status).await
}

async fn new_guest_writes(chat: &Chat, body: &str) -> Posted {
    let hello = chat
        .guest_hello(None, PageInfo::default(), "192.0.2.7".into())
        .await
        .unwrap();
    chat.guest_post(
        hello.visitor.id,
        Some("c1".into()),
        body,
        "web",
        false,
        None,
    )
    .await
    .unwrap()
}

async fn dialogue(chat: &Chat, id: i64) -> DialogueRow {
    chat.store.read(move |c| db::dialogue(c, id)).await.unwrap()
}

#[tokio::test]
async fn round_robin_gives_online_staff_turns_up_to_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let chat = chat(dir.path()).await;
    let s = ChatSettings {
        max_dialogues_per_agent: 2,
        ..ChatSettings::default()
    };
    chat.save_settings(s).await.unwrap();
    let ana = staff(&chat, "ana@example.org", true).await;
    let bo = staff(&chat, "bo@example.org", true).await;
    let away = staff(&chat, "offline@example.org", false).await;
    let _here: Vec<_> = [ana.id, bo.id, away.id]
        .into_iter()
        .map(|id| chat.presence.connect(id, chrono::Utc::now))
        .collect();
    let mut assignees = Vec::new();
    for _ in 0..5 {
        let p = new_guest_writes(&chat, "hello").await;
        assignees.push(dialogue(&chat, p.message.dialogue_id).await.assignee_id);
    }
    assert_eq!(
        assignees,
        vec![Some(ana.id), Some(bo.id), Some(ana.id), Some(bo.id), None],
        "turns, the cap of 2 each, never the offline member; the fifth waits unassigned"
    );
}

#[tokio::test]
async fn manual_distribution_leaves_dialogues_unassigned() {
    let dir = tempfile::tempdir().unwrap();
    let chat = chat(dir.path()).await;
    let s = ChatSettings {
        distribution: Distribution::Manual,
        ..ChatSettings::default()
    };
    chat.save_settings(s).await.unwrap();
    staff(&chat, "ana@example.org", true).await;
    let p = new_guest_writes(&chat, "hello").await;
    assert_eq!(
        dialogue(&chat, p.message.dialogue_id).await.state,
        DialogueState::Unassigned
    );
}

#[tokio::test]
async fn the_bot_welcomes_answers_keywords_and_hands_off() {
    let dir = tempfile::tempdir().unwrap();
    let chat = chat(dir.path()).await;
    let mut s = ChatSettings::default();
    s.automation.welcome_message = "Welcome to Seaview!".into();
    s.automation.keyword_answers = vec![KeywordAnswer {
        keywords: vec!["wifi".into(), "wi-fi".into()],
        answer: "The Wi-Fi is Seaview.".into(),
        answers: [("ru".to_owned(), "Wi-Fi: Seaview.".to_owned())].into(),
    }];
    s.automation.welcome_messages = [("ru".to_owned(), "Добро пожаловать!".to_owned())].into();
    s.automation.handoff_words = vec!["human".into()];
    chat.save_settings(s).await.unwrap();
    let hello = chat
        .guest_hello(None, PageInfo::default(), "192.0.2.8".into())
        .await
        .unwrap();
    let v = hello.visitor.id;
    let first = chat
        .guest_post(v, None, "What is the WiFi password?", "web", false, None)
        .await
        .unwrap();
    let d = first.message.dialogue_id;
    chat.guest_post(v, None, "I want a human please", "web", false, None)
        .await
        .unwrap();
    chat.guest_post(v, None, "thanks", "web", false, None)
        .await
        .unwrap();
    let bot: Vec<String> = chat
        .store
        .read(move |c| db::messages_after(c, d, 0, 100))
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.author_kind == AuthorKind::Bot)
        .map(|m| m.body)
        .collect();
    assert_eq!(bot.len(), 3, "{bot:?}");
    assert_eq!(bot[0], "Welcome to Seaview!");
    assert_eq!(bot[1], "The Wi-Fi is Seaview.");
    assert!(bot[2].contains("member of our team"), "{bot:?}");

    // A guest whose browser reads Russian gets the Russian greeting and answer.
    let page = PageInfo {
        language: "ru-RU".into(),
        ..PageInfo::default()
    };
    let ru = chat
        .guest_hello(None, page, "192.0.2.9".into())
        .await
        .unwrap();
    let posted = chat
        .guest_post(
            ru.visitor.id,
            None,
            "Какой пароль от wifi?",
            "web",
            false,
            None,
        )
        .await
        .unwrap();
    let d = posted.message.dialogue_id;
    let bot: Vec<String> = chat
        .store
        .read(move |c| db::messages_after(c, d, 0, 100))
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.author_kind == AuthorKind::Bot)
        .map(|m| m.body)
        .collect();
    assert_eq!(bot, ["Добро пожаловать!", "Wi-Fi: Seaview."]);
}

#[tokio::test]
async fn private_notes_and_replies_follow_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let chat = chat(dir.path()).await;
    let ana = staff(&chat, "ana@example.org", false).await;
    let p = new_guest_writes(&chat, "hello").await;
    let d = p.message.dialogue_id;
    let refused = chat.staff_post(&ana, d, None, "hi", false, None).await;
    assert!(
        matches!(refused, Err(ChatError::Conflict(_))),
        "reply before joining"
    );
    chat.staff_post(&ana, d, None, "note to self", true, None)
        .await
        .unwrap();
    chat.join(&ana, d).await.unwrap();
    chat.staff_post(&ana, d, Some("a1".into()), "Hello!", false, None)
        .await
        .unwrap();
    let again = chat
        .staff_post(&ana, d, Some("a1".into()), "Hello!", false, None)
        .await
        .unwrap();
    assert!(again.duplicate);
    let guest_view = chat
        .store
        .read(move |c| db::guest_messages_after(c, d, 0, 100))
        .await
        .unwrap();
    assert!(guest_view.iter().all(|item| match item {
        db::Item::Shown(m) => !m.private && m.body != "note to self",
        db::Item::Taken(_) => true,
    }));
    assert!(
        guest_view
            .iter()
            .any(|item| matches!(item, db::Item::Taken(_))),
        "the note's place in the sequence is kept"
    );
    let shown = |body: &str| {
        guest_view
            .iter()
            .filter(|item| matches!(item, db::Item::Shown(m) if m.body == body))
            .count()
    };
    assert_eq!(shown("Hello!"), 1);
    let row = dialogue(&chat, d).await;
    assert!(
        row.first_response_at.is_some() && row.waiting_since.is_none(),
        "the reply answered the guest"
    );
    chat.end(&ana, d).await.unwrap();
    let next = chat
        .guest_post(
            p.message.author_id,
            Some("c2".into()),
            "one more thing",
            "web",
            false,
            None,
        )
        .await
        .unwrap();
    assert_ne!(next.message.dialogue_id, d, "after the end, a new dialogue");
}
