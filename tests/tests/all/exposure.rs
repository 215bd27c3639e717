//! What a stranger on the guest Wi-Fi meets: staff pages and sign-in only over HTTPS, strict
//! page policies, sockets that check the page they come from.

use std::process::Command;

use e2e::chat::{edit_chat_settings, session_cookie};
use e2e::netns::Namespace;
use e2e::{client, python, run_ok, Hub, HubOptions};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// From another host on the LAN, once the owner exists: the staff apps over plain HTTP show
/// the secure address and how to trust the hub's certificate; sign-in over plain HTTP is
/// refused; guests' pages stay on HTTP; over HTTPS staff sign in with a Secure cookie.
#[test]
fn staff_work_over_https_only() {
    let ns = Namespace::create(&format!("expo{}", std::process::id() % 10_000));
    let hub = Hub::start(HubOptions {
        prefix: ns.exec(),
        env: vec![
            ("HUB_WEB__HTTP_LISTEN".into(), "10.99.0.1:0".into()),
            ("HUB_WEB__HTTPS_LISTEN".into(), "10.99.0.1:0".into()),
        ],
        ..HubOptions::default()
    })
    .unwrap();
    let (email, password) = hub.password_of("owner");
    let (http, https) = (hub.http.port(), hub.https.unwrap().port());
    // From 10.99.0.2: another host of the LAN.
    let script = format!(
        r#"
import http.client, json, socket, ssl
def ask(conn_cls, port, method, path, body=None, **kw):
    c = conn_cls("10.99.0.1", port, source_address=("10.99.0.2", 0), timeout=10, **kw)
    headers = {{"content-type": "application/json"}} if body else {{}}
    c.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    r = c.getresponse()
    return r.status, r.getheader("set-cookie") or "", r.read().decode()
plain = lambda *a, **k: ask(http.client.HTTPConnection, {http}, *a, **k)
tls = lambda *a, **k: ask(http.client.HTTPSConnection, {https}, *a,
                          context=ssl._create_unverified_context(), **k)
login = {{"email": "{email}", "password": "{password}"}}
s, _, body = plain("GET", "/admin/")
print("admin", s, "https://10.99.0.1:{https}/admin/" in body, "/ca.crt" in body)
s, _, body = plain("GET", "/messenger/")
print("messenger", s)
s, _, body = plain("POST", "/api/v1/auth/login", login)
print("login", s, json.loads(body)["error"]["code"])
s, _, _ = plain("GET", "/widget/frame.html")
print("widget", s)
s, cookie, _ = tls("POST", "/api/v1/auth/login", login)
print("tls-login", s, "Secure" in cookie, "HttpOnly" in cookie)
s, _, _ = tls("GET", "/admin/")
print("tls-admin", s)
"#
    );
    let out = run_ok(
        Command::new("ip")
            .args(["netns", "exec", &ns.0])
            .arg(python())
            .args(["-c", &script]),
    )
    .unwrap();
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "admin 403 True True",
            "messenger 403",
            "login 403 https_required",
            "widget 200",
            "tls-login 200 True True",
            "tls-admin 200",
        ]
    );
    drop(hub);
}

fn policy(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every app's pages forbid inline script and framing; the widget may be framed by the
/// property's own sites (any while it lists none); HTTPS answers carry HSTS.
#[tokio::test]
async fn pages_carry_a_strict_policy() {
    let hub = Hub::start_demo().unwrap();
    let web = client();
    for page in ["/admin/", "/messenger/", "/setup", "/widget/try"] {
        let r = web.get(hub.url(page)).send().await.unwrap();
        let csp = policy(&r);
        assert!(
            csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"),
            "{page}: {csp}"
        );
        // The try page is one of the widget's: framed as the widget may be.
        let framing = if page.starts_with("/widget/") {
            "*"
        } else {
            "'none'"
        };
        assert!(
            csp.ends_with(&format!("frame-ancestors {framing}")),
            "{page}: {csp}"
        );
        assert!(r.headers().get("strict-transport-security").is_none());
    }
    let frame = || async {
        let r = web.get(hub.url("/widget/frame.html")).send().await.unwrap();
        policy(&r)
    };
    assert!(frame().await.ends_with("frame-ancestors *"));

    let owner = hub.signed_in("owner").await.unwrap();
    let r = owner
        .put(hub.url("/api/v1/admin/chat/settings"))
        .json(&json!({"widget": {"sites": ["https://hotel.example/rooms"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a path is not a site");
    edit_chat_settings(&owner, &hub, |s| {
        s["widget"]["sites"] = json!(["https://hotel.example", "http://hotel.example:8000"]);
    })
    .await
    .unwrap();
    assert!(
        frame()
            .await
            .ends_with("frame-ancestors 'self' https://hotel.example http://hotel.example:8000"),
        "{}",
        frame().await
    );

    let tls = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let r = tls
        .get(format!("https://{}/admin/", hub.https.unwrap()))
        .send()
        .await
        .unwrap();
    assert!(r
        .headers()
        .get("strict-transport-security")
        .is_some_and(|v| v.to_str().unwrap().starts_with("max-age=")));
}

async fn handshake(url: String, cookie: Option<&str>, origin: &str) -> u16 {
    let mut request = url.into_client_request().unwrap();
    if let Some(c) = cookie {
        request.headers_mut().insert("cookie", c.parse().unwrap());
    }
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("{e}"),
    }
}

/// The team socket takes only the hub's own pages; guest sockets the hub's pages and, once
/// the owner lists them, the property's own sites.
#[tokio::test]
async fn sockets_check_the_page_they_come_from() {
    let hub = Hub::start_demo().unwrap();
    let own = format!("http://{}", hub.http);
    let cookie = session_cookie(&hub, "owner").await.unwrap();
    let team = format!("ws://{}/ws/team", hub.http);
    let guest = format!("ws://{}/ws/guest", hub.http);
    assert_eq!(
        handshake(team.clone(), Some(&cookie), "https://evil.example").await,
        403
    );
    assert_eq!(handshake(team.clone(), Some(&cookie), "null").await, 403);
    assert_eq!(handshake(team, Some(&cookie), &own).await, 101);

    assert_eq!(
        handshake(guest.clone(), None, "https://evil.example").await,
        101,
        "any site while the owner lists none"
    );
    let owner = hub.signed_in("owner").await.unwrap();
    edit_chat_settings(&owner, &hub, |s| {
        s["widget"]["sites"] = json!(["https://hotel.example"]);
    })
    .await
    .unwrap();
    assert_eq!(
        handshake(guest.clone(), None, "https://evil.example").await,
        403
    );
    assert_eq!(
        handshake(guest.clone(), None, "https://hotel.example").await,
        101
    );
    assert_eq!(handshake(guest, None, &own).await, 101);
}
