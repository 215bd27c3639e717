"""A local stand-in for the SmartThings REST API (api.smartthings.com), serving payloads
shaped like the documented API and pysmartthings' fixtures: /v1/devices (paged),
/v1/devices/{id}/status, /health and /commands, with bearer-token checks, asynchronous
command effects and 422 ConstraintViolationError for bad arguments.

Usage: smartthings_server.py TOKEN   prints "listening PORT", then "command {...}" lines.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = sys.argv[1]
LOCATION = "88a3a314-f0c8-40b4-bb44-44ba06c9c42f"
DEVICES = {
    "440063de-a200-40b5-8a6b-f3399eaa0370": {
        "label": "Lobby dimmer", "name": "virtual-dimmer", "caps": ["switch", "switchLevel", "healthCheck", "refresh"],
        "status": {"switch": {"switch": {"value": "off", "timestamp": "2025-02-05T13:58:20.309Z"}},
                   "switchLevel": {"levelRange": {"value": None}, "level": {"value": 75, "unit": "%", "timestamp": "2024-09-28T05:40:18.784Z"}},
                   "refresh": {}}},
    "cb958955-b015-498c-9e62-fc0c51abd054": {
        "label": "Terrace heater", "name": "c2c-switch", "caps": ["switch", "healthCheck"],
        "status": {"switch": {"switch": {"value": "on", "timestamp": "2025-02-05T13:58:20.309Z"}}}},
}
lock = threading.Lock()


def item(dev_id, d):
    return {"deviceId": dev_id, "name": d["name"], "label": d["label"], "manufacturerName": "SmartThings",
            "locationId": LOCATION, "ownerId": "12d4af93-cb68-b108-87f5-625437d7371f",
            "components": [{"id": "main", "label": "main", "capabilities": [{"id": c, "version": 1} for c in d["caps"]],
                            "categories": [{"name": "Light", "categoryType": "manufacturer"}]}],
            "createTime": "2023-12-17T18:11:41.453Z", "type": "VIPER", "restrictionTier": 0, "allowed": [],
            "executionContext": "CLOUD"}


def apply_later(dev, cmd):
    # Commands are accepted at once and take effect a moment later, as in the cloud.
    time.sleep(0.2)
    with lock:
        st = dev["status"]
        if cmd["capability"] == "switch":
            st["switch"]["switch"]["value"] = cmd["command"]
        elif cmd["capability"] == "switchLevel":
            st["switchLevel"]["level"]["value"] = cmd["arguments"][0]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorised(self):
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.reply(401, {"requestId": "1", "error": {"code": "UnauthorizedError", "message": "Unauthorized"}})
            return False
        return True

    def do_GET(self):
        if not self.authorised():
            return
        parts = self.path.split("?")[0].strip("/").split("/")
        base = f"http://127.0.0.1:{self.server.server_port}"
        if parts == ["v1", "devices"]:
            ids = list(DEVICES)
            if "page=2" in self.path:
                return self.reply(200, {"items": [item(ids[1], DEVICES[ids[1]])], "_links": {}})
            return self.reply(200, {"items": [item(ids[0], DEVICES[ids[0]])],
                                    "_links": {"next": {"href": f"{base}/v1/devices?page=2"}}})
        if len(parts) == 4 and parts[:2] == ["v1", "devices"] and parts[2] in DEVICES:
            dev = DEVICES[parts[2]]
            if parts[3] == "status":
                with lock:
                    return self.reply(200, {"components": {"main": dev["status"]}})
            if parts[3] == "health":
                return self.reply(200, {"deviceId": parts[2], "state": "ONLINE", "lastUpdatedDate": "2025-04-28T11:43:31.600Z"})
        self.reply(404, {"requestId": "2", "error": {"code": "NotFoundError", "message": "not found"}})

    def do_POST(self):
        if not self.authorised():
            return
        parts = self.path.strip("/").split("/")
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if len(parts) == 4 and parts[3] == "commands" and parts[2] in DEVICES:
            print("command " + json.dumps(body), flush=True)
            for i, cmd in enumerate(body.get("commands", [])):
                if cmd.get("capability") == "switchLevel" and not 0 <= cmd.get("arguments", [0])[0] <= 100:
                    return self.reply(422, {"requestId": "3", "error": {"code": "ConstraintViolationError",
                                      "message": "The request is malformed.", "details": [
                                          {"code": "NumberRangeError", "target": f"commands[{i}].arguments[0]",
                                           "message": "value out of range", "details": []}]}})
            for cmd in body.get("commands", []):
                threading.Thread(target=apply_later, args=(DEVICES[parts[2]], cmd)).start()
            return self.reply(200, {"results": [{"id": "2b7e0b2f", "status": "ACCEPTED"} for _ in body.get("commands", [])]})
        self.reply(404, {"requestId": "4", "error": {"code": "NotFoundError", "message": "not found"}})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening {server.server_port}", flush=True)
server.serve_forever()
