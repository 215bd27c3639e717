"""tinytuya calling a Tuya device directly, for the device benchmark: N switch commands
on one persistent connection, each waiting for the device's reply; prints the latencies'
p50 and p99 in milliseconds as one JSON line.
Usage: tinytuya_bench.py PORT VERSION DEV_ID LOCAL_KEY N"""
import json
import sys
import time

import tinytuya

port, version, dev_id, key, n = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
d = tinytuya.OutletDevice(dev_id, "127.0.0.1", key, version=version, port=port)
d.set_socketPersistent(True)
d.status()
times = []
for i in range(n):
    start = time.perf_counter()
    reply = d.set_status(i % 2 == 0, 1)
    times.append((time.perf_counter() - start) * 1000)
    if not reply or "dps" not in reply:
        print("error " + json.dumps(reply), flush=True)
        sys.exit(1)
times.sort()
print("result " + json.dumps({"p50": times[len(times) // 2], "p99": times[int(len(times) * 0.99)]}), flush=True)
