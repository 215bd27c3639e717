//! The media of a call: the hub terminates each browser's leg (one WebRTC peer connection,
//! webrtc-rs) and forwards the RTP of one leg's tracks to the other's, an SFU with two
//! members. Both legs speak Opus and VP8 only, so a packet crosses without transcoding:
//! its SSRC and payload type become the outgoing leg's, its header extensions (numbered per
//! leg in each SDP, RFC 8285) are dropped. A keyframe is asked of the sender (RTCP PLI,
//! RFC 4585 §6.3.1) when the other leg joins and every few seconds after, so a picture
//! recovers from loss without forwarding each receiver's own feedback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtc::interceptor::Registry;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::{
    MediaEngine, MIME_TYPE_OPUS, MIME_TYPE_VP8,
};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::RTCIceServer;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind,
};
use tokio::sync::{watch, Notify};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCIceGatheringState,
    RTCPeerConnectionState,
};

/// How often the sender of a forwarded picture is asked for a keyframe.
const KEYFRAME_EVERY: Duration = Duration::from_secs(2);
/// How long the hub gathers its candidates before answering (host candidates are there at
/// once; a TURN allocation takes two round trips to the relay).
const GATHER_WAIT: Duration = Duration::from_secs(3);
/// The largest SDP offer taken from a browser, in bytes (Chromium's are about 5 KB).
pub(super) const MAX_SDP: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the session description is not usable: {0}")]
    Offer(String),
    #[error("the call's media could not be set up: {0}")]
    Setup(String),
}

fn setup(e: impl std::fmt::Display) -> MediaError {
    MediaError::Setup(e.to_string())
}

/// Where the hub's media sockets bind: an address (`0.0.0.0` means every interface but
/// loopback, each its own host candidate; a concrete address only that one); and the TURN
/// servers its legs and the browsers use when an end is off the hotel's LAN.
#[derive(Clone)]
pub struct MediaSettings {
    pub address: std::net::IpAddr,
    pub ice_servers: IceServers,
}

/// A TURN (or STUN) server for a call's ICE, as a browser's `RTCPeerConnection` takes it
/// (W3C webrtc-pc §4.2.1 RTCIceServer): `{"urls": [...], "username": ..., "credential": ...}`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct IceServer {
    /// `turn:host:port?transport=udp` and the like (RFC 7065).
    pub urls: Vec<String>,
    pub username: String,
    pub credential: String,
}

/// The ICE servers to use now (short-lived credentials change); the wiring provides them.
pub type IceServers =
    Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, Vec<IceServer>> + Send + Sync>;

/// A leg's connection, as its watchers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegState {
    Connecting,
    Connected,
    /// Failed or closed: the leg is over.
    Gone,
}

/// One leg's outgoing track of one kind, with the SSRC and payload type its receiver
/// expects.
struct Outlet {
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    payload_type: u8,
}

/// Where one direction of a call's media goes: the other leg's outgoing tracks, set when
/// that leg exists and cleared when the call ends (which also breaks the references
/// between the two legs).
#[derive(Default)]
pub(super) struct Route {
    audio: Mutex<Option<Arc<Outlet>>>,
    video: Mutex<Option<Arc<Outlet>>>,
    /// Woken when the far leg joins: the picture's sender is asked for a keyframe at once.
    joined: Notify,
}

impl Route {
    fn slot(&self, kind: RtpCodecKind) -> &Mutex<Option<Arc<Outlet>>> {
        match kind {
            RtpCodecKind::Audio => &self.audio,
            _ => &self.video,
        }
    }

    fn outlet(&self, kind: RtpCodecKind) -> Option<Arc<Outlet>> {
        self.slot(kind)
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn fill(&self, outlets: Vec<(RtpCodecKind, Arc<Outlet>)>) {
        for (kind, outlet) in outlets {
            *self.slot(kind).lock().unwrap_or_else(|p| p.into_inner()) = Some(outlet);
        }
        self.joined.notify_waiters();
    }

    pub(super) fn clear(&self) {
        for kind in [RtpCodecKind::Audio, RtpCodecKind::Video] {
            *self.slot(kind).lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }
}

/// One browser's leg, terminated on the hub.
pub(super) struct Leg {
    pc: Arc<dyn PeerConnection>,
    outlets: Vec<(RtpCodecKind, Arc<Outlet>)>,
    pub(super) state: watch::Receiver<LegState>,
}

impl Leg {
    /// Answers a browser's `offer` (SDP text, no trickle): what this leg receives goes to
    /// `incoming`; what it should send is put in `outgoing` by [`Leg::join`]. Returns the
    /// leg and the answer with the hub's candidates in it.
    pub(super) async fn answer(
        settings: &MediaSettings,
        offer: &str,
        incoming: Arc<Route>,
    ) -> Result<(Leg, String), MediaError> {
        if offer.len() > MAX_SDP {
            return Err(MediaError::Offer("longer than 64 KiB".into()));
        }
        let offer = RTCSessionDescription::offer(offer.to_owned())
            .map_err(|e| MediaError::Offer(e.to_string()))?;
        let kinds = offered_kinds(&offer.sdp);
        if kinds.is_empty() {
            return Err(MediaError::Offer(
                "it offers neither audio nor video".into(),
            ));
        }
        let (state_tx, state) = watch::channel(LegState::Connecting);
        let (gathered_tx, mut gathered) = watch::channel(false);
        let handler = Arc::new(Handler {
            state: state_tx,
            gathered: gathered_tx,
            incoming,
        });
        let pc = build(settings, handler).await?;
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        match negotiate(&pc, offer, &kinds).await {
            Ok(outlets) => {
                let _ = tokio::time::timeout(GATHER_WAIT, gathered.wait_for(|done| *done)).await;
                let answer = pc
                    .local_description()
                    .await
                    .ok_or_else(|| MediaError::Setup("no local description".into()))?;
                Ok((Leg { pc, outlets, state }, answer.sdp))
            }
            Err(e) => {
                let _ = pc.close().await;
                Err(e)
            }
        }
    }

    /// Sends what arrives on `route` out through this leg once the leg is connected
    /// (before, its keys are not agreed and a packet has nowhere to go).
    pub(super) fn join(&self, route: Arc<Route>) {
        let (outlets, mut state) = (self.outlets.clone(), self.state.clone());
        tokio::spawn(async move {
            if let Ok(s) = state.wait_for(|s| *s != LegState::Connecting).await {
                if *s == LegState::Connected {
                    route.fill(outlets);
                }
            }
        });
    }

    /// Ends the leg: its sockets close and its forwarding tasks finish.
    pub(super) async fn close(&self) {
        if let Err(e) = self.pc.close().await {
            tracing::debug!(error = %e, "A call leg did not close cleanly.");
        }
    }
}

/// Whether an offer sends video: a `m=video` section not refused (port 0) and not
/// `recvonly` or `inactive` (RFC 8866 §6.7).
pub(super) fn sends_video(sdp: &str) -> bool {
    let mut in_video = false;
    let mut sends = false;
    for line in sdp.lines().map(str::trim) {
        if let Some(m) = line.strip_prefix("m=") {
            if in_video && sends {
                return true;
            }
            in_video = m.starts_with("video ") && !m.starts_with("video 0 ");
            sends = in_video;
        } else if in_video && matches!(line, "a=recvonly" | "a=inactive") {
            sends = false;
        }
    }
    in_video && sends
}

/// `m=audio` and `m=video` sections an offer has that are not refused (port 0).
fn offered_kinds(sdp: &str) -> Vec<RtpCodecKind> {
    let mut kinds = Vec::new();
    for line in sdp.lines() {
        let mut words = line.trim().split(' ');
        let (Some(m), Some(port)) = (words.next(), words.next()) else {
            continue;
        };
        let kind = match m {
            "m=audio" => RtpCodecKind::Audio,
            "m=video" => RtpCodecKind::Video,
            _ => continue,
        };
        if port != "0" && !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds
}

/// Opus and VP8 only: every browser has both, and a packet then crosses unchanged.
fn media_engine() -> Result<MediaEngine, MediaError> {
    let mut engine = MediaEngine::default();
    let feedback = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.into(),
        parameter: parameter.into(),
    };
    engine
        .register_codec(
            RTCRtpCodecParameters {
                rtp_codec: opus(),
                payload_type: 111,
            },
            RtpCodecKind::Audio,
        )
        .map_err(setup)?;
    let mut vp8 = vp8();
    vp8.rtcp_feedback = vec![
        feedback("goog-remb", ""),
        feedback("ccm", "fir"),
        feedback("nack", ""),
        feedback("nack", "pli"),
    ];
    engine
        .register_codec(
            RTCRtpCodecParameters {
                rtp_codec: vp8,
                payload_type: 96,
            },
            RtpCodecKind::Video,
        )
        .map_err(setup)?;
    Ok(engine)
}

fn opus() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.into(),
        clock_rate: 48_000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".into(),
        rtcp_feedback: Vec::new(),
    }
}

fn vp8() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_VP8.into(),
        clock_rate: 90_000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        rtcp_feedback: Vec::new(),
    }
}

async fn build(
    settings: &MediaSettings,
    handler: Arc<Handler>,
) -> Result<impl PeerConnection, MediaError> {
    let mut engine = media_engine()?;
    let registry = register_default_interceptors(Registry::new(), &mut engine).map_err(setup)?;
    // No mDNS: it would bind a multicast socket per connection, and the browser's
    // connectivity checks teach the hub its address anyway (a peer-reflexive candidate).
    let settings_engine = SettingEngineBuilder::new()
        .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
        .with_include_loopback_candidate(settings.address.is_loopback())
        .build();
    let ice_servers = (settings.ice_servers)()
        .await
        .into_iter()
        .map(|s| RTCIceServer {
            urls: s.urls,
            username: s.username,
            credential: s.credential,
        })
        .collect();
    PeerConnectionBuilder::new()
        .with_configuration(
            RTCConfigurationBuilder::new()
                .with_ice_servers(ice_servers)
                .build(),
        )
        .with_media_engine(engine)
        .with_setting_engine(settings_engine)
        .with_interceptor_registry(registry)
        .with_handler(handler as Arc<dyn PeerConnectionEventHandler>)
        .with_udp_addrs(vec![std::net::SocketAddr::new(settings.address, 0)])
        .build()
        .await
        .map_err(setup)
}

/// Sets the offer, adds an outgoing track per offered kind, answers.
async fn negotiate(
    pc: &Arc<dyn PeerConnection>,
    offer: RTCSessionDescription,
    kinds: &[RtpCodecKind],
) -> Result<Vec<(RtpCodecKind, Arc<Outlet>)>, MediaError> {
    pc.set_remote_description(offer)
        .await
        .map_err(|e| MediaError::Offer(e.to_string()))?;
    let mut senders = Vec::new();
    for &kind in kinds {
        let ssrc = rand::random::<u32>();
        let (codec, name) = match kind {
            RtpCodecKind::Audio => (opus(), "audio"),
            _ => (vp8(), "video"),
        };
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "hub".into(),
            format!("hub-{name}-{ssrc}"),
            format!("Hotel Hub {name}"),
            kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec,
                ..Default::default()
            }],
        )));
        let sender = pc
            .add_track(track.clone() as Arc<dyn TrackLocal>)
            .await
            .map_err(setup)?;
        senders.push((kind, track, ssrc, sender));
    }
    let answer = pc.create_answer(None).await.map_err(setup)?;
    pc.set_local_description(answer).await.map_err(setup)?;
    let mut outlets = Vec::new();
    for (kind, track, ssrc, sender) in senders {
        let mime = match kind {
            RtpCodecKind::Audio => MIME_TYPE_OPUS,
            _ => MIME_TYPE_VP8,
        };
        let parameters = sender.get_parameters().await.map_err(setup)?;
        let Some(payload_type) = parameters
            .rtp_parameters
            .codecs
            .iter()
            .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(mime))
            .map(|c| c.payload_type)
        else {
            // The browser refused this kind after all (no common codec): nothing to send.
            continue;
        };
        outlets.push((
            kind,
            Arc::new(Outlet {
                track,
                ssrc,
                payload_type,
            }),
        ));
    }
    Ok(outlets)
}

struct Handler {
    state: watch::Sender<LegState>,
    gathered: watch::Sender<bool>,
    incoming: Arc<Route>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(true);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let next = match state {
            RTCPeerConnectionState::Connected => LegState::Connected,
            RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => LegState::Gone,
            _ => return,
        };
        self.state.send_if_modified(|now| {
            let changed = *now != next && *now != LegState::Gone;
            if changed {
                *now = next;
            }
            changed
        });
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        tokio::spawn(forward(track, self.incoming.clone()));
    }
}

/// Forwards one received track until it ends, asking for keyframes while it is video.
async fn forward(track: Arc<dyn TrackRemote>, route: Arc<Route>) {
    let kind = track.kind().await;
    let source = track.ssrcs().await.first().copied().unwrap_or(0);
    let mut keyframes = tokio::time::interval(KEYFRAME_EVERY);
    keyframes.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let video = kind == RtpCodecKind::Video;
    loop {
        tokio::select! {
            event = track.poll() => match event {
                Some(TrackRemoteEvent::OnRtpPacket(mut packet)) => {
                    let Some(out) = route.outlet(kind) else { continue };
                    packet.header.ssrc = out.ssrc;
                    packet.header.payload_type = out.payload_type;
                    packet.header.extension = false;
                    packet.header.extensions.clear();
                    packet.header.extensions_padding = 0;
                    // A leg that is closing refuses writes; the call ends by its own path.
                    let _ = out.track.write_rtp(packet).await;
                }
                Some(TrackRemoteEvent::OnEnded) | None => return,
                Some(_) => {}
            },
            _ = keyframes.tick(), if video => keyframe(&track, source).await,
            _ = route.joined.notified(), if video => keyframe(&track, source).await,
        }
    }
}

async fn keyframe(track: &Arc<dyn TrackRemote>, media_ssrc: u32) {
    let pli = PictureLossIndication {
        sender_ssrc: 0,
        media_ssrc,
    };
    let _ = track.write_rtcp(vec![Box::new(pli)]).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_kinds_skip_refused_sections() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
        assert_eq!(offered_kinds(sdp), vec![RtpCodecKind::Audio]);
        assert!(offered_kinds("garbage").is_empty());
    }

    #[test]
    fn a_receive_only_camera_is_not_a_video_call() {
        let audio_only = "m=audio 9 X 111\r\na=sendrecv\r\nm=video 9 X 96\r\na=recvonly\r\n";
        let video = "m=video 9 X 96\r\na=sendrecv\r\nm=audio 9 X 111\r\na=recvonly\r\n";
        assert!(!sends_video(audio_only));
        assert!(sends_video(video));
        assert!(!sends_video("m=video 0 X 96\r\n"));
    }
}
