"""Drives a hub in `run` mode from inside its network namespace: sets up the owner with
the one-time code, grants Tuya keys, asks the hub to discover Tuya, miIO and eWeLink
devices on its LAN, imports the Tuya one and switches it on.

Usage: hub_lan_discover.py BASE_URL SETUP_CODE TUYA_ID TUYA_KEY
BASE_URL is the hub's HTTPS address: the session cookie is Secure, and Python's cookie jar
returns such a cookie over HTTPS only. The hub's certificate is its own CA's, not checked.
Prints `found BRAND [...]` per brand and `switched {...}`.
"""
import http.cookiejar
import json
import ssl
import sys
import urllib.request

base, code, tuya_id, tuya_key = sys.argv[1:5]
opener = urllib.request.build_opener(
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
    urllib.request.HTTPSHandler(context=ssl._create_unverified_context()),
)


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"content-type": "application/json"} if data else {})
    with opener.open(req, timeout=30) as r:
        text = r.read()
        return json.loads(text) if text else None


call("POST", "/api/v1/setup", {"code": code, "name": "Olivia Owner", "email": "owner@lan.test",
                               "password": "a long enough password 42"})
call("PUT", "/api/v1/admin/device-grants/tuya", {"keys": {tuya_id: tuya_key}})
found = {}
for brand in ["tuya", "miio", "ewelink"]:
    found[brand] = call("POST", "/api/v1/admin/devices/discover", {"brand": brand})
    print(f"found {brand} " + json.dumps(found[brand]), flush=True)
tuya = next(f for f in found["tuya"] if f["native_id"] == tuya_id)
added = call("POST", "/api/v1/admin/devices/import", {"brand": "tuya", "items": [{
    "native_id": tuya_id, "address": tuya["address"], "settings": tuya["settings"], "kind": "switch", "name": "LAN plug"}]})
dev_id = added[0]["id"]
for _ in range(100):
    if any(d["id"] == dev_id and d["online"] for d in call("GET", "/api/v1/devices")):
        break
    import time
    time.sleep(0.1)
print("switched " + json.dumps(call("POST", f"/api/v1/devices/{dev_id}/command", {"on": True})), flush=True)
