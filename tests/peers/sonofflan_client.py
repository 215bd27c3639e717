"""sonofflan (PyPI), an eWeLink LAN client: finds a device by mDNS, switches it on, and
waits for the device's re-announcement that shows it on.
Usage: sonofflan_client.py DEVICE_ID [DEVICEKEY]   (no key: DIY mode)"""
import asyncio
import json
import sys

from sonofflan.browser import Browser
from sonofflan.config import DevicesConfig

dev_id = sys.argv[1]
key = sys.argv[2] if len(sys.argv) > 2 else ""


async def main():
    config = DevicesConfig([{"id": dev_id, "key": key}] if key else [{"id": dev_id}])
    browser = Browser(config)
    event = await asyncio.wait_for(browser.wait_event(), 30)
    before = event.device.status
    encrypted = event.device.encrypt
    browser.devices[dev_id].on()
    while True:
        event = await asyncio.wait_for(browser.wait_event(), 30)
        if event.device.status:
            break
    print("result " + json.dumps({"before": before, "after": event.device.status, "encrypt": encrypted}), flush=True)
    await browser.shutdown()


asyncio.run(main())
