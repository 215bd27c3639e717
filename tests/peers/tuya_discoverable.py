"""A tuyamock device that answers discovery probes (UDP 7000) on every interface.
Usage: tuya_discoverable.py VERSION LOCAL_KEY DEV_ID IP"""
import sys

import tuyamock

version, key, dev_id, ip = sys.argv[1:5]
mock = tuyamock.MockDevice(local_key=key, version=version, gw_id=dev_id, host="0.0.0.0", port=0,
                           discovery=True, discovery_addr=ip)
mock.start()
print(f"listening {mock.port}", flush=True)
sys.stdin.read()
mock.stop()
