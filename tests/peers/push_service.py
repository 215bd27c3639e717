"""A local stand-in for a Web Push service (RFC 8030), holding the browser's side too.

It makes a browser's P-256 key pair and auth secret (what `pushManager.subscribe` would),
prints the subscription as one `subscription {json}` line for each path given, then takes
pushes: for each POST it checks the VAPID authorization (RFC 8292: `vapid t=<JWT>, k=<key>`,
an ES256 signature by k, `aud`, `exp` within 24 h, a `sub`), decrypts the aes128gcm body
(RFC 8291) with the browser's keys, and prints `push PATH {json}` (or `bad PATH why`).
A path named `gone` answers 410, as a push service does for an expired subscription.

Usage: push_service.py PATH... ; stops after 120 s.
"""
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


browser_key = ec.generate_private_key(ec.SECP256R1())
auth_secret = bytes(range(16))
browser_public = browser_key.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
)


def check_vapid(header, origin):
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        return "not a vapid authorization"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    token, key = fields["t"], fields["k"]
    head, claims, sig = token.split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    raw = b64d(sig)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "the JWT signature does not verify"
    if json.loads(b64d(head)).get("alg") != "ES256":
        return "not ES256"
    c = json.loads(b64d(claims))
    # The audience is the push resource's origin; the hub's library leaves the port out.
    if not origin.startswith(c.get("aud", "")) or not c.get("aud", "").startswith("http"):
        return f"aud {c.get('aud')} is not {origin}"
    if not (time.time() < c.get("exp", 0) <= time.time() + 24 * 3600):
        return f"exp {c.get('exp')} is not within 24 h"
    if not c.get("sub"):
        return "no sub"
    return None, key


SAY = threading.Lock()


def say(line):
    """One whole line at a time: the server's threads would interleave print's two writes."""
    with SAY:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        path = self.path.rsplit("/", 1)[-1]
        if path == "gone":
            self.send_response(410)
            self.end_headers()
            say(f"gone {path}")
            return
        origin = f"http://{self.headers.get('host')}"
        verdict = check_vapid(self.headers.get("authorization", ""), origin)
        if isinstance(verdict, str):
            say(f"bad {path} {verdict}")
            self.send_response(403)
            self.end_headers()
            return
        if self.headers.get("content-encoding") != "aes128gcm":
            say(f"bad {path} content-encoding {self.headers.get('content-encoding')}")
            self.send_response(400)
            self.end_headers()
            return
        plain = http_ece.decrypt(body, private_key=browser_key, auth_secret=auth_secret, version="aes128gcm")
        say(f"push {path} key={verdict[1]} ttl={self.headers.get('ttl')} {plain.decode()}")
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
port = server.server_address[1]
for name in sys.argv[1:]:
    sub = {"endpoint": f"http://127.0.0.1:{port}/push/{name}",
           "keys": {"p256dh": b64e(browser_public), "auth": b64e(auth_secret)}}
    say("subscription " + json.dumps(sub))
threading.Timer(120, server.shutdown).start()
server.serve_forever()
