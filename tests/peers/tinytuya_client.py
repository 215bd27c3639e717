"""tinytuya, the reference Tuya client, driving a device: reads the status, switches
data point 1 on, and prints both replies as one JSON line.

Usage: tinytuya_client.py PORT VERSION DEV_ID LOCAL_KEY
"""
import json
import sys

import tinytuya

port, version, dev_id, key = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
d = tinytuya.OutletDevice(dev_id, "127.0.0.1", key, version=version, port=port)
d.set_socketTimeout(5)
d.set_socketRetryLimit(1)
status = d.status()
switched = d.set_status(True, 1)
print("result " + json.dumps({"status": status, "set": switched}), flush=True)
