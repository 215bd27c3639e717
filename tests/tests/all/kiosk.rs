//! The lobby kiosk's pairing and idle screen (DESK-1, 2): an admin's one-time code pairs a
//! tablet, which then holds a credential of its own (not a staff session); its idle screen
//! carries the Wi-Fi's and the hotel page's codes, read back by `zbarimg`; a revoked kiosk
//! is cut off at once; wrong codes are limited per address.

use std::process::Command;

use e2e::{client, get_json, run_ok, Hub};
use serde_json::{json, Value};

async fn pair(kiosk: &reqwest::Client, hub: &Hub, code: &str) -> (u16, Value, Option<String>) {
    let r = kiosk
        .post(hub.url("/api/v1/kiosk/pair"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), r.json().await.unwrap(), cookie)
}

/// The code an SVG draws, by `rsvg-convert` and `zbarimg`.
fn decode(svg: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (file, png) = (dir.path().join("code.svg"), dir.path().join("code.png"));
    std::fs::write(&file, svg).unwrap();
    run_ok(Command::new("rsvg-convert").arg("-o").arg(&png).arg(&file)).unwrap();
    let out = Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(&png)
        .output()
        .expect("zbarimg (Debian's zbar-tools) is installed");
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_pairs_once_shows_the_idle_screen_and_is_cut_off_when_revoked() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let tablet = client();
    let idle_url = hub.url("/api/v1/kiosk/idle");
    assert_eq!(
        tablet
            .get(&idle_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );

    let code = owner
        .post(hub.url("/api/v1/admin/kiosks/pairing"))
        .json(&json!({"name": "Lobby"}))
        .send()
        .await
        .unwrap();
    assert_eq!(code.status().as_u16(), 200);
    let code: Value = code.json().await.unwrap();
    let code = code["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 9, "XXXX-XXXX: {code}");

    let (status, answer, _) = pair(&tablet, &hub, "ABCD-EFGH").await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("admin app"));
    // Typed in lower case and without the dash, as people type.
    let (status, kiosk, cookie) = pair(&tablet, &hub, &code.to_lowercase().replace('-', "")).await;
    assert_eq!(status, 200, "{kiosk}");
    let cookie = cookie.expect("the credential comes as a cookie");
    for attribute in ["hub_kiosk=", "HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert_eq!(
        pair(&client(), &hub, &code).await.0,
        400,
        "a code works once"
    );

    let idle = get_json(&tablet, &idle_url).await.unwrap();
    assert_eq!(idle["kiosk"], "Lobby");
    assert_eq!(idle["property"], "Seaview Guest House");
    assert_eq!(
        decode(idle["wifi"]["qr"].as_str().unwrap()),
        "WIFI:T:WPA;S:Seaview Guests;P:sea-breeze-2026;;"
    );
    let guide = idle["reception_url"].as_str().unwrap();
    assert!(
        guide.starts_with("http://") && guide.ends_with("/r/"),
        "{guide}"
    );
    assert_eq!(decode(idle["reception_qr"].as_str().unwrap()), guide);
    assert!(idle["widget_key"].as_str().is_some_and(|k| !k.is_empty()));

    // A kiosk is not staff: no staff or admin route answers it.
    for path in ["/api/v1/rooms", "/api/v1/admin/kiosks", "/api/v1/me"] {
        let status = tablet.get(hub.url(path)).send().await.unwrap().status();
        assert_eq!(status.as_u16(), 401, "{path}");
    }
    let agent = hub.signed_in("agent").await.unwrap();
    assert_eq!(
        agent.get(&idle_url).send().await.unwrap().status().as_u16(),
        401
    );
    let status = agent
        .get(hub.url("/api/v1/admin/kiosks"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 403);

    let kiosks = get_json(&owner, &hub.url("/api/v1/admin/kiosks"))
        .await
        .unwrap();
    assert_eq!(kiosks[0]["name"], "Lobby");
    // Where the tablet opens the kiosk: the hub's HTTPS, for the camera of a call.
    let addresses = get_json(&owner, &hub.url("/api/v1/admin/kiosks/addresses"))
        .await
        .unwrap();
    assert_eq!(
        addresses["addresses"][0],
        format!("https://{}/kiosk/", hub.https.unwrap()),
        "{addresses}"
    );
    // The owner sets this kiosk's screen: no Wi-Fi code, no calls, a note.
    let id = kiosks[0]["id"].as_i64().unwrap();
    let screen = json!({"name": "Lobby", "screen": {"show_wifi": false, "show_guide": true, "calls": false,
        "note": "Breakfast 7–10 in the garden"}});
    let r = owner
        .put(hub.url(&format!("/api/v1/admin/kiosks/{id}")))
        .json(&screen)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let idle = get_json(&tablet, &idle_url).await.unwrap();
    assert_eq!(idle["wifi"], Value::Null, "{idle}");
    assert_eq!(idle["calls"], false);
    assert_eq!(idle["note"], "Breakfast 7–10 in the garden");
    assert!(idle["reception_qr"].is_string());
    let long_note = json!({"name": "Lobby", "screen": {"show_wifi": true, "show_guide": true, "calls": true,
        "note": "x".repeat(201)}});
    let r = owner
        .put(hub.url(&format!("/api/v1/admin/kiosks/{id}")))
        .json(&long_note)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(kiosks[0]["last_seen_at"].is_string(), "{kiosks}");
    let revoke = owner
        .delete(hub.url(&format!("/api/v1/admin/kiosks/{}", kiosks[0]["id"])))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status().as_u16(), 204);
    assert_eq!(
        tablet
            .get(&idle_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401,
        "cut off at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_pairing_codes_is_stopped_within_ten_tries() {
    let hub = Hub::start_demo().unwrap();
    let stranger = client();
    let mut refused = None;
    for n in 0..12 {
        let (status, _, _) = pair(&stranger, &hub, &format!("AAAA-AAA{n}")).await;
        if status == 429 {
            refused = Some(n);
            break;
        }
        assert_eq!(status, 400);
    }
    assert_eq!(refused, Some(10), "the eleventh try is refused");
    let owner = hub.signed_in("owner").await.unwrap();
    let name = owner
        .post(hub.url("/api/v1/admin/kiosks/pairing"))
        .json(&json!({"name": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(name.status().as_u16(), 400, "a kiosk has a name");
}
