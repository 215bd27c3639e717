//! Chat clients for the tests: a guest socket (`/ws/guest`) and a team socket (`/ws/team`)
//! that keep what a real client keeps (token, dialogue, last sequence, baseline and
//! cursors) so they can be dropped at any moment and resume.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::Hub;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Signs in and returns the raw session cookie (`hub_session=…`) for a socket request.
pub async fn session_cookie(hub: &Hub, role: &str) -> anyhow::Result<String> {
    let (email, password) = hub.password_of(role);
    let r = reqwest::Client::new()
        .post(hub.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("sign-in as {role} failed: {}", r.status());
    }
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hub_session="))
        .context("no session cookie")?;
    Ok(cookie.split(';').next().unwrap_or_default().to_owned())
}

/// The widget key, read as staff.
pub async fn widget_key(staff: &reqwest::Client, hub: &Hub) -> anyhow::Result<String> {
    let v = crate::get_json(staff, &hub.url("/api/v1/chat/widget")).await?;
    v["widget_key"]
        .as_str()
        .map(str::to_owned)
        .context("no widget key")
}

pub async fn send(ws: &mut Socket, v: Value) -> anyhow::Result<()> {
    ws.send(Ws::Text(v.to_string().into())).await?;
    Ok(())
}

/// The next JSON frame, or an error after `wait` (however many pings came meanwhile).
pub async fn recv(ws: &mut Socket, wait: Duration) -> anyhow::Result<Value> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let frame = tokio::time::timeout(left, ws.next())
            .await
            .map_err(|_| anyhow!("no frame within {wait:?}"))?
            .context("the socket closed")??;
        match frame {
            Ws::Text(t) => return Ok(serde_json::from_str(&t)?),
            Ws::Close(c) => bail!("closed: {c:?}"),
            _ => continue,
        }
    }
}

/// Reads frames until one satisfies `pred`, handing every frame to `seen` first; an error
/// if none has within `wait` (however many others came).
pub async fn recv_until(
    ws: &mut Socket,
    wait: Duration,
    mut seen: impl FnMut(&Value),
    pred: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let v = recv(ws, left).await?;
        seen(&v);
        if pred(&v) {
            return Ok(v);
        }
    }
}

/// A guest as a browser would be: it keeps its token and where it left off.
#[derive(Debug, Default, Clone)]
pub struct GuestState {
    pub token: Option<String>,
    pub dialogue_id: Option<i64>,
    pub last_seq: i64,
    /// Every message frame received, in arrival order: (dialogue, seq, id).
    pub received: Vec<(i64, i64, i64)>,
}

impl GuestState {
    /// Takes in a frame: the token from a welcome, messages in sequence.
    pub fn absorb(&mut self, v: &Value) {
        match v["type"].as_str() {
            Some("welcome") => {
                if let Some(t) = v["token"].as_str() {
                    self.token = Some(t.to_owned());
                }
            }
            Some("message") => {
                let m = &v["message"];
                let (d, seq, id) = (
                    m["dialogue_id"].as_i64().unwrap_or(-1),
                    m["seq"].as_i64().unwrap_or(-1),
                    m["id"].as_i64().unwrap_or(-1),
                );
                if self.dialogue_id != Some(d) {
                    self.dialogue_id = Some(d);
                    self.last_seq = 0;
                }
                self.last_seq = seq;
                self.received.push((d, seq, id));
            }
            _ => {}
        }
    }
}

/// Where a client connects: an address, and the host its requests name (a relay carries a
/// hub's guests by that name).
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub host: String,
}

impl From<SocketAddr> for Endpoint {
    fn from(addr: SocketAddr) -> Endpoint {
        Endpoint {
            addr,
            host: addr.to_string(),
        }
    }
}

/// Opens `/ws/guest` and says hello; returns the socket after the welcome.
pub async fn guest_connect(
    hub: impl Into<Endpoint>,
    key: &str,
    state: &mut GuestState,
    page: &str,
) -> anyhow::Result<Socket> {
    let hub = hub.into();
    let request = format!("ws://{}/ws/guest", hub.host).into_client_request()?;
    let tcp = TcpStream::connect(hub.addr).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp)).await?;
    send(
        &mut ws,
        json!({"type": "hello", "key": key, "token": state.token, "dialogue_id": state.dialogue_id,
               "last_seq": state.last_seq, "page": {"url": page, "title": "Test page"}}),
    )
    .await?;
    let welcome = recv(&mut ws, Duration::from_secs(10)).await?;
    if welcome["type"] != "welcome" {
        bail!("expected a welcome, got {welcome}");
    }
    state.absorb(&welcome);
    Ok(ws)
}

/// A member of staff's Team Messenger state.
#[derive(Debug, Default, Clone)]
pub struct TeamState {
    pub baseline: Option<i64>,
    pub cursors: HashMap<i64, i64>,
    /// Every message frame received: (dialogue, seq, id).
    pub received: Vec<(i64, i64, i64)>,
}

impl TeamState {
    pub fn absorb(&mut self, v: &Value) {
        match v["type"].as_str() {
            Some("welcome") if self.baseline.is_none() => {
                self.baseline = v["baseline"].as_i64();
            }
            Some("message") => {
                let m = &v["message"];
                let (d, seq, id) = (
                    m["dialogue_id"].as_i64().unwrap_or(-1),
                    m["seq"].as_i64().unwrap_or(-1),
                    m["id"].as_i64().unwrap_or(-1),
                );
                self.cursors.insert(d, seq);
                self.received.push((d, seq, id));
            }
            _ => {}
        }
    }
}

pub async fn team_connect(
    hub: SocketAddr,
    cookie: &str,
    state: &mut TeamState,
) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{hub}/ws/team").into_client_request()?;
    request.headers_mut().insert("cookie", cookie.parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let cursors: serde_json::Map<String, Value> = state
        .cursors
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    send(
        &mut ws,
        json!({"type": "hello", "baseline": state.baseline, "cursors": cursors}),
    )
    .await?;
    let welcome = recv(&mut ws, Duration::from_secs(10)).await?;
    if welcome["type"] != "welcome" {
        bail!("expected a welcome, got {welcome}");
    }
    state.absorb(&welcome);
    Ok(ws)
}

/// Asserts a received stream holds each message once and each dialogue in sequence.
pub fn assert_in_order_once(who: &str, received: &[(i64, i64, i64)]) {
    let mut last: HashMap<i64, i64> = HashMap::new();
    let mut ids = std::collections::HashSet::new();
    for (d, seq, id) in received {
        assert!(ids.insert(*id), "{who}: message {id} arrived twice");
        let prev = last.insert(*d, *seq).unwrap_or(0);
        assert!(
            *seq > prev,
            "{who}: dialogue {d} seq {seq} after {prev} (out of order)"
        );
    }
}

/// Reads the chat settings as the owner, lets `edit` change them, and saves them.
pub async fn edit_chat_settings(
    owner: &reqwest::Client,
    hub: &Hub,
    edit: impl FnOnce(&mut Value),
) -> anyhow::Result<()> {
    let url = hub.url("/api/v1/admin/chat/settings");
    let mut settings = crate::get_json(owner, &url).await?;
    edit(&mut settings);
    let r = owner.put(&url).json(&settings).send().await?;
    if r.status() != 204 {
        bail!("saving the chat settings answered {}", r.status());
    }
    Ok(())
}

/// A new guest who writes one message: the open socket, its state and the dialogue.
pub async fn new_guest_dialogue(
    hub: &Hub,
    key: &str,
    body: &str,
) -> anyhow::Result<(Socket, GuestState, i64)> {
    let mut state = GuestState::default();
    let mut ws = guest_connect(hub.http, key, &mut state, "https://hotel.example/").await?;
    send(
        &mut ws,
        json!({"type": "send", "client_id": "first", "body": body}),
    )
    .await?;
    let ack = recv_until(
        &mut ws,
        Duration::from_secs(10),
        |v| state.absorb(v),
        |v| v["client_id"] == "first",
    )
    .await?;
    let d = ack["dialogue_id"]
        .as_i64()
        .context("no dialogue in the ack")?;
    Ok((ws, state, d))
}

/// Sends a frame that carries a `client_id` and returns the answer for it (an ack or an
/// error), handing every frame on the way to `seen`.
pub async fn say(ws: &mut Socket, frame: Value, seen: impl FnMut(&Value)) -> anyhow::Result<Value> {
    let cid = frame["client_id"].clone();
    send(ws, frame).await?;
    recv_until(ws, Duration::from_secs(10), seen, |v| v["client_id"] == cid).await
}
