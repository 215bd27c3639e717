//! The Online Reception from outside: a unit's guest page as a guest's phone gets it (in
//! the phone's language, with no guest's data), the owner's design and directory changing
//! it, page addresses, and the QR codes read back by a real decoder (`zbarimg`).

use std::path::Path;
use std::process::Command;

use e2e::{client, get_json, Hub};
use serde_json::{json, Value};

/// The guest page at `slug` as a phone that reads `accept_language` gets it.
async fn page(hub: &Hub, path: &str, accept_language: &str) -> (u16, String) {
    let r = client()
        .get(hub.url(path))
        .header("accept-language", accept_language)
        .send()
        .await
        .expect("the hub answers");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn unit_page(hub: &Hub, owner: &reqwest::Client, room: &str) -> Value {
    let pages = get_json(owner, &hub.url("/api/v1/admin/reception/pages"))
        .await
        .unwrap();
    pages
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["room"] == room)
        .unwrap_or_else(|| panic!("room {room} has a page: {pages}"))
        .clone()
}

async fn send(owner: &reqwest::Client, method: &str, url: &str, body: &Value) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = owner.request(method, url).json(body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A Russian phone on room 102's page reads Russian only: the built-in words, the
/// owner's texts where translated, the places, and the chat tagged with the room; the
/// room's current guest is nowhere on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_russian_phone_reads_room_102s_page_in_russian_without_the_guests_data() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let unit = unit_page(&hub, &owner, "102").await;
    let path = unit["path"].as_str().unwrap();
    let slug = unit["slug"].as_str().unwrap();
    assert!(
        slug.starts_with("room-102-") && slug.len() == "room-102-".len() + 6,
        "readable, with a random tail: {slug}"
    );

    let (status, html) = page(&hub, path, "ru-RU,ru;q=0.9,en-US;q=0.8").await;
    assert_eq!(status, 200, "{html}");
    for russian in [
        "<html lang=\"ru\"",
        "Местное время",
        "Погода",
        "Восход",
        "Закат",
        "Полезно знать",
        "Пароль",
        "Правила проживания",
        "Тихие часы с 22:00 до 8:00",
        "Места поблизости",
        "Аптеки",
        "Маршрут",
        "Добро пожаловать в Seaview",
        "Напишите нам",
        "Лиссабон",
    ] {
        assert!(html.contains(russian), "{russian:?} on the Russian page");
    }
    for english in [
        "Local time",
        "Weather",
        "Sunrise",
        "Sunset",
        "Good to know",
        "Password",
        "House rules",
        "Quiet hours",
        "Places nearby",
        "Pharmacies",
        "Directions",
        "Welcome",
        "Chat with us",
        "updated",
        " ago",
        "Lisbon",
    ] {
        assert!(!html.contains(english), "{english:?} on the Russian page");
    }
    assert!(html.contains("Farmácia Estácio"), "the directory");
    assert!(
        html.contains(
            "https://www.google.com/maps/dir/?api=1&amp;destination=38.713900%2C-9.139400"
        ),
        "a navigation link by position"
    );
    assert!(
        html.contains("data-tags=\"room-102\""),
        "the chat knows the room"
    );
    assert!(html.contains("<svg"), "the Wi-Fi code is on the page");
    for private in ["Maria", "Papadopoulou", "maria@example.com"] {
        assert!(
            !html.contains(private),
            "{private:?}: the room's page shows no guest"
        );
    }

    // The switch wins over the phone; a language we lack falls back to English.
    let (_, german) = page(&hub, &format!("{path}?lang=de"), "ru").await;
    assert!(german.contains("<html lang=\"de\"") && german.contains("Ortszeit"));
    let (_, english) = page(&hub, path, "ja,zh;q=0.8").await;
    assert!(english.contains("Local time") && english.contains("Welcome to Seaview"));

    let (status, missing) = page(&hub, "/r/room-102-nothere", "ru").await;
    assert_eq!(status, 404);
    assert!(missing.contains("Такой страницы нет"), "{missing}");

    // The property's own page (the lobby's code): the same blocks, in Russian, with no
    // unit, no stay form and a chat tagged with no room.
    let (status, hotel) = page(&hub, "/r/", "ru-RU").await;
    assert_eq!(status, 200, "{hotel}");
    assert!(hotel.contains("Местное время") && hotel.contains("Farmácia Estácio"));
    assert!(hotel.contains("/widget.js") && !hotel.contains("data-tags="));
    assert!(
        !hotel.contains("name=\"reference\""),
        "no stay on the hotel's page"
    );
    assert!(!hotel.contains("Maria"));
}

/// The owner designs the page and keeps the directory; a unit's address moves and the old
/// one stops answering; what is wrong is refused with a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_designs_the_page_keeps_the_directory_and_moves_addresses() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let unit = unit_page(&hub, &owner, "Garden Villa").await;
    let old_path = unit["path"].as_str().unwrap().to_owned();

    let design_url = hub.url("/api/v1/admin/reception/design");
    let mut design = get_json(&owner, &design_url).await.unwrap();
    design["title"]["text"] = json!("Olá & welcome <friends>");
    design["blocks"] = json!([
        {"kind": "places", "on": true, "colour": "#fff3d6"},
        {"kind": "title", "on": true},
        {"kind": "information", "on": false},
        {"kind": "glance", "on": true},
        {"kind": "weather", "on": false},
        {"kind": "chat", "on": true}
    ]);
    let (status, answer) = send(&owner, "PUT", &design_url, &design).await;
    assert_eq!(status, 200, "{answer}");
    let (_, html) = page(&hub, &old_path, "en").await;
    assert!(
        html.contains("Olá &amp; welcome &lt;friends&gt;"),
        "escaped"
    );
    assert!(
        !html.contains("Good to know"),
        "the information block is off"
    );
    let places_at = html.find("Places nearby").unwrap();
    assert!(
        places_at < html.find("Olá").unwrap(),
        "places come first now"
    );
    let theme = html
        .split("href=\"/r/theme.css?v=")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("the page links its theme");
    // A repeat visit fetches no unchanged file again: the style sheet answers 304 to its tag.
    let first = client()
        .get(hub.url("/guest/page.css"))
        .send()
        .await
        .unwrap();
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = client()
        .get(hub.url("/guest/page.css"))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let (status, css) = page(&hub, &format!("/r/theme.css?v={theme}"), "en").await;
    assert_eq!(status, 200);
    assert!(
        css.contains("section.places{--bg:#fff3d6}"),
        "the block's colour: {css}"
    );

    let mut broken = design.clone();
    broken["accent"] = json!("blue");
    let (status, answer) = send(&owner, "PUT", &design_url, &broken).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("#1f6f8b"),
        "{answer}"
    );

    // The directory: add with a name per language, reorder, refuse nonsense, remove.
    let places_url = hub.url("/api/v1/admin/reception/places");
    let (status, taxi) = send(&owner, "POST", &places_url, &json!({
        "category": "taxi", "name": {"text": "Night taxi", "translations": {"ru": "Ночное такси"}},
        "phone": "+351 91 000 0000"
    }))
    .await;
    assert_eq!(status, 201, "{taxi}");
    let list = get_json(&owner, &places_url).await.unwrap();
    let mut ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        *ids.last().unwrap(),
        taxi["id"].as_i64().unwrap(),
        "added at the end"
    );
    ids.rotate_right(1);
    let (status, ordered) = send(
        &owner,
        "PUT",
        &hub.url("/api/v1/admin/reception/places-order"),
        &json!({"ids": ids}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ordered[0]["id"], taxi["id"], "first now: {ordered}");
    let (_, russian) = page(&hub, &old_path, "ru").await;
    assert!(russian.contains("Ночное такси") && russian.contains("tel:+351910000000"));
    let (status, answer) = send(
        &owner,
        "POST",
        &places_url,
        &json!({
            "category": "casino", "name": {"text": "Lucky"}
        }),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = send(
        &owner,
        "POST",
        &places_url,
        &json!({
            "category": "sight", "name": {"text": "Castle"}, "latitude": 95.0, "longitude": 0.0
        }),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let r = owner
        .delete(format!("{places_url}/{}", taxi["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);

    // Addresses: moved, the old one gone; one unit's address is not another's.
    let room_id = unit["room_id"].as_i64().unwrap();
    let pages_url = hub.url(&format!("/api/v1/admin/reception/pages/{room_id}"));
    let (status, moved) = send(&owner, "PUT", &pages_url, &json!({"slug": "garden-villa"})).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(page(&hub, "/r/garden-villa", "en").await.0, 200);
    assert_eq!(page(&hub, &old_path, "en").await.0, 404);
    let other = unit_page(&hub, &owner, "101").await;
    let (status, _) = send(
        &owner,
        "PUT",
        &hub.url(&format!(
            "/api/v1/admin/reception/pages/{}",
            other["room_id"]
        )),
        &json!({"slug": "garden-villa"}),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = send(&owner, "PUT", &pages_url, &json!({"slug": "Garden Villa!"})).await;
    assert_eq!(status, 400);
}

fn zbarimg(file: &Path) -> String {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(file)
        .output()
        .expect("zbarimg (Debian's zbar-tools) is installed");
    assert!(out.status.success(), "zbarimg could not read {file:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end_matches('\n')
        .to_owned()
}

async fn fetch(owner: &reqwest::Client, url: &str, file: &Path) {
    let r = owner.get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    std::fs::write(file, r.bytes().await.unwrap()).unwrap();
}

/// The QR codes read back by a real decoder, from the PNG and from the SVG rendered to a
/// PNG (`rsvg-convert`): the unit's address exactly, and the Wi-Fi network with a name and
/// password full of the characters its format escapes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_codes_read_back_exactly() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_page(&hub, &owner, "101").await;
    let qr = hub.url(&format!(
        "/api/v1/admin/reception/pages/{}/qr?base=http://192.168.1.20:8080",
        unit["room_id"]
    ));
    let expected = format!("http://192.168.1.20:8080{}", unit["path"].as_str().unwrap());
    let png = dir.path().join("unit.png");
    fetch(&owner, &qr, &png).await;
    assert_eq!(zbarimg(&png), expected);
    let svg = dir.path().join("unit.svg");
    fetch(&owner, &format!("{qr}&format=svg"), &svg).await;
    let rendered = dir.path().join("unit-svg.png");
    e2e::run_ok(
        Command::new("rsvg-convert")
            .arg("-o")
            .arg(&rendered)
            .arg(&svg),
    )
    .unwrap();
    assert_eq!(zbarimg(&rendered), expected);

    // Without a base: the hub's own address for phones (here loopback, where it listens).
    let agent = hub.signed_in("agent").await.unwrap();
    let addresses = get_json(&agent, &hub.url("/api/v1/reception/addresses"))
        .await
        .unwrap();
    let first = addresses["addresses"][0].as_str().unwrap().to_owned();
    assert!(first.starts_with("http://"), "{addresses}");
    let plain = dir.path().join("plain.png");
    let qr_url = hub.url(&format!(
        "/api/v1/admin/reception/pages/{}/qr",
        unit["room_id"]
    ));
    fetch(&owner, &qr_url, &plain).await;
    assert_eq!(
        zbarimg(&plain),
        format!("{first}{}", unit["path"].as_str().unwrap())
    );

    let design_url = hub.url("/api/v1/admin/reception/design");
    let mut design = get_json(&owner, &design_url).await.unwrap();
    design["wifi"] =
        json!({"ssid": r#"Sea;View,Guests:1\2"#, "password": r#"p;a,s:s\w"x"#, "security": "WPA"});
    let (status, answer) = send(&owner, "PUT", &design_url, &design).await;
    assert_eq!(status, 200, "{answer}");
    let wifi = dir.path().join("wifi.png");
    fetch(&owner, &hub.url("/api/v1/admin/reception/wifi/qr"), &wifi).await;
    assert_eq!(
        zbarimg(&wifi),
        r#"WIFI:T:WPA;S:Sea\;View\,Guests\:1\\2;P:p\;a\,s\:s\\w\"x;;"#
    );
    let wifi_svg = dir.path().join("wifi.svg");
    fetch(
        &owner,
        &hub.url("/api/v1/admin/reception/wifi/qr?format=svg"),
        &wifi_svg,
    )
    .await;
    let rendered = dir.path().join("wifi-svg.png");
    e2e::run_ok(
        Command::new("rsvg-convert")
            .arg("-o")
            .arg(&rendered)
            .arg(&wifi_svg),
    )
    .unwrap();
    assert!(zbarimg(&rendered).starts_with(r"WIFI:T:WPA;S:Sea\;View"));
}

/// Room 102's reservation in the demo (Maria Papadopoulou, checked in).
async fn stay_in_102(hub: &Hub, staff: &reqwest::Client) -> Value {
    let list = get_json(staff, &hub.url("/api/v1/reservations"))
        .await
        .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["guest_name"] == "Maria Papadopoulou")
        .unwrap_or_else(|| panic!("the demo's guest in 102: {list}"))
        .clone()
}

/// A client that keeps cookies and does not follow redirects: a guest's phone, step by step.
fn phone() -> reqwest::Client {
    client()
}

async fn get(c: &reqwest::Client, url: &str) -> (u16, Option<String>, String) {
    let r = c
        .get(url)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    (status, location, r.text().await.unwrap_or_default())
}

/// GUEST-5: the stay shows only to its guest, opened by the link the hotel sends or by
/// reference and surname on the unit's own page; never on another unit's page; never
/// after check-out; and wrong guesses are limited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stay_shows_to_its_guest_only_and_only_until_check_out() {
    let hub = Hub::start_demo().unwrap();
    let agent = hub.signed_in("agent").await.unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let stay = stay_in_102(&hub, &agent).await;
    let id = stay["id"].as_i64().unwrap();
    let room = unit_page(&hub, &owner, "102").await;
    let other = unit_page(&hub, &owner, "101").await;
    let room_url = hub.url(room["path"].as_str().unwrap());

    // A receptionist copies the stay's link; the guest follows it.
    let r = agent
        .post(hub.url(&format!("/api/v1/reception/stays/{id}/link")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let link: Value = r.json().await.unwrap();
    let path = link["path"].as_str().unwrap().to_owned();
    assert!(
        path.starts_with("/s/") && path.len() > 40,
        "not guessable: {path}"
    );
    assert_eq!(link["until"], stay["check_out_at"], "{link}");
    let guest = phone();
    let r = guest.get(hub.url(&path)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], room["path"].as_str().unwrap());
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/r/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let (_, _, html) = get(&guest, &room_url).await;
    assert!(
        html.contains("My stay") && html.contains("Maria Papadopoulou"),
        "her stay"
    );
    // The same browser on another unit's page sees no one.
    let (_, _, elsewhere) = get(&guest, &hub.url(other["path"].as_str().unwrap())).await;
    assert!(
        !elsewhere.contains("Maria"),
        "another unit's page shows no stay"
    );
    // Another phone on her room's page sees the form, not her.
    let (_, _, stranger) = get(&phone(), &room_url).await;
    assert!(!stranger.contains("Maria") && stranger.contains("Booking reference"));

    // By reference and surname, on her unit's page only.
    let form = |reference: &str, surname: &str| {
        vec![
            ("reference".to_owned(), reference.to_owned()),
            ("surname".to_owned(), surname.to_owned()),
        ]
    };
    let walk_in = phone();
    let r = walk_in
        .post(format!("{room_url}/stay"))
        .form(&form(&id.to_string(), "papadopoulou"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "reference and surname open it");
    let (_, _, html) = get(&walk_in, &room_url).await;
    assert!(html.contains("Maria Papadopoulou"));
    let r = phone()
        .post(format!("{}/stay", hub.url(other["path"].as_str().unwrap())))
        .form(&form(&id.to_string(), "Papadopoulou"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "not on another unit's page");
    let body = r.text().await.unwrap();
    assert!(body.contains("We could not find this booking") && !body.contains("Maria"));
    assert!(
        body.contains("value=\"Papadopoulou\""),
        "what the guest typed is kept to correct"
    );

    // Checked out: the link and the browser's stay stop working at once.
    let mut edit = stay.clone();
    edit["status"] = json!("checked_out");
    let (status, answer) = send(
        &owner,
        "PATCH",
        &hub.url(&format!("/api/v1/admin/reservations/{id}")),
        &json!({
            "guest_name": edit["guest_name"], "email": edit["email"], "check_in": edit["check_in"],
            "check_out": edit["check_out"], "status": "checked_out"
        }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _, gone) = get(&phone(), &hub.url(&path)).await;
    assert_eq!(status, 410);
    assert!(gone.contains("This link no longer works"), "{gone}");
    // A link cut short in a message is not an ended stay: the guest is told so.
    let (status, _, cut) = get(&phone(), &hub.url(&path[..path.len() - 5])).await;
    assert_eq!(status, 404);
    assert!(cut.contains("This link is not complete"), "{cut}");
    // The form's address opened again leads back to the page, not to an error.
    let (status, back, _) = get(&phone(), &format!("{room_url}/stay?lang=ru")).await;
    assert_eq!(status, 303);
    assert_eq!(
        back.as_deref(),
        Some(format!("{}?lang=ru", room["path"].as_str().unwrap()).as_str())
    );
    let (_, _, html) = get(&guest, &room_url).await;
    assert!(
        !html.contains("Maria"),
        "after check-out the page shows no one"
    );
    let r = agent
        .post(hub.url(&format!("/api/v1/reception/stays/{id}/link")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400, "no link to an ended stay");

    // Guessing: ten wrong tries, then a pause, told in the guest's language.
    let guesser = phone();
    for n in 0..10 {
        let r = guesser
            .post(format!("{room_url}/stay"))
            .form(&form(&(1000 + n).to_string(), "Smith"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let r = guesser
        .post(format!("{room_url}/stay?lang=ru"))
        .form(&form("1", "Smith"))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Слишком много попыток"));
}
