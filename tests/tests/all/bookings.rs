//! BOOK-1 sources at their edges: iCal feeds shaped like the channel managers' (imports,
//! moved UIDs, cancellations, a broken or failing feed that leaves the data as it was)
//! and the PMS webhook's refusals (signature, body, unit).

use e2e::standins::airbnb;
use e2e::world::{athens, World};
use serde_json::json;

async fn stays(w: &World, unit: i64) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = w
        .get("/reservations?from=2026-10-01&to=2027-01-01")
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["unit_id"] == unit)
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (s("external_id"), s("check_in"), s("check_out"), s("status"))
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ical_feeds_import_follow_and_survive_bad_files() {
    let w = World::new(athens(2026, 10, 20, 9, 0)).await;
    let r101 = w.rooms["101"];
    // Booking.com's older shape, with a block, on LF line ends.
    w.feeds.set(
        "102",
        200,
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Booking.com//EN\nBEGIN:VEVENT\nUID:bk-1@booking.com\nDTSTART;VALUE=DATE:20261101\nDTEND;VALUE=DATE:20261104\nSUMMARY:CLOSED - Not available\nEND:VEVENT\nBEGIN:VEVENT\nUID:bk-2@booking.com\nDTSTART;VALUE=DATE:20261105\nDTEND;VALUE=DATE:20261107\nSUMMARY:CLOSED - Maria Papadopoulou\nEND:VEVENT\nEND:VCALENDAR\n",
    );
    let report = w.follow_feed("102").await;
    assert_eq!(
        report,
        json!({"stays": 1, "added": 1, "moved": 0, "cancelled": 0, "skipped": 1,
               "unreadable": [], "kept": []})
    );
    let list = w.get("/reservations?from=2026-11-01&to=2026-11-30").await;
    assert_eq!(list[0]["guest_name"], "Maria Papadopoulou", "{list}");
    // Check-in and check-out instants use the property's times in its zone (EET).
    assert_eq!(list[0]["check_in_at"], "2026-11-05T13:00:00.000Z");
    assert_eq!(list[0]["check_out_at"], "2026-11-07T09:00:00.000Z");

    // Airbnb: CRLF, folded lines, all-day events.
    let feed = airbnb(&[
        ("a1@airbnb.com", "20261023", "20261026"),
        ("a2@airbnb.com", "20261101", "20261103"),
    ]);
    w.feeds.set("101", 200, &feed);
    w.follow_feed("101").await;
    let before = stays(&w, r101).await;
    assert_eq!(
        before,
        [
            (
                "a1@airbnb.com".into(),
                "2026-10-23".into(),
                "2026-10-26".into(),
                "booked".into()
            ),
            (
                "a2@airbnb.com".into(),
                "2026-11-01".into(),
                "2026-11-03".into(),
                "booked".into()
            ),
        ]
    );

    // Broken answers change nothing and say why, beside the feed.
    let refresh = format!("/admin/rooms/{r101}/ical/refresh");
    for (status, body, why) in [
        (
            200,
            "<html><body>Service Unavailable</body></html>",
            "not an iCalendar",
        ),
        (500, "", "HTTP 500"),
        (200, &feed[..feed.len() / 2], "not an iCalendar"),
    ] {
        w.feeds.set("101", status, body);
        let (code, err) = w.try_call("POST", &refresh, &json!({})).await;
        assert_eq!(code, 503, "{err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(why),
            "{why}: {err}"
        );
        assert_eq!(
            stays(&w, r101).await,
            before,
            "a bad feed ({why}) left the stays alone"
        );
        let feeds = w.get("/admin/ical-feeds").await;
        let mine = feeds
            .as_array()
            .and_then(|f| f.iter().find(|f| f["unit_id"] == r101))
            .cloned();
        assert!(mine.is_some_and(|f| f["error"].as_str().unwrap_or_default().contains(why)));
    }

    // One event the hub cannot read is named and skipped; the rest is imported.
    let broken = feed.replace(
        "END:VCALENDAR",
        "BEGIN:VEVENT\r\nUID:x@airbnb.com\r\nDTSTART;VALUE=DATE:20261105\r\nDTEND;VALUE=DATE:20261101\r\nEND:VEVENT\r\nEND:VCALENDAR",
    );
    w.feeds.set("101", 200, &broken);
    let report = w.refresh_feed("101").await;
    assert_eq!(
        report["unreadable"],
        json!(["event x@airbnb.com: ends before it starts"]),
        "{report}"
    );
    assert_eq!(stays(&w, r101).await, before);
    let feeds = w.get("/admin/ical-feeds").await;
    let beside = feeds
        .as_array()
        .and_then(|f| f.iter().find(|f| f["unit_id"] == r101))
        .cloned();
    assert_eq!(
        beside.map(|f| f["report"]["unreadable"].clone()),
        Some(report["unreadable"].clone())
    );

    // The first stay moves a day later (same UID); the second vanishes: kept once, cancelled
    // when the next answer leaves it out too.
    w.feeds.set(
        "101",
        200,
        &airbnb(&[("a1@airbnb.com", "20261024", "20261027")]),
    );
    let report = w.refresh_feed("101").await;
    assert_eq!(
        (report["moved"].as_u64(), report["cancelled"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    assert!(
        report["kept"][0]
            .as_str()
            .unwrap_or_default()
            .contains("missing from this answer"),
        "{report}"
    );
    let report = w.refresh_feed("101").await;
    assert_eq!(report["cancelled"].as_u64(), Some(1), "{report}");
    assert_eq!(
        stays(&w, r101).await,
        [
            (
                "a1@airbnb.com".into(),
                "2026-10-24".into(),
                "2026-10-27".into(),
                "booked".into()
            ),
            (
                "a2@airbnb.com".into(),
                "2026-11-01".into(),
                "2026-11-03".into(),
                "cancelled".into()
            ),
        ]
    );
    // A good import clears the recorded failure.
    let feeds = w.get("/admin/ical-feeds").await;
    assert!(
        feeds
            .as_array()
            .is_some_and(|f| f.iter().all(|f| f["error"] == "")),
        "{feeds}"
    );
    // Not a URL, or not http(s): refused before anything is fetched.
    let (code, _) = w
        .try_call(
            "PUT",
            &format!("/admin/rooms/{r101}/ical"),
            &json!({"url": "file:///etc/passwd"}),
        )
        .await;
    assert_eq!(code, 400);
    w.hub_stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pms_webhook_refuses_what_it_cannot_trust_or_read() {
    let w = World::new(athens(2026, 10, 20, 9, 0)).await;
    let good = json!({"reservation_id": "R-1", "unit": "101", "status": "booked",
        "check_in": "2026-10-21", "check_out": "2026-10-23"});
    // No secret made yet: the webhook is not set up.
    let (code, body) = w.pms("anything", &good).await;
    assert_eq!(code, 409, "{body}");
    let secret = w.webhook_secret().await;
    // Wrong key, a body changed after signing, no signature at all.
    let (code, body) = w.pms("not the secret", &good).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (403, Some("bad_signature")),
        "{body}"
    );
    let bytes = serde_json::to_vec(&good).expect("JSON");
    let signature = e2e::standins::sign(&secret, &bytes);
    let tampered = String::from_utf8(bytes)
        .expect("text")
        .replace("R-1", "R-2");
    for sig in [Some(signature.as_str()), None, Some("sha256=00")] {
        let mut req = e2e::client()
            .post(w.hub.api("/bookings/webhook"))
            .header("content-type", "application/json")
            .body(tampered.clone());
        if let Some(s) = sig {
            req = req.header("x-hub-signature-256", s);
        }
        assert_eq!(req.send().await.expect("an answer").status().as_u16(), 403);
    }
    // Signed but unreadable or wrong: 400 with the reason.
    for (body, why) in [
        (json!({"reservation_id": "R-1"}), "status"),
        (
            json!({"reservation_id": "R-1", "status": "sleeping"}),
            "sleeping",
        ),
        (
            json!({"reservation_id": "R-1", "unit": "999", "status": "booked", "check_in": "2026-10-21", "check_out": "2026-10-23"}),
            "999",
        ),
        (
            json!({"reservation_id": "R-1", "unit": "101", "status": "booked", "check_in": "2026-10-23", "check_out": "2026-10-21"}),
            "after",
        ),
        (
            json!({"reservation_id": "R-1", "unit": "101", "status": "booked"}),
            "check_in",
        ),
        (
            json!({"reservation_id": -4, "status": "booked"}),
            "whole number",
        ),
    ] {
        let (code, answer) = w.pms(&secret, &body).await;
        assert_eq!(code, 400, "{body} → {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(why),
            "{why}: {answer}"
        );
    }
    assert!(w
        .get("/reservations?from=2026-10-01&to=2026-12-01")
        .await
        .as_array()
        .is_some_and(|a| a.is_empty()));
    // And the good one, signed: booked, then checked in and out by id alone.
    let (code, r) = w.pms(&secret, &good).await;
    assert_eq!(
        (code, r["status"].as_str(), r["source"].as_str()),
        (200, Some("booked"), Some("pms")),
        "{r}"
    );
    for status in ["checked_in", "checked_out"] {
        let (code, r) = w
            .pms(&secret, &json!({"reservation_id": "R-1", "status": status}))
            .await;
        assert_eq!((code, r["status"].as_str()), (200, Some(status)), "{r}");
    }
    w.hub_stop().await;
}

/// A stay entered by hand that shares a night with another in the room is refused with the
/// other stay named; the departure day is free; staff who know better can insist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlapping_stay_is_refused_naming_the_other() {
    let w = World::new(athens(2026, 10, 20, 9, 0)).await;
    let room = w.rooms["101"];
    let book = |guest: &str, from: &str, to: &str, allow: bool| {
        json!({"unit_id": room, "guest_name": guest, "check_in": from, "check_out": to,
               "allow_overlap": allow})
    };
    let (status, _) = w
        .try_call(
            "POST",
            "/admin/reservations",
            &book("Maria Silva", "2026-11-02", "2026-11-05", false),
        )
        .await;
    assert_eq!(status, 201);
    let (status, refused) = w
        .try_call(
            "POST",
            "/admin/reservations",
            &book("Jan Novak", "2026-11-04", "2026-11-06", false),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    let why = refused["error"]["message"].as_str().unwrap();
    assert!(
        why.contains("Maria Silva") && why.contains("2026-11-02") && why.contains("101"),
        "{why}"
    );
    let (status, _) = w
        .try_call(
            "POST",
            "/admin/reservations",
            &book("Jan Novak", "2026-11-05", "2026-11-07", false),
        )
        .await;
    assert_eq!(
        status, 201,
        "arriving on the other's departure day is no overlap"
    );
    let (status, _) = w
        .try_call(
            "POST",
            "/admin/reservations",
            &book("Eva Berg", "2026-11-03", "2026-11-04", true),
        )
        .await;
    assert_eq!(status, 201, "an explicit override is kept");

    // Moving a stay onto another's nights is refused alike; its own nights are no overlap.
    let (status, jan) = w
        .try_call(
            "POST",
            "/admin/reservations",
            &book("Jan Novak", "2026-11-10", "2026-11-12", false),
        )
        .await;
    assert_eq!(status, 201, "{jan}");
    let path = format!("/admin/reservations/{}", jan["id"]);
    let (status, refused) = w
        .try_call("PATCH", &path, &json!({"check_in": "2026-11-06"}))
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("from 2026-11-05 to 2026-11-07"),
        "the other stay is named: {refused}"
    );
    let (status, r) = w
        .try_call("PATCH", &path, &json!({"check_out": "2026-11-13"}))
        .await;
    assert_eq!(
        (status, r["check_out"].as_str()),
        (200, Some("2026-11-13")),
        "{r}"
    );
    let (status, r) = w
        .try_call(
            "PATCH",
            &path,
            &json!({"check_in": "2026-11-06", "allow_overlap": true}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
}
