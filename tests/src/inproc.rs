//! The hub in this test process, on a manual clock: tests move time and wait for the
//! scenario engine (and the weather) to have caught up, instead of sleeping. Everything
//! else is as in production: the real store on disk, real HTTP, real device links.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use hub::clock::{Clock, ManualClock};

pub struct InProc {
    running: Option<hub::app::Running>,
    clock: Clock,
    pub time: ManualClock,
    pub url: String,
    dir: PathBuf,
    weather_url: String,
    password: String,
    /// Whether the embedded broker runs. rumqttd cannot be stopped inside a process, so
    /// each boot puts it on a fresh port ([`InProc::broker_addr`]); devices reconnect there.
    broker: bool,
    /// Where the messenger platforms are (their stand-ins).
    messengers: hub::config::MessengersConfig,
}

pub const OWNER: &str = "owner@seed.test";

impl InProc {
    /// Starts a fresh hub in `dir` (appliance mode: no demo) on a manual clock, with the
    /// owner made through the set-up page.
    pub async fn start(
        dir: &Path,
        (clock, time): (Clock, ManualClock),
        weather_url: &str,
    ) -> anyhow::Result<InProc> {
        let mut hub = InProc {
            running: None,
            clock,
            time,
            url: String::new(),
            dir: dir.to_owned(),
            weather_url: weather_url.to_owned(),
            password: "a long test password 1".into(),
            broker: false,
            messengers: Default::default(),
        };
        hub.boot().await?;
        let code = hub
            .running
            .as_ref()
            .and_then(|r| r.setup_code.clone())
            .context("a fresh hub has a set-up code")?;
        let r = crate::client()
            .post(hub.api("/setup"))
            .json(&serde_json::json!({"code": code, "name": "Olga Owner", "email": OWNER, "password": hub.password}))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "set-up failed: {}", r.status());
        Ok(hub)
    }

    async fn boot(&mut self) -> anyhow::Result<()> {
        let mut config = hub::config::Config {
            data_dir: self.dir.clone(),
            ..Default::default()
        };
        config.web.http_listen = "127.0.0.1:0".parse()?;
        config.web.https_listen = None;
        config.broker.enabled = self.broker;
        config.broker.listen = "127.0.0.1:0".parse()?;
        config.mdns.enabled = false;
        config.weather.base_url = self.weather_url.clone();
        config.weather.refresh_minutes = 15;
        config.messengers = self.messengers.clone();
        let running = Box::pin(hub::app::start(
            config,
            hub::app::Mode::Run,
            self.clock.clone(),
        ))
        .await?;
        self.url = format!("http://{}", running.http);
        self.running = Some(running);
        Ok(())
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    /// A client signed in as the owner.
    pub async fn owner(&self) -> anyhow::Result<reqwest::Client> {
        let client = crate::client();
        let r = client
            .post(self.api("/auth/login"))
            .json(&serde_json::json!({"email": OWNER, "password": self.password}))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "sign-in failed: {}", r.status());
        Ok(client)
    }

    /// Device events the registry has sent so far.
    pub fn device_events(&self) -> u64 {
        self.running
            .as_ref()
            .map_or(0, |r| r.devices().events_sent())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.time.get()
    }

    /// Stops the hub as a shutdown would; the clock keeps its time.
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    /// Restarts with the embedded broker on; returns where it listens.
    pub async fn with_broker(&mut self) -> anyhow::Result<std::net::SocketAddr> {
        self.broker = true;
        self.restart().await?;
        self.broker_addr().context("the broker runs")
    }

    /// Restarts with the messenger platforms' APIs at `api` (their stand-ins).
    pub async fn with_messengers(&mut self, api: &str) -> anyhow::Result<()> {
        self.messengers = hub::config::MessengersConfig {
            telegram_api: api.to_owned(),
            viber_api: api.to_owned(),
            graph_api: format!("{api}/graph"),
            public_url: String::new(),
        };
        self.restart().await
    }

    pub fn broker_addr(&self) -> Option<std::net::SocketAddr> {
        self.running.as_ref().and_then(|r| r.mqtt)
    }

    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await;
        self.boot().await
    }

    /// Waits until every forecast fetch due by the clock's time has been made, and the
    /// engine has handled that time (and all it was told) with no run under way.
    pub async fn settle(&self) {
        let Some(r) = self.running.as_ref() else {
            return;
        };
        let now = self.now();
        let within = Duration::from_secs(20);
        let deadline = std::time::Instant::now() + within;
        let weather = r.weather();
        crate::eventually(
            &format!("the forecast fetches due by {now}"),
            within,
            async || {
                if weather.caught_up(now) {
                    Ok(())
                } else {
                    Err((weather.latest().map(|s| s.fetched_at), weather.last_error()))
                }
            },
        )
        .await;
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let waited = tokio::time::timeout(left, r.scenarios.settled(now)).await;
        assert!(
            waited.is_ok(),
            "the hub did not settle at {now}: engine {:?}, forecast of {:?}, forecast error {:?}",
            r.scenarios.progress(),
            r.weather().latest().map(|s| s.fetched_at),
            r.weather().last_error()
        );
    }

    /// Moves the clock forward a minute at a time up to `until`, letting the hub catch up
    /// at every step, as if the time had passed.
    pub async fn walk_to(&self, until: DateTime<Utc>) {
        while self.now() < until {
            let next = (self.now() + chrono::Duration::minutes(1)).min(until);
            self.time.set(next);
            self.settle().await;
        }
    }
}
