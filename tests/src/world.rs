//! A small property for scenario tests: an in-process hub on a manual clock in Athens,
//! with rooms, emulated Tuya devices added through the admin API, an Open-Meteo
//! stand-in and iCal feeds. Helpers call the REST API as the admin app does.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use device_drivers::emulator::tuya::{self, RunningTuya, TuyaDevice};
use device_drivers::tuya::{crypto, Version};
use serde_json::{json, Value};

use crate::inproc::InProc;
use crate::standins::{Feeds, OpenMeteo};

pub const ATHENS: chrono_tz::Tz = chrono_tz::Europe::Athens;

pub struct World {
    pub hub: InProc,
    pub owner: reqwest::Client,
    pub meteo: OpenMeteo,
    pub feeds: Feeds,
    pub rooms: HashMap<String, i64>,
    /// Device id in the hub → its emulator.
    pub devices: HashMap<String, RunningTuya>,
    _dir: tempfile::TempDir,
    _feeds: tokio::task::JoinHandle<()>,
}

/// An Athens wall time as an instant.
pub fn athens(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    ATHENS
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("{y}-{mo}-{d} {h}:{mi} is not a time in Athens"))
}

/// A stored instant as an Athens wall time, "DD HH:MM TZ".
pub fn athens_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&ATHENS).format("%d %H:%M %Z").to_string())
        .unwrap_or_default()
}

impl World {
    pub async fn new(start: DateTime<Utc>) -> World {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (clock, time) = hub::clock::Clock::manual(start);
        // The stand-in answers by the hub's clock.
        let meteo = OpenMeteo::start(time.clone())
            .await
            .expect("the forecast stand-in");
        let hub = InProc::start(dir.path(), (clock, time), &meteo.url)
            .await
            .expect("the hub starts");
        let (feeds, feeds_task) = Feeds::start().await.expect("the feed server");
        let owner = hub.owner().await.expect("the owner signs in");
        let mut world = World {
            hub,
            owner,
            meteo,
            feeds,
            rooms: HashMap::new(),
            devices: HashMap::new(),
            _dir: dir,
            _feeds: feeds_task,
        };
        let mut property = world.get("/property").await;
        property["time_zone"] = json!("Europe/Athens");
        property["latitude"] = json!(37.98);
        property["longitude"] = json!(23.73);
        world.call("PUT", "/admin/property", &property).await;
        for name in ["101", "102"] {
            let r = world
                .call("POST", "/admin/rooms", &json!({"name": name}))
                .await;
            world
                .rooms
                .insert(name.into(), r["id"].as_i64().expect("a room id"));
        }
        world
    }

    pub async fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        let (status, v) = self.try_call(method, path, body).await;
        assert!(status < 300, "{method} {path}: {status}: {v}");
        v
    }

    pub async fn try_call(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let r = self
            .owner
            .request(m, self.hub.api(path))
            .json(body)
            .send()
            .await
            .expect("the hub answers");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        crate::get_json(&self.owner, &self.hub.api(path))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Starts an emulated Tuya device and adds it to the hub; returns the hub's id.
    pub async fn tuya(&mut self, name: &str, kind: &str, room: Option<&str>) -> String {
        let native = format!("bf{:0>18}", self.devices.len() + 1);
        let key = "0123456789abcdef";
        let device = TuyaDevice::new(
            &native,
            crypto::parse_local_key(key).expect("a 16-byte key"),
            Version::V33,
            serde_json::from_value(json!({"1": false, "2": 50, "3": 40})).expect("a map"),
        );
        let running = tuya::start(device).await.expect("the emulator starts");
        let room_id = room.map(|r| self.rooms[r]);
        let added = self
            .call(
                "POST",
                "/admin/devices",
                &json!({"brand": "tuya", "kind": kind, "name": name, "room_id": room_id,
                    "native_id": native, "address": running.addr.to_string(),
                    "settings": {"version": "3.3"}, "secret": key}),
            )
            .await;
        let id = added["id"].as_str().expect("a device id").to_owned();
        self.devices.insert(id.clone(), running);
        crate::eventually(
            &format!("{name} coming online"),
            Duration::from_secs(20),
            async || {
                let list = self.get("/devices").await;
                list.as_array()
                    .and_then(|l| l.iter().find(|d| d["id"] == id.as_str()))
                    .is_some_and(|d| d["online"] == true)
            },
        )
        .await;
        id
    }

    pub async fn hub_stop(mut self) {
        self.hub.stop().await;
    }

    /// Switches a device off through the REST API, as staff would.
    pub async fn call_device_off(&self, id: &str) {
        self.call(
            "POST",
            &format!("/devices/{id}/command"),
            &json!({"on": false}),
        )
        .await;
    }

    /// The power data point as the emulated device itself holds it.
    pub fn is_on(&self, id: &str) -> bool {
        self.devices[id].dps().get("1") == Some(&json!(true))
    }

    /// Points a room at its feed on the feed server (named after the room) and imports it.
    pub async fn follow_feed(&self, room: &str) -> Value {
        let id = self.rooms[room];
        self.call(
            "PUT",
            &format!("/admin/rooms/{id}/ical"),
            &json!({"url": self.feeds.link(room)}),
        )
        .await
    }

    /// Imports a room's feed again now.
    pub async fn refresh_feed(&self, room: &str) -> Value {
        let id = self.rooms[room];
        self.call(
            "POST",
            &format!("/admin/rooms/{id}/ical/refresh"),
            &json!({}),
        )
        .await
    }

    /// Makes the PMS webhook's secret (as an admin does) and returns it.
    pub async fn webhook_secret(&self) -> String {
        self.call("POST", "/admin/booking-settings/webhook-secret", &json!({}))
            .await["webhook_secret"]
            .as_str()
            .expect("a secret")
            .to_owned()
    }

    /// When a scenario's `n`th run (from the first; negative from the last) started, as an
    /// Athens wall time "DD HH:MM TZ".
    pub async fn started(&self, scenario: i64, n: isize) -> String {
        let runs = self.runs(scenario).await;
        let i = if n < 0 { runs.len() as isize + n } else { n };
        let at = usize::try_from(i)
            .ok()
            .and_then(|i| runs.get(i))
            .and_then(|r| r["started_at"].as_str())
            .unwrap_or_else(|| panic!("no run {n} of scenario {scenario}: {runs:?}"));
        athens_time(at)
    }

    /// Runs a scenario by hand (its conditions checked) and lets the hub settle; the run's
    /// id, or none when its mode dropped it.
    pub async fn run_now(&self, scenario: i64) -> Option<i64> {
        let r = self
            .call(
                "POST",
                &format!("/admin/scenarios/{scenario}/run"),
                &json!({}),
            )
            .await;
        self.hub.settle().await;
        r["run_id"].as_i64()
    }

    /// Books a guest into a room by hand for the given dates, checks them in, and lets the
    /// hub settle.
    pub async fn check_in(&self, room: &str, guest: &str, email: &str, dates: (&str, &str)) {
        let r = self
            .call(
                "POST",
                "/admin/reservations",
                &json!({"unit_id": self.rooms[room], "guest_name": guest, "email": email,
                    "check_in": dates.0, "check_out": dates.1}),
            )
            .await;
        self.call(
            "PATCH",
            &format!("/admin/reservations/{}", r["id"]),
            &json!({"status": "checked_in"}),
        )
        .await;
        self.hub.settle().await;
    }

    pub async fn scenario(&self, name: &str, definition: Value) -> i64 {
        self.call(
            "POST",
            "/admin/scenarios",
            &json!({"name": name, "definition": definition}),
        )
        .await["id"]
            .as_i64()
            .expect("a scenario id")
    }

    pub async fn runs(&self, scenario: i64) -> Vec<Value> {
        let mut runs = self
            .get(&format!("/admin/scenarios/{scenario}/runs"))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default();
        runs.reverse();
        runs
    }

    /// Sends a signed PMS update.
    pub async fn pms(&self, secret: &str, body: &Value) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).expect("JSON");
        let r = crate::client()
            .post(self.hub.api("/bookings/webhook"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", crate::standins::sign(secret, &bytes))
            .body(bytes)
            .send()
            .await
            .expect("the hub answers");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}
