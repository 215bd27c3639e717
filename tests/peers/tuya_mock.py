"""A tuyamock device (PyPI `tuyamock`, built on tinytuya's own framing) for our client.

Usage: tuya_mock.py VERSION LOCAL_KEY DEV_ID DPS_JSON [dev22]
(dev22: the "device22" dialect, which refuses the standard status query)
Prints "listening PORT", then reads commands on stdin:
  push {"1": false}   the device reports a change by itself
  dps                 prints "dps {...}" (the device's live data points)
"""
import json
import sys

import tuyamock

version, key, dev_id, dps = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
dev22 = sys.argv[5:6] == ["dev22"]
mock = tuyamock.MockDevice(local_key=key, version=version, dps=dps, gw_id=dev_id, port=0, dev22=dev22)
mock.start()
print(f"listening {mock.port}", flush=True)
for line in sys.stdin:
    line = line.strip()
    if line.startswith("push "):
        changes = json.loads(line[5:])
        mock.dps.update(changes)
        print(f"pushed {mock.push(changes)}", flush=True)
    elif line == "dps":
        print("dps " + json.dumps(mock.dps), flush=True)
mock.stop()
