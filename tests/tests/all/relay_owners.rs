//! Owners on the relay (CLOUD-7, CLOUD-5): an account made with a confirmed e-mail address
//! (a real SMTP server, aiosmtpd, receives the links), sign-in, a password reset, a hub
//! claimed with the code its admin app makes, and the dashboard that lists only one's own
//! hubs; the whole walked in Chromium at phone size. Strangers are refused: another site's
//! page, a burst of sign-ins, an unsigned claim code, a spent code.

use std::time::Duration;

use e2e::relay::{linked, Relay};
use e2e::{client, eventually, Hub, HubOptions, Peer};
use serde_json::{json, Value};

const LINK_UP: Duration = Duration::from_secs(30);

fn relay_mailing_to(smtp: &Peer) -> Relay {
    Relay::start_with(&format!(
        "sign_ins_per_minute = 30\n[mail]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nsecurity = \"none\"\n\
         from = \"Hotel Hub <relay@relay.example>\"\n",
        smtp.port
    ))
    .unwrap()
}

fn linked_hub(relay: &Relay) -> Hub {
    let mut env = relay.hub_env();
    env.push(("HUB_CLOUD__SUMMARY_SECS".into(), "1".into()));
    Hub::start(HubOptions {
        env,
        ..HubOptions::default()
    })
    .unwrap()
}

/// The token in the link a mail carries (`…/verify#TOKEN`, `…/reset#TOKEN`).
fn token_in(mail: &Value) -> String {
    let body = mail["body"].as_str().unwrap_or_default();
    body.split('#')
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect()
        })
        .unwrap_or_else(|| panic!("no link in {body}"))
}

async fn post(c: &reqwest::Client, relay: &Relay, path: &str, body: Value) -> (u16, Value) {
    let r = c.post(relay.url(path)).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Signs up `email`, follows the confirmation link from the mail, and signs in.
async fn owner_account(relay: &Relay, smtp: &Peer, email: &str, password: &str) -> reqwest::Client {
    let c = client();
    let creds = json!({ "email": email, "password": password });
    let (status, _) = post(&c, relay, "/api/v1/account/signup", creds.clone()).await;
    assert_eq!(status, 202);
    let mail = smtp.next("confirmation");
    assert_eq!(mail["to"][0], email);
    assert_eq!(mail["mime_version"], "1.0");
    assert_eq!(mail["content_type"], "text/plain");
    assert_eq!(mail["charset"], "utf-8");
    assert!(mail["body"]
        .as_str()
        .unwrap()
        .contains(&format!("{}/verify#", relay.public_url)));
    let (status, said) = post(&c, relay, "/api/v1/account/signin", creds.clone()).await;
    assert_eq!(status, 403, "unconfirmed: {said}");
    let (status, _) = post(
        &c,
        relay,
        "/api/v1/account/verify",
        json!({ "token": token_in(&mail) }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(&c, relay, "/api/v1/account/signin", creds).await;
    assert_eq!(status, 200);
    c
}

/// Whose accounts on the relay hold `hub`, as its admin app asks.
async fn holders(hub: &Hub) -> Value {
    let admin = hub.signed_in("owner").await.unwrap();
    let r = admin
        .get(hub.url("/api/v1/admin/cloud/access"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn claim_code(hub: &Hub) -> String {
    let admin = hub.signed_in("owner").await.unwrap();
    let r = admin
        .post(hub.url("/api/v1/admin/cloud/claim-code"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.unwrap();
    made["code"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_claims_their_hub_and_sees_only_their_own() {
    let smtp = Peer::start("smtp_sink.py", &[]).unwrap();
    let relay = relay_mailing_to(&smtp);
    let (a, b) = (linked_hub(&relay), linked_hub(&relay));
    let public_a = linked(&a, LINK_UP).await.unwrap();
    linked(&b, LINK_UP).await.unwrap();

    let olivia = owner_account(
        &relay,
        &smtp,
        "olivia@seaview.example",
        "sea view passphrase",
    )
    .await;
    let code = claim_code(&a).await;
    let (status, said) = post(
        &olivia,
        &relay,
        "/api/v1/account/hubs/claim",
        json!({ "code": code.to_lowercase() }),
    )
    .await;
    assert_eq!(status, 200, "{said}");
    let hubs: Value = olivia
        .get(relay.url("/api/v1/account/hubs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = hubs.as_array().unwrap();
    assert_eq!(list.len(), 1, "{hubs}");
    assert_eq!(list[0]["public_url"], public_a.as_str());
    assert_eq!(list[0]["role"], "owner");
    assert!(list[0]["online_since"].is_i64(), "online: {hubs}");
    assert_eq!(list[0]["name"], "Seaview Guest House");

    // A guest writes at the hotel: the dashboard shows an unanswered dialogue within the
    // hub's look-interval (a second here), beside the demo's arrivals and devices.
    let owner_a = a.signed_in("owner").await.unwrap();
    let key = e2e::chat::widget_key(&owner_a, &a).await.unwrap();
    let _guest = e2e::chat::new_guest_dialogue(&a, &key, "Is the pool open today?")
        .await
        .unwrap();
    let summary = eventually(
        "an unanswered dialogue on the dashboard",
        Duration::from_secs(20),
        async || {
            let hubs: Value = olivia
                .get(relay.url("/api/v1/account/hubs"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let s = hubs[0]["summary"].clone();
            (s["unanswered"].as_i64() >= Some(1))
                .then_some(s.clone())
                .ok_or(s.to_string())
        },
    )
    .await;
    for figure in [
        "arrivals",
        "departures",
        "devices",
        "devices_offline",
        "seq",
    ] {
        assert!(summary[figure].is_i64(), "{figure} in {summary}");
    }
    assert!(
        summary["devices"].as_i64() > Some(0),
        "the demo's devices: {summary}"
    );

    // A code works once; another owner sees nothing of Olivia's.
    let mallory = owner_account(
        &relay,
        &smtp,
        "mallory@elsewhere.example",
        "another passphrase",
    )
    .await;
    let (status, _) = post(
        &mallory,
        &relay,
        "/api/v1/account/hubs/claim",
        json!({ "code": code }),
    )
    .await;
    assert_eq!(status, 404);
    let theirs: Value = mallory
        .get(relay.url("/api/v1/account/hubs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, json!([]));
    // Olivia shares the property with Mallory: the invitation works for Mallory's address
    // only, once, and a manager cannot share further.
    let hub_a = list[0]["hub_id"].as_str().unwrap().to_owned();
    let invites = format!("/api/v1/account/hubs/{hub_a}/invites");
    let (status, said) = post(
        &olivia,
        &relay,
        &invites,
        json!({ "email": "mallory@elsewhere.example" }),
    )
    .await;
    assert_eq!(status, 202, "{said}");
    let invitation = smtp.next("invitation");
    assert_eq!(invitation["to"][0], "mallory@elsewhere.example");
    assert!(invitation["subject"]
        .as_str()
        .unwrap()
        .contains("Seaview Guest House"));
    let accept = json!({ "token": token_in(&invitation) });
    let eve = owner_account(
        &relay,
        &smtp,
        "eve@elsewhere.example",
        "eve's own passphrase",
    )
    .await;
    let (status, _) = post(
        &eve,
        &relay,
        "/api/v1/account/invites/accept",
        accept.clone(),
    )
    .await;
    assert_eq!(
        status, 403,
        "an invitation forwarded to someone else does not work"
    );
    let (status, _) = post(
        &mallory,
        &relay,
        "/api/v1/account/invites/accept",
        accept.clone(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(&mallory, &relay, "/api/v1/account/invites/accept", accept).await;
    assert_eq!(status, 404, "spent");
    let shared: Value = mallory
        .get(relay.url("/api/v1/account/hubs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shared[0]["hub_id"], hub_a.as_str());
    assert_eq!(shared[0]["role"], "manager");
    let (status, _) = post(
        &mallory,
        &relay,
        &invites,
        json!({ "email": "eve@elsewhere.example" }),
    )
    .await;
    assert_eq!(status, 403, "a manager does not share further");
    let (status, _) = post(
        &eve,
        &relay,
        &invites,
        json!({ "email": "eve@elsewhere.example" }),
    )
    .await;
    assert_eq!(status, 403, "a stranger does not share at all");
    let (status, said) = post(
        &olivia,
        &relay,
        &invites,
        json!({ "email": "Mallory@Elsewhere.example" }),
    )
    .await;
    assert_eq!(
        status, 422,
        "someone with access is not invited again: {said}"
    );

    // The hotel's admin app says whose accounts hold it; hub B's, nobody's.
    assert_eq!(
        holders(&a).await,
        json!([
            { "email": "olivia@seaview.example", "role": "owner" },
            { "email": "mallory@elsewhere.example", "role": "manager" }
        ])
    );
    assert_eq!(holders(&b).await, json!([]));

    // Olivia sees who has access, and takes Mallory's away at once; only she may.
    let members = format!("/api/v1/account/hubs/{hub_a}/members");
    let sharing: Value = olivia
        .get(relay.url(&members))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let people: Vec<(&str, &str)> = sharing["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        people,
        [
            ("olivia@seaview.example", "owner"),
            ("mallory@elsewhere.example", "manager")
        ]
    );
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(mallory.get(relay.url(&members)).send().await.unwrap()),
        403
    );
    let (olivia_id, mallory_id) = (
        sharing["members"][0]["id"].as_i64().unwrap(),
        sharing["members"][1]["id"].as_i64().unwrap(),
    );
    let access = |id: i64| relay.url(&format!("{members}/{id}"));
    assert_eq!(
        status(mallory.delete(access(olivia_id)).send().await.unwrap()),
        403,
        "a manager removes nobody"
    );
    assert_eq!(
        status(olivia.delete(access(olivia_id)).send().await.unwrap()),
        404,
        "an owner is not removed as a manager"
    );
    assert_eq!(
        status(olivia.delete(access(mallory_id)).send().await.unwrap()),
        204
    );
    let shared: Value = mallory
        .get(relay.url("/api/v1/account/hubs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shared, json!([]), "Mallory's access is gone");

    // Only a hub can make a code for itself.
    let (status, _) = post(
        &client(),
        &relay,
        "/api/v1/hubs/claim-code",
        json!({ "code": "AAAA-BBBB" }),
    )
    .await;
    assert_eq!(status, 401);

    // A forgotten password: the reset link ends the old sessions.
    let (status, _) = post(
        &client(),
        &relay,
        "/api/v1/account/reset",
        json!({ "email": "olivia@seaview.example" }),
    )
    .await;
    assert_eq!(status, 202);
    let mail = smtp.next("reset");
    let (status, _) = post(
        &client(),
        &relay,
        "/api/v1/account/reset/confirm",
        json!({ "token": token_in(&mail), "password": "a brand new passphrase" }),
    )
    .await;
    assert_eq!(status, 200);
    let r = olivia
        .get(relay.url("/api/v1/account/hubs"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the old session ended with the reset");
    let (status, _) = post(
        &client(),
        &relay,
        "/api/v1/account/reset",
        json!({ "email": "nobody@nowhere.example" }),
    )
    .await;
    assert_eq!(status, 202, "an unknown address is not told apart");

    // Another site's page cannot sign anyone in; a burst of tries is cut off.
    let r = client()
        .post(relay.url("/api/v1/account/signin"))
        .header("origin", "https://evil.example")
        .json(&json!({ "email": "olivia@seaview.example", "password": "a brand new passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let stranger = client();
    let mut limited = false;
    for _ in 0..40 {
        let (status, _) = post(
            &stranger,
            &relay,
            "/api/v1/account/signin",
            json!({ "email": "olivia@seaview.example", "password": "guess guess guess" }),
        )
        .await;
        assert!(status == 401 || status == 429, "{status}");
        limited |= status == 429;
    }
    assert!(limited, "a burst of sign-ins is limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_away_from_the_hotel_claims_and_opens_it_in_chromium() {
    let smtp = Peer::start("smtp_sink.py", &[]).unwrap();
    let relay = relay_mailing_to(&smtp);
    let hub = linked_hub(&relay);
    let public = linked(&hub, LINK_UP).await.unwrap();
    let (email, password) = hub.password_of("owner");
    let relay_password = "the owner's relay passphrase";
    owner_account(&relay, &smtp, &email, relay_password).await;
    crate::browser::run_script(
        "relay-owner.mjs",
        vec![
            relay.public_url.clone(),
            email,
            relay_password.into(),
            hub.url(""),
            password,
            public,
        ],
        "relay owner ok",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_signs_in_with_an_openid_provider_and_forged_callbacks_are_refused() {
    // The provider's port is chosen first: the relay's configuration names its issuer, and
    // the provider's client names the relay's callback.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let relay = Relay::start_with(&format!(
        "[[oidc]]\nid = \"local\"\nname = \"Local ID\"\nissuer = \"http://127.0.0.1:{port}\"\n\
         client_id = \"hotel-hub-relay\"\nclient_secret = \"a secret for this test only\"\n"
    ))
    .unwrap();
    let callback = format!("{}/auth/oidc/local/callback", relay.public_url);
    let script = e2e::workspace().join("tests/browser/oidc-op.mjs");
    let op = e2e::LinePeer::start(
        std::path::Path::new("node"),
        &[
            &script.display().to_string(),
            &port.to_string(),
            &callback,
            "hotel-hub-relay",
            "a secret for this test only",
        ],
    )
    .unwrap();
    op.expect("listening");

    let offered: Value = client()
        .get(relay.url("/api/v1/account/providers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(offered, json!([{ "id": "local", "name": "Local ID" }]));

    let out = crate::browser::run_script(
        "relay-oidc.mjs",
        vec![relay.public_url.clone(), "maria@seaview.example".into()],
        "relay oidc ok",
    )
    .await;
    let used = out
        .lines()
        .find_map(|l| l.strip_prefix("callback "))
        .expect("the callback address")
        .replace(&relay.public_url, &relay.url(""));

    // The same callback again (a replay, say from a stolen address) is refused, and so are
    // a made-up state and a provider's refusal; each says why in a page.
    let replayed = client().get(&used).send().await.unwrap();
    assert_eq!(replayed.status(), 400);
    assert!(replayed.text().await.unwrap().contains("did not work"));
    let forged = client()
        .get(relay.url("/auth/oidc/local/callback?code=abc&state=made-up"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let refused = client()
        .get(relay.url("/auth/oidc/local/callback?error=access_denied"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("access_denied"));
    let unknown = client()
        .get(relay.url("/auth/oidc/elsewhere/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}
