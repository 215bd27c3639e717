"""python-miio's client driving a device: reads `power`, switches it on, reads it again,
and prints the replies as one JSON line. Usage: miio_client.py IP TOKEN"""
import json
import sys

import miio

dev = miio.Device(sys.argv[1], sys.argv[2], timeout=3)
before = dev.send("get_prop", ["power", "bright"])
switched = dev.send("set_power", ["on"])
after = dev.send("get_prop", ["power", "bright"])
info = dev.send("miIO.info", [])
print("result " + json.dumps({"before": before, "set": switched, "after": after, "model": info.get("model")}), flush=True)
