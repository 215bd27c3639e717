"""A second WebRTC implementation against the hub's calls (DESK-3): aiortc places calls as
the paired kiosk (its socket, /ws/kiosk) and answers them as a member of staff (the ring on
/ws/team, the answer over HTTP). Each side sends aiortc's test picture (640x480, 30 fps) and
a tone, and counts the frames it decodes from the other side through the hub.

Rounds of PARALLEL calls: all set up (ringing, answered, frames both ways), held HOLD
seconds while the hub's CPU time and RSS are read (with --hub-pid), then hung up (by the
kiosk and by staff in turn). One JSON line per call and per round; "peer ok" at the end.

Usage: call_peer.py HUB_URL KIOSK_COOKIE STAFF_COOKIE [--rounds N] [--parallel K]
       [--hold SECS] [--hub-pid PID] [--picture still|moving]
"""

import argparse
import asyncio
import json
import os
import time
import urllib.request

import av
import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError

FRAMES_WANTED = 5


class Counter:
    """Frames decoded from one received video track, and when the first came."""

    def __init__(self):
        self.frames = 0
        self.audio = 0
        self.first = None

    async def drain(self, track):
        try:
            while True:
                await track.recv()
                if track.kind == "video":
                    self.frames += 1
                    if self.first is None:
                        self.first = time.monotonic()
                else:
                    self.audio += 1
        except MediaStreamError:
            pass


NOISE = os.urandom(640 * 480 * 2)
GREY = bytes([128]) * (320 * 240)


class MovingPicture(VideoStreamTrack):
    """640x480 noise that moves every frame: as hard to compress as a picture gets, so the
    encoder sends at its full bit rate, like a camera in a busy lobby."""

    n = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(640, 480, "yuv420p")
        self.n += 1
        at = (self.n * 641 * 3) % (640 * 480)
        frame.planes[0].update(NOISE[at:at + 640 * 480])
        frame.planes[1].update(GREY)
        frame.planes[2].update(GREY)
        frame.pts, frame.time_base = pts, time_base
        return frame


PICTURE = VideoStreamTrack


def peer(counter):
    pc = RTCPeerConnection()
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(PICTURE())
    tasks = []

    @pc.on("track")
    def on_track(track):
        tasks.append(asyncio.ensure_future(counter.drain(track)))

    return pc, tasks


async def offer(pc):
    # aiortc gathers every candidate inside setLocalDescription: no trickle, as the hub wants.
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


def post(url, cookie, body):
    data = json.dumps(body).encode() if body is not None else b""
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", "Cookie": cookie})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read()
        return json.loads(text) if text else None


class Frames:
    """A socket's JSON frames, read in the background, awaited by a condition."""

    def __init__(self, ws):
        self.ws = ws
        self.seen = []
        self.changed = asyncio.Event()
        self.task = asyncio.ensure_future(self.read())

    async def read(self):
        try:
            async for text in self.ws:
                self.seen.append((time.monotonic(), json.loads(text)))
                self.changed.set()
        except websockets.ConnectionClosed:
            pass
        self.changed.set()

    async def wait(self, match, what, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for at, f in self.seen:
                if match(f):
                    return at, f
            left = deadline - time.monotonic()
            if left <= 0 or self.task.done():
                raise RuntimeError(f"no {what}; frames: {[f for _, f in self.seen][-5:]}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass


class Call:
    def __init__(self, args, team, n):
        self.args, self.team, self.n = args, team, n
        self.guest, self.agent = Counter(), Counter()
        self.gpc, _ = peer(self.guest)
        self.apc, _ = peer(self.agent)

    async def set_up(self):
        a = self.args
        ws_url = a.hub.replace("http", "ws", 1)
        self.ws = await websockets.connect(f"{ws_url}/ws/kiosk", additional_headers={"Cookie": a.kiosk_cookie},
                                          max_size=1 << 20)
        self.kiosk = Frames(self.ws)
        sdp = await offer(self.gpc)
        tap = time.monotonic()
        await self.ws.send(json.dumps({"type": "call", "sdp": sdp}))
        _, answer = await self.kiosk.wait(lambda f: f["type"] in ("answer", "error"), "answer")
        if answer["type"] == "error":
            raise RuntimeError(f"the call was refused: {answer}")
        self.id = answer["call_id"]
        await self.gpc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        rang, _ = await self.team.wait(
            lambda f: f.get("type") == "call" and f["call"]["id"] == self.id and f["call"]["outcome"] == "ringing",
            f"ring for call {self.id}")
        self.ring_ms = (rang - tap) * 1000
        sdp = await offer(self.apc)
        self.answered = time.monotonic()
        reply = await asyncio.to_thread(post, f"{a.hub}/api/v1/calls/{self.id}/answer", a.staff_cookie, {"sdp": sdp})
        await self.apc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))
        await self.kiosk.wait(lambda f: f.get("state") == "connected", "connected")
        deadline = time.monotonic() + 30
        while self.guest.frames < FRAMES_WANTED or self.agent.frames < FRAMES_WANTED:
            if time.monotonic() > deadline:
                raise RuntimeError(f"call {self.id}: frames guest={self.guest.frames} agent={self.agent.frames}")
            await asyncio.sleep(0.02)

    async def tear_down(self):
        a = self.args
        if self.n % 2:
            await self.ws.send(json.dumps({"type": "hangup"}))
        else:
            await asyncio.to_thread(post, f"{a.hub}/api/v1/calls/{self.id}/hangup", a.staff_cookie, None)
        await self.kiosk.wait(lambda f: f.get("state") == "ended", "the end of the call")
        await self.ws.close()
        await self.gpc.close()
        await self.apc.close()
        return {
            "call": self.id,
            "ring_ms": round(self.ring_ms, 1),
            "answer_to_frame_ms": round((self.agent.first - self.answered) * 1000, 1),
            "answer_to_guest_frame_ms": round((self.guest.first - self.answered) * 1000, 1),
            "agent_frames": self.agent.frames,
            "guest_frames": self.guest.frames,
            "agent_audio_frames": self.agent.audio,
            "guest_audio_frames": self.guest.audio,
        }


async def video_bytes_sent(pc):
    stats = await pc.getStats()
    return sum(getattr(s, "bytesSent", 0) for s in stats.values()
               if s.type == "outbound-rtp" and s.kind == "video")


def hub_cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def hub_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def unanswered(a, ws_url):
    """A call nobody takes: its end, as the kiosk is told."""
    pc, _ = peer(Counter())
    ws = await websockets.connect(f"{ws_url}/ws/kiosk", additional_headers={"Cookie": a.kiosk_cookie},
                                  max_size=1 << 20)
    kiosk = Frames(ws)
    await ws.send(json.dumps({"type": "call", "sdp": await offer(pc)}))
    _, answer = await kiosk.wait(lambda f: f["type"] == "answer", "answer")
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    _, end = await kiosk.wait(lambda f: f.get("state") == "ended", "the end of the call", timeout=400)
    print(json.dumps({"call": answer["call_id"], "outcome": end["outcome"]}), flush=True)
    await ws.close()
    await pc.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("hub")
    p.add_argument("kiosk_cookie")
    p.add_argument("staff_cookie")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--parallel", type=int, default=1)
    p.add_argument("--hold", type=float, default=1.0)
    p.add_argument("--hub-pid", type=int)
    p.add_argument("--picture", choices=["still", "moving"], default="still")
    p.add_argument("--no-answer", action="store_true",
                   help="place one call, with no messenger open, and wait until it is missed")
    a = p.parse_args()
    global PICTURE
    PICTURE = MovingPicture if a.picture == "moving" else VideoStreamTrack
    ws_url = a.hub.replace("http", "ws", 1)
    if a.no_answer:
        await unanswered(a, ws_url)
        print("peer ok", flush=True)
        return
    team_ws = await websockets.connect(f"{ws_url}/ws/team", additional_headers={"Cookie": a.staff_cookie},
                                      max_size=1 << 22)
    await team_ws.send(json.dumps({"type": "hello"}))
    team = Frames(team_ws)
    n = 0
    for r in range(a.rounds):
        calls = [Call(a, team, n + i) for i in range(a.parallel)]
        n += a.parallel
        await asyncio.gather(*(c.set_up() for c in calls))
        round_out = {"round": r, "parallel": a.parallel}
        sent_before = [await video_bytes_sent(c.gpc) for c in calls]
        hold_start = time.monotonic()
        if a.hub_pid:
            tick = os.sysconf("SC_CLK_TCK")
            before, t0 = hub_cpu_ticks(a.hub_pid), time.monotonic()
            await asyncio.sleep(a.hold)
            used = (hub_cpu_ticks(a.hub_pid) - before) / tick
            round_out["hub_cpu_percent"] = round(100 * used / (time.monotonic() - t0), 1)
            round_out["hub_rss_mib"] = round(hub_rss_kib(a.hub_pid) / 1024, 1)
        else:
            await asyncio.sleep(a.hold)
        held = time.monotonic() - hold_start
        sent = [await video_bytes_sent(c.gpc) - b for c, b in zip(calls, sent_before)]
        round_out["guest_video_kbps"] = round(sum(sent) * 8 / 1000 / held / len(calls))
        results = await asyncio.gather(*(c.tear_down() for c in calls))
        for res in results:
            print(json.dumps(res), flush=True)
        print(json.dumps(round_out), flush=True)
        # Every call's memory is the guest's to keep no longer: a round's calls are gone
        # before the next is placed.
        team.seen.clear()
    await team_ws.close()
    print("peer ok", flush=True)


asyncio.run(main())
