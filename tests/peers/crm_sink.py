"""A CRM's webhook endpoint on loopback: checks X-Hub-Signature (HMAC-SHA256 of
"<X-Hub-Timestamp>.<body>" under the shared secret, argv[1]) and the timestamp's age,
answers 204 or 401, and prints one JSON line per request: {"ok": bool, "body": ...}."""
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = sys.argv[1].encode()


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        stamp = self.headers.get("x-hub-timestamp", "")
        given = self.headers.get("x-hub-signature", "")
        expected = "sha256=" + hmac.new(SECRET, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 300
        ok = fresh and hmac.compare_digest(given, expected)
        self.send_response(204 if ok else 401)
        self.end_headers()
        print(json.dumps({"ok": ok, "body": json.loads(body) if ok else None}), flush=True)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Hook)
print(f"listening {server.server_address[1]}", flush=True)
server.timeout = 1
deadline = time.time() + 120
while time.time() < deadline:
    server.handle_request()
