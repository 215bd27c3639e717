"""The owner's customer backend for the identification test: GET ?id=cust-42 answers the
customer's details as JSON, any other id 404. Prints "listening PORT", then one line per
request with the id asked for."""
import json
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

CUSTOMERS = {"cust-42": {"tier": "gold", "stays": 3, "email": "maria@example.org"}}


class Details(BaseHTTPRequestHandler):
    def do_GET(self):
        wanted = parse_qs(urlparse(self.path).query).get("id", [""])[0]
        print(json.dumps({"id": wanted}), flush=True)
        found = CUSTOMERS.get(wanted)
        self.send_response(200 if found else 404)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(found or {"error": "unknown"}).encode())

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Details)
print(f"listening {server.server_address[1]}", flush=True)
server.timeout = 1
deadline = time.time() + 120
while time.time() < deadline:
    server.handle_request()
