//! Every route of the router, walked from the OpenAPI document the router is built with:
//! strangers get 401 on every staff and guest route, agents 403 on every admin route.

use e2e::{client, get_json, Hub, HubOptions};
use serde_json::Value;

/// Routes anyone may call. Anything else must declare the session requirement.
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/setup"),
    ("get", "/invite/{token}"),
    ("get", "/admin/"),
    ("get", "/ca.crt"),
    ("get", "/healthz"),
    ("get", "/widget.js"),
    ("get", "/messenger/"),
    ("get", "/favicon.ico"),
    ("get", "/widget/try"),
    // A unit's guest page: its address is the key; it shows no guest's data.
    ("get", "/r/{slug}"),
    ("get", "/r/theme.css"),
    // A guest opens their own stay: by its link, or by reference and surname (rate-limited).
    ("get", "/s/{token}"),
    ("post", "/r/{slug}/stay"),
    ("get", "/r/{slug}/stay"),
    // The weather where a guest is, for the page's script (rate-limited, no guest data).
    ("get", "/r/{slug}/weather"),
    // The property's own guest page (the lobby's code): no unit, no stay.
    ("get", "/r/"),
    // The lobby kiosk's app, and the pairing a tablet does with an admin's one-time code
    // (ten wrong codes a quarter of an hour per address).
    ("get", "/kiosk/"),
    ("post", "/api/v1/kiosk/pair"),
    ("get", "/metrics"),
    ("get", "/api/v1/setup"),
    ("post", "/api/v1/setup"),
    ("post", "/api/v1/auth/login"),
    ("get", "/api/v1/invites/{token}"),
    ("post", "/api/v1/invites/{token}/accept"),
    // Checked by its HMAC signature instead of a session.
    ("post", "/api/v1/bookings/webhook"),
    // The box's own screen (loopback only, 404 elsewhere): tests/all/gpio.rs.
    ("get", "/api/v1/gpio/notice"),
    // The messenger platforms' webhooks, each verified as its platform signs it (and
    // Meta's subscription check by its verify token): tests/all/messengers.rs.
    ("get", "/hooks/{platform}"),
    ("post", "/hooks/{platform}"),
    // The relay's shared bot's updates, signed by the relay with the hub's own secret.
    ("post", "/hooks/gateway/{platform}"),
    // A file the team sent a Viber guest, at an address signed by the hub.
    (
        "get",
        "/hooks/viber/media/{visitor}/{attachment}/{signature}",
    ),
    // The messengers the property offers guests: links, no guest data.
    ("get", "/api/v1/messengers/links"),
];

async fn call(client: &reqwest::Client, method: &str, url: &str) -> reqwest::StatusCode {
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = client.request(method.clone(), url);
    if method != reqwest::Method::GET && method != reqwest::Method::DELETE {
        req = req.json(&serde_json::json!({}));
    }
    req.send().await.unwrap().status()
}

/// A route behind a credential other than the staff session answers 401 without one and
/// with a made-up one (`forged`: the header that carries it).
async fn strangers_refused(
    anonymous: &reqwest::Client,
    method: &str,
    url: &str,
    forged: (&str, &str),
) {
    assert_eq!(
        call(anonymous, method, url).await.as_u16(),
        401,
        "{method} {url} without a credential"
    );
    let verb = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let status = anonymous
        .request(verb, url)
        .header(forged.0, forged.1)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(
        status.as_u16(),
        401,
        "{method} {url} with a made-up {}",
        forged.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_the_session_and_the_role() {
    let hub = Hub::start_demo().unwrap();
    let doc = get_json(&client(), &hub.url("/api/v1/openapi.json"))
        .await
        .unwrap();
    let paths = doc["paths"].as_object().expect("the document lists paths");
    let anonymous = client();
    let owner = hub.signed_in("owner").await.unwrap();
    let (mut staff_routes, mut admin_routes, mut guest_routes, mut kiosk_routes) = (0, 0, 0, 0);
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let url = hub.url(
                &path
                    .replace("{id}", "999999")
                    .replace("{token}", "no-such-token"),
            );
            let is_public = PUBLIC.contains(&(method.as_str(), path.as_str()));
            let scopes: Vec<&str> = op["security"][0]["session"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if op["security"][0].get("kiosk").is_some() {
                // A kiosk route: no credential, a made-up one, or a staff session is a stranger.
                strangers_refused(&anonymous, method, &url, ("cookie", "hub_kiosk=made-up")).await;
                assert_eq!(
                    call(&owner, method, &url).await.as_u16(),
                    401,
                    "{method} {path} with a staff session"
                );
                kiosk_routes += 1;
                continue;
            }
            if op["security"][0].get("guest").is_some() {
                // A guest route: no token, or a made-up one, is a stranger.
                strangers_refused(&anonymous, method, &url, ("x-guest-token", "made-up")).await;
                guest_routes += 1;
                continue;
            }
            let secured = op["security"][0].get("session").is_some();
            assert!(
                secured != is_public,
                "{method} {path}: either declare the session requirement or list it as public"
            );
            if is_public {
                assert_ne!(
                    call(&anonymous, method, &url).await.as_u16(),
                    401,
                    "{method} {path} is public"
                );
                continue;
            }
            assert_eq!(
                call(&anonymous, method, &url).await.as_u16(),
                401,
                "{method} {path} without a session"
            );
            let admin = scopes.contains(&"admin");
            assert_eq!(
                admin,
                path.starts_with("/api/v1/admin/"),
                "{method} {path}: admin scope and /admin/ prefix go together"
            );
            // A fresh agent session per route: one of them is sign-out.
            let agent = hub.signed_in("agent").await.unwrap();
            let as_agent = call(&agent, method, &url).await.as_u16();
            if admin {
                admin_routes += 1;
                assert_eq!(as_agent, 403, "{method} {path} as an agent");
                if method == "get" {
                    // A made-up id is not found, but the owner gets that far.
                    let expected: &[u16] = if path.contains('{') {
                        &[200, 404]
                    } else {
                        &[200]
                    };
                    let got = call(&owner, method, &url).await.as_u16();
                    assert!(
                        expected.contains(&got),
                        "{method} {path} as the owner: {got}"
                    );
                }
            } else if scopes.contains(&"chat_admin") {
                staff_routes += 1;
                assert_eq!(as_agent, 403, "{method} {path} is for chat administrators");
            } else if scopes.contains(&"documents") {
                // Scanned identity documents: owners and admins only.
                staff_routes += 1;
                assert_eq!(as_agent, 403, "{method} {path} is for owners and admins");
            } else {
                staff_routes += 1;
                assert!(
                    ![401, 403].contains(&as_agent),
                    "{method} {path} as an agent answered {as_agent}"
                );
            }
        }
    }
    assert!(
        staff_routes >= 20 && admin_routes >= 10 && guest_routes >= 3 && kiosk_routes >= 1,
        "walked {staff_routes} staff, {admin_routes} admin, {guest_routes} guest and {kiosk_routes} kiosk routes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_is_signed_out_at_once() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let agent = hub.signed_in("agent").await.unwrap();
    assert_eq!(call(&agent, "get", &hub.url("/api/v1/me")).await, 200);
    let members: Value = get_json(&owner, &hub.url("/api/v1/admin/members"))
        .await
        .unwrap();
    let id = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "agent")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = owner
        .delete(hub.url(&format!("/api/v1/admin/members/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(call(&agent, "get", &hub.url("/api/v1/me")).await, 401);
    // The owner cannot be removed, not even by themself.
    let me: Value = get_json(&owner, &hub.url("/api/v1/me")).await.unwrap();
    let r = owner
        .delete(hub.url(&format!("/api/v1/admin/members/{}", me["id"])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_rate_limited_and_cookies_are_strict() {
    let hub = Hub::start_demo().unwrap();
    let (email, password) = hub.password_of("agent");
    let c = client();
    let login = |pw: String| {
        let c = c.clone();
        let url = hub.url("/api/v1/auth/login");
        let email = email.clone();
        async move {
            c.post(url)
                .json(&serde_json::json!({"email": email, "password": pw}))
                .send()
                .await
                .unwrap()
        }
    };
    let ok = login(password.clone()).await;
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Secure"),
        "{cookie}"
    );
    for _ in 0..5 {
        assert_eq!(login("wrong password".into()).await.status(), 401);
    }
    let limited = login(password).await;
    assert_eq!(
        limited.status(),
        429,
        "even the right password waits once the limit is hit"
    );
    assert!(limited.headers().contains_key("retry-after"));
}

/// Every `$ref` in the OpenAPI document names a schema the document defines: generated
/// clients and schema-driven tests read it whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_schema_the_document_names_is_defined() {
    let hub = Hub::start(e2e::HubOptions {
        demo: false,
        ..e2e::HubOptions::default()
    })
    .unwrap();
    let doc = get_json(&client(), &hub.url("/api/v1/openapi.json"))
        .await
        .unwrap();
    let defined = doc["components"]["schemas"]
        .as_object()
        .expect("the document has schemas");
    let mut missing = std::collections::BTreeSet::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r.clone());
                }
                o.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    assert!(!refs.is_empty(), "the document refers to schemas");
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        if !defined.contains_key(name) {
            missing.insert(r);
        }
    }
    assert!(missing.is_empty(), "undefined: {missing:?}");
}

/// 250 sign-ins with a wrong password at once from one address, each for another e-mail:
/// each attempt is counted before its password is hashed, so at most the address's limit
/// (20) is hashed and the rest are refused at once; hashes run two at a time, so the hub's
/// memory stays flat (argon2 takes about 19 MiB a hash).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_bad_sign_ins_is_counted_before_hashing() {
    const BURST: usize = 250;
    let hub = Hub::start_demo().unwrap();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(BURST));
    let mut tasks = Vec::new();
    for i in 0..BURST {
        let (c, url, start) = (client(), hub.url("/api/v1/auth/login"), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            c.post(url)
                .json(&serde_json::json!({"email": format!("nobody{i}@example.org"), "password": "wrong password"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut answers = std::collections::BTreeMap::new();
    for t in tasks {
        *answers.entry(t.await.unwrap()).or_insert(0usize) += 1;
    }
    let hashed = answers.get(&401).copied().unwrap_or(0);
    let refused = answers.get(&429).copied().unwrap_or(0);
    assert!(hashed <= 20, "{answers:?}");
    assert_eq!(hashed + refused, BURST, "{answers:?}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", hub.child.id())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the hub's peak memory");
    println!("burst: {answers:?}; the hub peaked at {peak_kib} KiB");
    assert!(peak_kib < 250 * 1024, "the hub peaked at {peak_kib} KiB");
}

/// Wrong passwords for an account from one address do not lock its owner out elsewhere:
/// the right password from another address still signs in; the failing address backs off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_from_one_address_do_not_lock_the_account_everywhere() {
    let hub = Hub::start_demo().unwrap();
    let (email, password) = hub.password_of("owner");
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let (attacker, owner) = (from([127, 0, 0, 2]), from([127, 0, 0, 1]));
    let login = |c: &reqwest::Client, pw: &str| {
        c.post(hub.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": pw}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            login(&attacker, "wrong password").await.unwrap().status(),
            401
        );
    }
    let refused = login(&attacker, &password).await.unwrap();
    assert_eq!(refused.status(), 429, "the failing address waits");
    // A backoff, not a lock: 30 s after the fifth failure (doubling after each next one).
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "retry after {wait} s");
    assert_eq!(
        login(&owner, &password).await.unwrap().status(),
        200,
        "the owner elsewhere signs in"
    );
}

/// `hub demo` keeps its listeners on loopback even where the config says every interface:
/// its accounts' passwords are printed, and its admin app, broker and metrics must not be
/// open to the LAN unless asked (`--lan`).
#[test]
fn the_demo_stays_on_loopback() {
    let hub = Hub::start(HubOptions {
        env: vec![
            ("HUB_WEB__HTTP_LISTEN".into(), "0.0.0.0:0".into()),
            ("HUB_WEB__HTTPS_LISTEN".into(), "0.0.0.0:0".into()),
            ("HUB_BROKER__LISTEN".into(), "0.0.0.0:0".into()),
        ],
        ..HubOptions::default()
    })
    .unwrap();
    for (name, addr) in [
        ("http", Some(hub.http)),
        ("https", hub.https),
        ("mqtt", hub.mqtt),
    ] {
        let addr = addr.unwrap_or_else(|| panic!("no {name} address"));
        assert!(addr.ip().is_loopback(), "{name} listens on {addr}");
    }
}
