//! Field cases for bookings (`tests/field-cases/`, copied from `../shared/field-cases/`):
//! channel feeds and PMS webhooks as real senders shape them, each asserting the value the
//! field cases' README expects.

use e2e::world::{athens, World};
use serde_json::{json, Value};

fn case(name: &str) -> String {
    let path = e2e::workspace().join("tests/field-cases").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The reservations of a room from December 2026 on, as (check-in, check-out, status).
async fn stays(w: &World, room: &str) -> Vec<(String, String, String)> {
    let unit = w.rooms[room];
    let list = w.get("/reservations?from=2026-11-01&to=2027-12-01").await;
    let mut out: Vec<_> = list
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["unit_id"] == unit)
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (s("check_in"), s("check_out"), s("status"))
        })
        .collect();
    out.sort();
    out
}

fn stay(i: &str, o: &str, status: &str) -> (String, String, String) {
    (i.into(), o.into(), status.into())
}

/// ical-01: a byte-order mark in front of Airbnb's feed is ignored: one stay imported, the
/// "Not available" block skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_behind_a_byte_order_mark_is_read() {
    let w = World::new(athens(2026, 11, 29, 9, 0)).await;
    let text = case("ical-01-bom-airbnb.ics");
    assert!(text.starts_with('\u{feff}'), "the copy keeps its mark");
    w.feeds.set("101", 200, &text);
    let report = w.follow_feed("101").await;
    assert_eq!(
        (report["added"].as_u64(), report["skipped"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    assert_eq!(
        stays(&w, "101").await,
        [stay("2026-12-15", "2026-12-19", "booked")]
    );
}

/// ical-03 with ical-05: one empty answer cancels nothing; a stay under way is never
/// cancelled by a feed (nor loses its check-in); a future stay goes only when missing from
/// two answers in a row; the admin sees each step beside the feed and in the stay's history.
/// ical-05: the same UID moved a day earlier moves the stay, no second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_answer_takes_nothing_and_a_moved_uid_moves_the_stay() {
    let w = World::new(athens(2026, 11, 29, 9, 0)).await;
    let empty = case("ical-03-airbnb-empty.ics");
    // Room 101: a stay that moves (ical-05).
    w.feeds
        .set("101", 200, &case("ical-05-airbnb-date-change-v1.ics"));
    w.follow_feed("101").await;
    w.feeds
        .set("101", 200, &case("ical-05-airbnb-date-change-v2.ics"));
    let report = w.refresh_feed("101").await;
    assert_eq!(report["moved"].as_u64(), Some(1), "{report}");
    assert_eq!(
        stays(&w, "101").await,
        [stay("2027-01-23", "2027-01-27", "booked")]
    );

    // Room 102: one stay under way (checked in) and one ahead.
    let feed102 = e2e::standins::airbnb(&[
        ("now@airbnb.com", "20261128", "20261202"),
        ("later@airbnb.com", "20261215", "20261219"),
    ]);
    w.feeds.set("102", 200, &feed102);
    w.follow_feed("102").await;
    let list = w.get("/reservations?from=2026-11-27&to=2026-11-30").await;
    let now_id = list
        .as_array()
        .and_then(|l| l.iter().find(|r| r["external_id"] == "now@airbnb.com"))
        .map(|r| r["id"].clone())
        .expect("the stay under way");
    w.call(
        "PATCH",
        &format!("/admin/reservations/{now_id}"),
        &json!({"status": "checked_in"}),
    )
    .await;

    // One empty answer: nothing is cancelled, and the admin is told what was kept.
    w.feeds.set("102", 200, &empty);
    let report = w.refresh_feed("102").await;
    assert_eq!(report["cancelled"].as_u64(), Some(0), "{report}");
    let kept: Vec<&str> = report["kept"]
        .as_array()
        .map(|k| k.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(kept.len(), 2, "{report}");
    assert!(
        kept.iter().any(|k| k.contains("under way, kept")),
        "{kept:?}"
    );
    assert!(kept.iter().any(|k| k.contains("2026-12-15")), "{kept:?}");
    assert_eq!(
        stays(&w, "102").await,
        [
            stay("2026-11-28", "2026-12-02", "checked_in"),
            stay("2026-12-15", "2026-12-19", "booked"),
        ]
    );

    // A second empty answer: the future stay goes, the one under way stays checked in.
    let report = w.refresh_feed("102").await;
    assert_eq!(report["cancelled"].as_u64(), Some(1), "{report}");
    assert_eq!(
        stays(&w, "102").await,
        [
            stay("2026-11-28", "2026-12-02", "checked_in"),
            stay("2026-12-15", "2026-12-19", "cancelled"),
        ]
    );
    // Beside the feed and in the stay's history.
    let feeds = w.get("/admin/ical-feeds").await;
    let beside = feeds
        .as_array()
        .and_then(|f| f.iter().find(|f| f["unit_id"] == w.rooms["102"]))
        .map(|f| f["report"].clone())
        .unwrap_or_default();
    assert_eq!(beside["cancelled"].as_u64(), Some(1), "{beside}");
    let list = w.get("/reservations?from=2026-12-01&to=2026-12-31").await;
    let later_id = list
        .as_array()
        .and_then(|l| l.iter().find(|r| r["external_id"] == "later@airbnb.com"))
        .map(|r| r["id"].clone())
        .expect("the stay ahead");
    let history = w.get(&format!("/reservations/{later_id}/history")).await;
    let lines: Vec<&str> = history
        .as_array()
        .map(|h| h.iter().filter_map(|e| e["what"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        lines,
        [
            "booked by the channel's calendar",
            "missing from the channel's calendar once: kept",
            "cancelled: missing from the channel's calendar 2 answers in a row",
        ]
    );

    // The feed answers fully again: the checked-in guest is still checked in, the
    // cancelled stay is booked again.
    w.feeds.set("102", 200, &feed102);
    w.refresh_feed("102").await;
    assert_eq!(
        stays(&w, "102").await,
        [
            stay("2026-11-28", "2026-12-02", "checked_in"),
            stay("2026-12-15", "2026-12-19", "booked"),
        ]
    );
}

/// pms-12a and pms-12b: a PMS update whose optional phone is `null` makes the booking; the
/// same with an integer reservation id is read as the id "13" (the same reservation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pms_updates_with_nulls_and_integer_ids_are_read() {
    let w = World::new(athens(2026, 11, 29, 9, 0)).await;
    let secret = w.webhook_secret().await;
    w.call("POST", "/admin/rooms", &json!({"name": "103"}))
        .await;
    let null_phone: Value = serde_json::from_str(&case("pms-12a-webhook-null-phone.json")).unwrap();
    assert!(
        null_phone["guest"]["phone"].is_null(),
        "the copy keeps its null"
    );
    let (code, r) = w.pms(&secret, &null_phone).await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(
        (
            r["external_id"].as_str(),
            r["guest_name"].as_str(),
            r["phone"].as_str()
        ),
        (Some("13"), Some("Andrew Peterson"), Some("")),
        "{r}"
    );
    let integer_id: Value = serde_json::from_str(&case("pms-12b-webhook-integer-id.json")).unwrap();
    assert!(
        integer_id["reservation_id"].is_u64(),
        "the copy keeps its number"
    );
    let (code, again) = w.pms(&secret, &integer_id).await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(
        again["id"], r["id"],
        "the integer 13 is the reservation \"13\""
    );
    assert_eq!(again["phone"], "+15125551212");
    let list = w.get("/reservations?from=2026-12-01&to=2026-12-31").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "one stay: {list}");
}
