//! QR plates and stickers (GUEST-7) from outside: every code read back by a real decoder
//! (`zbarimg`) from the PNG, from the SVG rendered by `rsvg-convert` and from the PDF
//! rendered by `pdftoppm`, each giving exactly the unit's address or the `WIFI:` string;
//! `pdftotext` finds the Cyrillic and Greek room names in the PDF and `pdffonts` shows its
//! fonts embedded; stickers come fifteen to an A4 sheet, A6 plates four; a false logo is
//! refused; a renamed room keeps its address.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use e2e::{get_json, run_ok, Hub};
use serde_json::{json, Value};

const BASE: &str = "http://192.168.1.20:8080";

async fn fetch(owner: &reqwest::Client, url: &str, file: &Path) -> String {
    let r = owner.get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
    std::fs::write(file, r.bytes().await.unwrap()).unwrap();
    kind
}

async fn put(owner: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let r = owner.put(url).json(body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Every code `zbarimg` finds in `file`, one a line.
fn codes(file: &Path) -> BTreeSet<String> {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(file)
        .output()
        .expect("zbarimg (Debian's zbar-tools) is installed");
    assert!(out.status.success(), "zbarimg found no code in {file:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The PDF's pages as 300 dpi PNGs, in order.
fn pages_of(pdf: &Path) -> Vec<std::path::PathBuf> {
    let prefix = pdf.with_file_name(format!(
        "{}-page",
        pdf.file_stem().unwrap().to_str().unwrap()
    ));
    run_ok(
        Command::new("pdftoppm")
            .args(["-r", "300", "-png"])
            .arg(pdf)
            .arg(&prefix),
    )
    .unwrap();
    let dir = pdf.parent().unwrap();
    let stem = prefix.file_name().unwrap().to_str().unwrap().to_owned();
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with(&format!("{stem}-")) && name.ends_with(".png")
        })
        .collect();
    pages.sort();
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_plate_reads_back_exactly_from_png_svg_and_pdf() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["Номер «Люкс» 12", "Δωμάτιο 7"] {
        let r = owner
            .post(hub.url("/api/v1/admin/rooms"))
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    let design_url = hub.url("/api/v1/admin/reception/design");
    let mut design = get_json(&owner, &design_url).await.unwrap();
    design["wifi"] =
        json!({"ssid": r#"Sea;View,Guests:1\2"#, "password": r#"p;a,s:s\w"x"#, "security": "WPA"});
    assert_eq!(put(&owner, &design_url, &design).await.0, 200);
    let wifi = r#"WIFI:T:WPA;S:Sea\;View\,Guests\:1\\2;P:p\;a\,s\:s\\w\"x;;"#;
    let pages = get_json(&owner, &hub.url("/api/v1/admin/reception/pages"))
        .await
        .unwrap();
    let pages = pages.as_array().unwrap();
    let urls: BTreeSet<String> = pages
        .iter()
        .map(|p| format!("{BASE}{}", p["path"].as_str().unwrap()))
        .collect();
    let greek = pages.iter().find(|p| p["room"] == "Δωμάτιο 7").unwrap();
    let greek_url = format!("{BASE}{}", greek["path"].as_str().unwrap());

    // One unit's plate: PNG, SVG through rsvg-convert, and PDF through pdftoppm.
    let one = hub.url(&format!(
        "/api/v1/admin/reception/pages/{}/plate?base={BASE}",
        greek["room_id"]
    ));
    let png = dir.path().join("one.png");
    assert_eq!(
        fetch(&owner, &format!("{one}&format=png"), &png).await,
        "image/png"
    );
    assert_eq!(codes(&png), BTreeSet::from([greek_url.clone()]));
    let bytes = std::fs::read(&png).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"pHYs")
        .expect("the PNG says its resolution");
    assert_eq!(
        &bytes[at + 4..at + 13],
        [0, 0, 0x2e, 0x23, 0, 0, 0x2e, 0x23, 1],
        "300 dpi: 11 811 pixels a metre"
    );
    let svg = dir.path().join("one.svg");
    assert_eq!(
        fetch(&owner, &format!("{one}&format=svg"), &svg).await,
        "image/svg+xml"
    );
    let rendered = dir.path().join("one-svg.png");
    run_ok(
        Command::new("rsvg-convert")
            .args(["-d", "300", "-p", "300", "-o"])
            .arg(&rendered)
            .arg(&svg),
    )
    .unwrap();
    assert_eq!(codes(&rendered), BTreeSet::from([greek_url.clone()]));
    let pdf = dir.path().join("one.pdf");
    assert_eq!(
        fetch(&owner, &format!("{one}&format=pdf"), &pdf).await,
        "application/pdf"
    );
    let page = pages_of(&pdf);
    assert_eq!(page.len(), 1);
    assert_eq!(codes(&page[0]), BTreeSet::from([greek_url]));

    // The Wi-Fi's plate, with the characters its format escapes.
    let wifi_png = dir.path().join("wifi.png");
    fetch(
        &owner,
        &hub.url("/api/v1/admin/reception/wifi/plate?format=png"),
        &wifi_png,
    )
    .await;
    assert_eq!(codes(&wifi_png), BTreeSet::from([wifi.to_owned()]));

    // Every plate in one PDF: a page each, the units' addresses and then the Wi-Fi.
    let all = dir.path().join("all.pdf");
    fetch(
        &owner,
        &hub.url(&format!("/api/v1/admin/reception/plates.pdf?base={BASE}")),
        &all,
    )
    .await;
    let pages_png = pages_of(&all);
    assert_eq!(
        pages_png.len(),
        urls.len() + 2,
        "the hotel's, the units', the Wi-Fi's"
    );
    let mut read = BTreeSet::new();
    for p in &pages_png {
        let found = codes(p);
        assert_eq!(found.len(), 1, "one plate a page: {found:?}");
        read.extend(found);
    }
    let mut expected = urls.clone();
    expected.insert(wifi.to_owned());
    expected.insert(format!("{BASE}/r/"));
    assert_eq!(read, expected);
    let text = run_ok(Command::new("pdftotext").arg(&all).arg("-")).unwrap();
    for name in ["Номер «Люкс» 12", "Δωμάτιο 7", "Sea;View,Guests:1\\2"] {
        assert!(text.contains(name), "{name} is text in the PDF:\n{text}");
    }
    let fonts = run_ok(Command::new("pdffonts").arg(&all)).unwrap();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        assert!(row.contains("DejaVuSans"), "{fonts}");
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type encoding emb sub uni …: each font embedded, subset, with a ToUnicode map.
        assert_eq!(
            &cols[cols.len() - 5..cols.len() - 2],
            ["yes", "yes", "yes"],
            "{fonts}"
        );
    }

    // Stickers: fifteen to an A4 sheet, every code still readable.
    let plate_url = hub.url("/api/v1/admin/reception/plate");
    let mut plate = get_json(&owner, &plate_url).await.unwrap();
    plate["format"] = json!("sticker50");
    assert_eq!(put(&owner, &plate_url, &plate).await.0, 200);
    let sheets = dir.path().join("sheets.pdf");
    fetch(
        &owner,
        &hub.url(&format!("/api/v1/admin/reception/plates.pdf?base={BASE}")),
        &sheets,
    )
    .await;
    let sheet_pages = pages_of(&sheets);
    assert_eq!(sheet_pages.len(), (urls.len() + 2).div_ceil(15));
    let info = run_ok(Command::new("pdfinfo").arg(&sheets)).unwrap();
    assert!(info.contains("(A4)"), "{info}");
    let read: BTreeSet<String> = sheet_pages.iter().flat_map(|p| codes(p)).collect();
    assert_eq!(read, expected);

    // A6 plates four to an A4 sheet, for a home printer.
    plate["format"] = json!("a6_plate");
    plate["sheet"] = json!(true);
    assert_eq!(put(&owner, &plate_url, &plate).await.0, 200);
    let fours = dir.path().join("fours.pdf");
    fetch(
        &owner,
        &hub.url(&format!("/api/v1/admin/reception/plates.pdf?base={BASE}")),
        &fours,
    )
    .await;
    let four_pages = pages_of(&fours);
    assert_eq!(four_pages.len(), (urls.len() + 2).div_ceil(4));
    assert!(run_ok(Command::new("pdfinfo").arg(&fours))
        .unwrap()
        .contains("(A4)"));
    let read: BTreeSet<String> = four_pages.iter().flat_map(|p| codes(p)).collect();
    assert_eq!(read, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_false_logo_or_a_bad_colour_is_refused_and_the_saved_design_kept() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let url = hub.url("/api/v1/admin/reception/plate");
    let mut plate = get_json(&owner, &url).await.unwrap();
    assert_eq!(
        plate["heading"], "Seaview Guest House",
        "the hotel's name to start"
    );
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let svg_logo = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#e07a2f"/></svg>"##;
    plate["logo"] = json!(format!(
        "data:image/svg+xml;base64,{}",
        b64(svg_logo.as_bytes())
    ));
    plate["heading"] = json!("Seaview");
    let (status, saved) = put(&owner, &url, &plate).await;
    assert_eq!(status, 200, "{saved}");

    let mut bad = plate.clone();
    bad["logo"] = json!(format!(
        "data:image/png;base64,{}",
        b64(b"<html>not a png</html>")
    ));
    let (status, answer) = put(&owner, &url, &bad).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("logo"),
        "{answer}"
    );
    let mut bad = plate.clone();
    bad["logo"] = json!(format!("data:image/png;base64,{}", "A".repeat(300 * 1024)));
    assert_eq!(put(&owner, &url, &bad).await.0, 400);
    let mut bad = plate.clone();
    bad["ink"] = json!("black");
    assert_eq!(put(&owner, &url, &bad).await.0, 400);
    // A unit that is not there, and a format the hub does not write.
    let preview = owner
        .post(hub.url("/api/v1/admin/reception/plate/preview"))
        .json(&json!({"design": plate, "room_id": 9999, "base": BASE}))
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status().as_u16(), 404);
    let r = owner
        .get(hub.url("/api/v1/admin/reception/pages/1/plate?format=gif"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        get_json(&owner, &url).await.unwrap(),
        saved,
        "the saved design is kept"
    );

    let agent = hub.signed_in("agent").await.unwrap();
    let r = agent
        .get(hub.url("/api/v1/admin/reception/plates.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

/// A room renamed keeps its page address, so the plate on its door still works, and its
/// plate shows the new name; a name another room has is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_room_keeps_its_address_and_its_plate_shows_the_new_name() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let pages_url = hub.url("/api/v1/admin/reception/pages");
    let before = get_json(&owner, &pages_url).await.unwrap();
    let room = before
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["room"] == "101")
        .unwrap()
        .clone();
    let rename = |name: &str| {
        owner
            .put(hub.url(&format!("/api/v1/admin/rooms/{}", room["room_id"])))
            .json(&json!({"name": name, "kind": "room"}))
            .send()
    };
    let r = rename("Люкс 101 «Море»").await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(rename("102").await.unwrap().status().as_u16(), 409);
    let after = get_json(&owner, &pages_url).await.unwrap();
    let page = after
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["room_id"] == room["room_id"])
        .unwrap();
    assert_eq!(page["room"], "Люкс 101 «Море»");
    assert_eq!(
        page["path"], room["path"],
        "the address on the door still works"
    );
    let svg = owner
        .get(hub.url(&format!(
            "/api/v1/admin/reception/pages/{}/plate?format=svg",
            room["room_id"]
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(svg.contains("Люкс 101 «Море»"), "{svg}");
}
