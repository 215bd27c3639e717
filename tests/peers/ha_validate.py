"""Validates MQTT discovery messages with Home Assistant's own code (the `homeassistant`
package's MQTT integration): the topic must match its discovery topic pattern, the
origin its origin schema, and the payload the platform's DISCOVERY_SCHEMA, exactly as
HA's discovery handler applies them.

Usage: ha_validate.py < lines of `{"topic": …, "payload": "<json text>"}`
Prints `valid TOPIC` or `invalid TOPIC: reason` per line, then `done`.
"""
import asyncio
import json
import sys
import tempfile

import homeassistant.bootstrap  # noqa: F401  (imports HA's modules in the order HA itself does)
from homeassistant.components.mqtt import climate, light, lock, sensor, switch
from homeassistant.components.mqtt.discovery import MQTT_ORIGIN_INFO_SCHEMA, TOPIC_MATCHER
from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame

PLATFORMS = {"switch": switch, "light": light, "climate": climate, "lock": lock, "sensor": sensor}
PREFIX = "homeassistant/"

def validate(line: str) -> None:
    msg = json.loads(line)
    topic = msg["topic"]
    try:
        match = TOPIC_MATCHER.match(topic[len(PREFIX):]) if topic.startswith(PREFIX) else None
        if not match:
            raise ValueError("the topic is not a discovery topic")
        component = match.group("component")
        payload = json.loads(msg["payload"])
        if "origin" in payload:
            MQTT_ORIGIN_INFO_SCHEMA(payload["origin"])
        payload["platform"] = "mqtt"
        PLATFORMS[component].DISCOVERY_SCHEMA(payload)
        print(f"valid {topic}", flush=True)
    except Exception as e:  # noqa: BLE001 - report every failure as a line
        print(f"invalid {topic}: {e}", flush=True)


async def main() -> None:
    # Releases from 2024.11 on report deprecated usage through the frame helper, which
    # needs a Home Assistant instance to exist (templates check it when they are made).
    if hasattr(frame, "async_setup"):
        frame.async_setup(HomeAssistant(tempfile.mkdtemp()))
    for line in sys.stdin:
        if line.strip():
            validate(line.strip())
    print("done", flush=True)


asyncio.run(main())
