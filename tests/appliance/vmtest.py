#!/usr/bin/env python3
"""The appliance in one QEMU VM (TCG, OVMF): boot slot A, set the hub up, write a chat
message, install a good signed bundle through the hub's API and reboot into slot B, install
one whose hub never gets healthy and watch GRUB roll back to B, and have a bundle signed by
a foreign key and one with a flipped byte refused. Driven by tests/appliance/run, which
builds the image, the bundles and the keys; standard library only.

The VM's only network is QEMU's user net with restrict=on (no way out) and one forwarded
port, 127.0.0.1:<free port> -> the hub's :80. The test image has a test agent on a virtio
serial port: a root shell that checks what the API cannot show (the read-only root, the
grown data partition, GRUB's environment) and collects diagnostics after a failure."""

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

FIGURES = {}
LOG_DIR = None


def say(msg):
    print(f"tests/appliance: {msg}", flush=True)


class Failure(Exception):
    pass


def fail(msg):
    raise Failure(msg)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Serial:
    """The serial console, as QEMU writes it to a file."""

    def __init__(self, path):
        self.path = path
        self.mark = 0

    def text(self):
        try:
            with open(self.path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def set_mark(self):
        self.mark = len(self.text())

    def wait(self, pattern, deadline, what):
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            m = rx.search(self.text(), self.mark)
            if m:
                return m
            time.sleep(0.5)
        fail(f"timed out waiting for {what} on the serial console ({self.path})")

    def findall(self, pattern, since=0):
        return re.findall(pattern, self.text()[since:])


class Agent:
    """The test image's agent on the virtio port hub.test.agent: one command a line."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.buf = b""
        self.n = 0

    def _connect(self):
        if self.sock is None:
            s = socket.socket(socket.AF_UNIX)
            s.connect(self.path)
            self.sock = s

    def run(self, cmd, timeout=120, check=True):
        """Runs `cmd` under bash in the VM as root; (status, output)."""
        self._connect()
        self.n += 1
        rid = f"q{self.n}x{int(time.time())}"
        self.sock.sendall(f"{rid} {base64.b64encode(cmd.encode()).decode()}\n".encode())
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    fail(f"the test agent did not answer in {timeout} s: {cmd}")
                self.sock.settimeout(left)
                try:
                    data = self.sock.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    fail("the test agent's socket closed")
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            parts = line.decode(errors="replace").split(" ")
            if parts[0] == rid and len(parts) >= 2:
                status = int(parts[1])
                out = base64.b64decode(parts[2]).decode(errors="replace") if len(parts) > 2 else ""
                if check and status != 0:
                    fail(f"in the VM, `{cmd}` failed ({status}):\n{out}")
                return status, out
            # a READY line from a (re)started agent, or an answer from before a reboot

    def try_run(self, cmd, timeout=60):
        try:
            return self.run(cmd, timeout=timeout, check=False)
        except (Failure, OSError) as e:
            return -1, str(e)


class Http:
    """The hub through the forwarded port, with its session cookie."""

    def __init__(self, port):
        self.port = port
        self.cookie = None

    def request(self, method, path, body=None, headers=None, timeout=30, stream=None, length=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        try:
            if stream is not None:
                h["Content-Length"] = str(length)
                conn.request(method, path, body=stream, headers=h)
            else:
                conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            for k, v in r.getheaders():
                if k.lower() == "set-cookie" and v.startswith("hub_session="):
                    self.cookie = v.split(";", 1)[0]
            return r.status, data
        finally:
            conn.close()

    def json(self, method, path, body=None, expect=(200,), timeout=30):
        status, data = self.request(method, path, body=body, timeout=timeout)
        if status not in expect:
            fail(f"{method} {path} answered {status}: {data[:500]!r}")
        return json.loads(data) if data else None

    def healthy(self):
        try:
            status, _ = self.request("GET", "/healthz", timeout=5)
            return status == 200
        except (OSError, http.client.HTTPException):
            return False


def guest_message(port, key, body, deadline):
    """A guest writes `body` through the widget's socket (/ws/guest); the dialogue's id."""
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    wskey = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        (
            "GET /ws/guest HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
            % (port, wskey)
        ).encode()
    )
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            fail("the guest socket closed during the handshake")
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        fail(f"the guest socket was refused: {head[:200]!r}")

    def send(obj):
        payload = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x81])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv_exact(n):
        nonlocal buf
        while len(buf) < n:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            d = s.recv(65536)
            if not d:
                fail("the guest socket closed")
            buf += d
        out, buf = buf[:n], buf[n:]
        return out

    def recv():
        while True:
            b0, b1 = recv_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", recv_exact(8))[0]
            payload = recv_exact(n)
            op = b0 & 0x0F
            if op == 0x1:
                return json.loads(payload)
            if op == 0x8:
                fail("the hub closed the guest socket")
            # pings and the rest: the hub's keep-alives need no answer for a few seconds

    send({"type": "hello", "key": key, "token": None, "dialogue_id": None, "last_seq": 0,
          "page": {"url": "https://hotel.example/", "title": "Appliance test"}})
    welcome = recv()
    if welcome.get("type") != "welcome":
        fail(f"expected a welcome on the guest socket, got {welcome}")
    send({"type": "send", "client_id": "first", "body": body})
    while time.monotonic() < deadline:
        v = recv()
        if v.get("client_id") == "first":
            if "dialogue_id" not in v:
                fail(f"the guest's message was not acknowledged: {v}")
            s.close()
            return v["dialogue_id"]
    fail("no acknowledgement for the guest's message")


class VM:
    def __init__(self, args, port):
        self.args = args
        self.port = port
        self.dir = args.workdir
        self.serial = Serial(os.path.join(self.dir, "serial.log"))
        self.agent = Agent(os.path.join(self.dir, "agent.sock"))
        self.monitor_path = os.path.join(self.dir, "monitor.sock")
        self.proc = None
        self.forced_resets = 0

    def monitor(self, command):
        """A command for QEMU's human monitor; its answer."""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(self.monitor_path)
        out = b""

        def until_prompt():
            nonlocal out
            while not out.rstrip().endswith(b"(qemu)"):
                d = s.recv(65536)
                if not d:
                    break
                out += d

        until_prompt()
        out = b""
        s.sendall(command.encode() + b"\n")
        until_prompt()
        s.close()
        return out.decode(errors="replace")

    def watch_resets(self):
        """In the background: after each "reboot: Restarting system" of the guest, GRUB must
        speak again. QEMU's TCG has been seen (once in several runs) to hang in that reset:
        the reset the guest asked for is then completed from QEMU's monitor, and counted."""
        import threading

        def watch():
            seen = 0
            rx_reset = re.compile(r"reboot: Restarting system")
            rx_grub = re.compile(r"Hotel Hub: ORDER=")
            while self.proc and self.proc.poll() is None:
                text = self.serial.text()
                resets = [m.end() for m in rx_reset.finditer(text)]
                if len(resets) > seen:
                    seen = len(resets)
                    since = time.monotonic()
                    while self.proc.poll() is None and not rx_grub.search(self.serial.text(), resets[-1]):
                        if time.monotonic() - since > 120:
                            n = self.forced_resets
                            try:
                                with open(os.path.join(self.dir, f"hung-reset-{n}.txt"), "w") as f:
                                    f.write(self.monitor("info status") + self.monitor("info registers"))
                                say(f"QEMU did not come back from the guest's reset in 120 s; resetting"
                                    f" it from the monitor (registers in {self.dir}/hung-reset-{n}.txt)")
                                self.forced_resets += 1
                                FIGURES["qemu_resets_completed_from_monitor"] = self.forced_resets
                                self.monitor("system_reset")
                            except OSError as e:
                                say(f"the QEMU monitor: {e}")
                            break
                        time.sleep(1)
                time.sleep(1)

        threading.Thread(target=watch, daemon=True).start()

    def start(self):
        d = self.dir
        disk = os.path.join(d, "disk.img")
        subprocess.run(["cp", "--sparse=always", self.args.disk, disk], check=True)
        # A bigger disk than the image's partitions: the first boot grows the data partition.
        with open(disk, "r+b") as f:
            f.truncate(os.path.getsize(self.args.disk) + self.args.grow_mib * 1024 * 1024)
        shutil.copy(self.args.ovmf_vars, os.path.join(d, "vars.fd"))
        for f in ("serial.log", "agent.sock", "monitor.sock", "qemu.pid"):
            try:
                os.unlink(os.path.join(d, f))
            except FileNotFoundError:
                pass
        nic = f"user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:{self.port}-:80"
        cmd = [
            "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "1536",
            "-display", "none", "-no-user-config", "-nodefaults",
            "-drive", f"if=pflash,format=raw,readonly=on,file={self.args.ovmf_code}",
            "-drive", f"if=pflash,format=raw,file={os.path.join(d, 'vars.fd')}",
            "-drive", f"file={disk},format=raw,if=virtio",
            "-nic", nic,
            "-device", "virtio-rng-pci",
            "-serial", f"file:{self.serial.path}",
            "-device", "virtio-serial-pci",
            "-chardev", f"socket,id=agent,path={self.agent.path},server=on,wait=off",
            "-device", "virtserialport,chardev=agent,name=hub.test.agent",
            "-monitor", f"unix:{self.monitor_path},server=on,wait=off",
            "-pidfile", os.path.join(d, "qemu.pid"),
        ] + list(getattr(self.args, "qemu_extra", None) or [])
        with open(os.path.join(d, "qemu.cmd"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        self.proc = subprocess.Popen(cmd, stdout=open(os.path.join(d, "qemu.out"), "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.watch_resets()
        deadline = time.monotonic() + 10
        while not os.path.exists(self.agent.path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                fail(f"QEMU did not start: {open(os.path.join(d, 'qemu.out')).read()}")
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def alive(self):
        if self.proc.poll() is not None:
            fail(f"QEMU ended ({self.proc.returncode}); see {self.dir}/qemu.out and serial.log")

    def wait_healthy(self, http, deadline, what):
        while time.monotonic() < deadline:
            self.alive()
            if http.healthy():
                return
            time.sleep(1)
        fail(f"timed out waiting for {what}: /healthz never answered")

    def wait_down(self, http, deadline, what):
        while time.monotonic() < deadline:
            self.alive()
            if not http.healthy():
                return
            time.sleep(0.5)
        fail(f"timed out waiting for {what}")

    def diagnostics(self):
        """What the VM can still tell, for a failure's message."""
        status, out = self.agent.try_run(
            "cat /etc/hotel-hub/version; rauc status 2>&1; grub-editenv /boot/efi/EFI/BOOT/grubenv list;"
            " systemctl --failed --no-pager; journalctl -b --no-pager -n 80 -u hub -u rauc", timeout=60)
        return out


def updates(http):
    return http.json("GET", "/api/v1/admin/updates")


def settled(http, deadline):
    while time.monotonic() < deadline:
        s = updates(http)
        if (s.get("operation") or {}).get("phase") not in ("receiving", "installing"):
            return s
        time.sleep(2)
    fail(f"the install did not finish in time: {s}")


def upload(http, path, deadline):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        status, data = http.request("POST", "/api/v1/admin/updates/bundle", stream=f, length=size,
                                    headers={"Content-Type": "application/octet-stream"}, timeout=600)
    if status != 202:
        fail(f"uploading {os.path.basename(path)} answered {status}: {data[:500]!r}")
    return settled(http, deadline)


def grub_choices(found):
    """GRUB's slot per boot: its line reaches the serial port twice in QEMU (GRUB's serial
    terminal and OVMF's console, which is the serial port too)."""
    out = []
    for c in found:
        if not out or out[-1] != c:
            out.append(c)
    return out


def slot(s, bootname):
    for x in s.get("slots") or []:
        if x.get("bootname") == bootname:
            return x
    return {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--disk", required=True)
    ap.add_argument("--good", required=True, help="bundle v2")
    ap.add_argument("--broken", required=True, help="bundle v3 (its hub never gets healthy)")
    ap.add_argument("--foreign", required=True, help="bundle signed by a foreign CA")
    ap.add_argument("--flipped", required=True, help="bundle with one flipped byte")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--grow-mib", type=int, default=2048)
    ap.add_argument("--ovmf-code", default="/usr/share/OVMF/OVMF_CODE_4M.fd")
    ap.add_argument("--ovmf-vars", default="/usr/share/OVMF/OVMF_VARS_4M.fd")
    ap.add_argument("--budget", type=int, default=20 * 60, help="seconds for the whole VM run")
    ap.add_argument("--figures", help="append the figures (JSON) to this file")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    port = free_port()
    http = Http(port)
    vm = VM(args, port)
    end = time.monotonic() + args.budget

    def stop(*_):
        vm.stop()
        sys.exit(1)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ok = False
    try:
        run(args, vm, http, end)
        ok = True
    except Failure as e:
        say(f"FAILED: {e}")
        if vm.proc and vm.proc.poll() is None:
            say("the VM's state:\n" + vm.diagnostics())
        say(f"serial console: {vm.serial.path}")
    finally:
        vm.stop()
        if args.figures:
            with open(args.figures, "w") as f:
                json.dump(FIGURES, f, indent=1)
    sys.exit(0 if ok else 1)


def step(msg):
    say(msg)


def run(args, vm, http, end):
    mins = lambda s: min(end, time.monotonic() + s)  # noqa: E731

    # --- boot 1: slot A, version 1 -------------------------------------------------------
    step(f"booting the image (QEMU TCG, OVMF; the hub on 127.0.0.1:{vm.port})")
    t0 = time.monotonic()
    vm.start()
    vm.wait_healthy(http, mins(300), "the first boot")
    FIGURES["boot_to_healthz_s"] = round(time.monotonic() - t0, 1)
    step(f"slot A is up: /healthz answered {FIGURES['boot_to_healthz_s']} s after QEMU started")
    m = vm.serial.wait(r"HOTEL HUB SET-UP CODE: ([A-Z0-9]{4}-[A-Z0-9]{4})", mins(120),
                       "the set-up code")
    code = m.group(1)
    step(f"the set-up code on the console: {code}")
    grub = grub_choices(vm.serial.findall(r"Hotel Hub: ORDER=[^\r\n]*?-> slot ([AB])"))
    if not grub or grub[-1] != "A":
        fail(f"GRUB did not choose slot A on the first boot: {grub}")

    _, out = vm.agent.run("findmnt -no OPTIONS /; findmnt -no SOURCE /data;"
                          " echo $(( $(blockdev --getsize64 $(findmnt -no SOURCE /data)) / 1048576 ));"
                          " cat /etc/hotel-hub/version; id -u hotel-hub; touch /usr/x 2>&1 || true",
                          timeout=60)
    lines = out.splitlines()
    if not lines[0].startswith("ro"):
        fail(f"the root is not read-only: {lines[0]}")
    data_mib = int(lines[2])
    if data_mib < 512 + args.grow_mib - 16:
        fail(f"the data partition was not grown to the disk: {data_mib} MiB")
    FIGURES["data_partition_after_first_boot_mib"] = data_mib
    step(f"root read-only ({lines[0].split(',')[0]}), data partition grown to {data_mib} MiB,"
         f" version {lines[3]}, hub uid {lines[4]}")

    # --- the owner, and a guest's message --------------------------------------------------
    http.json("POST", "/api/v1/setup", {"code": code, "name": "Olga Owner", "email": "owner@hotel.test",
                                  "password": "a long test password 4 the owner"}, expect=(201,))
    if not http.cookie:
        fail("POST /api/v1/setup set no session cookie")
    key = http.json("GET", "/api/v1/chat/widget")["widget_key"]
    body = f"Appliance test: is breakfast served at 7? ({int(time.time())})"
    dialogue = guest_message(vm.port, key, body, mins(60))
    detail = http.json("GET", f"/api/v1/chat/dialogues/{dialogue}")
    if body not in json.dumps(detail):
        fail(f"the guest's message is not in dialogue {dialogue}")
    step(f"owner set up; a guest wrote in dialogue {dialogue}")

    def message_kept(where):
        d = http.json("GET", f"/api/v1/chat/dialogues/{dialogue}")
        if body not in json.dumps(d):
            fail(f"the guest's message is gone after {where}")

    s = updates(http)
    if not s.get("enabled") or s.get("booted") != "A" or s.get("system_version") != "1":
        fail(f"GET /api/v1/admin/updates on slot A: {s}")
    deadline = mins(120)
    while slot(updates(http), "A").get("boot_status") != "good":
        if time.monotonic() > deadline:
            fail(f"the hub never marked slot A good: {updates(http)}")
        time.sleep(2)

    # --- the good update: v2 into slot B ---------------------------------------------------
    step("installing bundle v2 (good)")
    t = time.monotonic()
    s = upload(http, args.good, mins(600))
    if (s.get("operation") or {}).get("phase") != "installed" or s.get("next_boot") != "B":
        fail(f"bundle v2 was not installed: {s}")
    FIGURES["install_v2_s"] = round(time.monotonic() - t, 1)
    step(f"v2 installed (upload, verification and write) in {FIGURES['install_v2_s']} s; rebooting")

    def reboot_into(expect_slot, expect_version, what, rollback=False):
        vm.serial.set_mark()
        t = time.monotonic()
        status, data = http.request("POST", "/api/v1/admin/updates/reboot")
        if status not in (200, 202, 204):
            fail(f"POST /api/v1/admin/updates/reboot answered {status}: {data[:300]!r}")
        vm.wait_down(http, mins(180), f"the reboot ({what})")
        vm.wait_healthy(http, mins(600 if rollback else 300), f"the hub after the reboot ({what})")
        choices = grub_choices(vm.serial.findall(r"Hotel Hub: ORDER=[^\r\n]*?-> slot ([AB])", vm.serial.mark))
        deadline = mins(180)
        while True:
            s = updates(http)
            if s.get("booted") == expect_slot and slot(s, expect_slot).get("boot_status") == "good":
                break
            if time.monotonic() > deadline:
                fail(f"after {what}: the hub did not keep slot {expect_slot}: {s}")
            time.sleep(2)
        if s.get("system_version") != expect_version:
            fail(f"after {what}: version {s.get('system_version')}, expected {expect_version}")
        return time.monotonic() - t, choices, s

    took, choices, s = reboot_into("B", "2", "the v2 update")
    FIGURES["reboot_to_healthy_v2_s"] = round(took, 1)
    if choices != ["B"]:
        fail(f"GRUB's choices after installing v2: {choices}, expected slot B")
    message_kept("the update to v2")
    step(f"slot B, version 2, kept by the hub {FIGURES['reboot_to_healthy_v2_s']} s after the reboot;"
         " the guest's message survived")

    # --- the broken update: v3 into slot A, rolled back ------------------------------------
    step("installing bundle v3 (its hub cannot start: the broker's port is the web's)")
    t = time.monotonic()
    s = upload(http, args.broken, mins(600))
    if (s.get("operation") or {}).get("phase") != "installed" or s.get("next_boot") != "A":
        fail(f"bundle v3 was not installed: {s}")
    FIGURES["install_v3_s"] = round(time.monotonic() - t, 1)
    step(f"v3 installed in {FIGURES['install_v3_s']} s; rebooting into it")
    took, choices, s = reboot_into("B", "2", "the v3 update", rollback=True)
    FIGURES["reboot_to_rolled_back_s"] = round(took, 1)
    if choices != ["A", "B"]:
        fail(f"GRUB's choices after installing v3: {choices}, expected A (tried) then B")
    deadline = mins(120)
    while True:
        s = updates(http)
        h = (s.get("history") or [{}])[0]
        if h.get("kind") == "rolled_back":
            break
        if time.monotonic() > deadline:
            fail(f"the hub did not report the rollback: {s}")
        time.sleep(2)
    if h.get("version") != "3":
        fail(f"the rollback is reported for version {h.get('version')}: {s}")
    if slot(s, "A").get("boot_status") != "bad":
        fail(f"slot A (v3) is not marked bad after the rollback: {s}")
    message_kept("the rollback")
    step(f"v3 was tried in slot A and rolled back to slot B (version 2) in"
         f" {FIGURES['reboot_to_rolled_back_s']} s; the hub reports it")

    # --- refusals ---------------------------------------------------------------------------
    for name, path, reason in (
        ("foreign", args.foreign, r"signature|certificate|verif"),
        # A verity bundle's signature covers the payload's hash tree, not each byte: a flipped
        # payload byte passes the signature check and is caught by dm-verity while RAUC
        # reads the payload into the other slot, which fails with EIO ("Input/output
        # error"); that slot is never activated.
        ("flipped", args.flipped, r"corrupt|verif|hash|Input/output error"),
    ):
        step(f"uploading the {name} bundle")
        s = upload(http, path, mins(600))
        op = s.get("operation") or {}
        h = (s.get("history") or [{}])[0]
        if op.get("phase") != "failed" or h.get("kind") != "refused":
            fail(f"the {name} bundle was not refused: {s}")
        if not re.search(reason, op.get("message") or "", re.I):
            fail(f"the {name} bundle was refused without a reason that says why: {op}")
        if s.get("next_boot") != "B" or s.get("booted") != "B":
            fail(f"after refusing the {name} bundle the next boot is not B: {s}")
        if slot(s, "A").get("boot_status") == "good":
            fail(f"after refusing the {name} bundle slot A may be booted: {s}")
        step(f"refused: {op.get('message')}")

    _, out = vm.agent.run("grub-editenv /boot/efi/EFI/BOOT/grubenv list | tr '\\n' ' '")
    step(f"GRUB's environment at the end: {out.strip()}")
    vm.agent.try_run("systemctl poweroff", timeout=10)


if __name__ == "__main__":
    main()
