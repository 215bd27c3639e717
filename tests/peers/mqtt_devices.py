"""paho-mqtt publishing exactly what a Tasmota plug, a Zigbee2MQTT bridge with a bulb and
a Shelly Plus 1 publish, and answering commands as they do.

Usage: mqtt_devices.py PORT USER PASSWORD
Prints "ready" once all three are connected and subscribed, "got TOPIC PAYLOAD" for each
command received; stdin "bridge offline|online" flips Zigbee2MQTT's bridge state.
"""
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt

port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
TASMOTA, BULB, SHELLY = "tasmota_1A2B3C", "hall_bulb", "shellyplus1-a8032ab12345"
lock = threading.Lock()
subscribed = threading.Barrier(4)


def client(name, will_topic, will_payload):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name)
    c.username_pw_set(user, password)
    c.will_set(will_topic, will_payload, qos=1, retain=True)
    return c


def say(text):
    with lock:
        print(text, flush=True)


# Tasmota: LWT, its own discovery, telemetry; cmnd/<topic>/POWER answered on stat/.
tasmota = client("DVES_1A2B3C", f"tele/{TASMOTA}/LWT", "Offline")
tas_power = {"POWER": "OFF"}


def tasmota_connect(c, *_):
    c.subscribe(f"cmnd/{TASMOTA}/#", qos=1)
    c.publish(f"tele/{TASMOTA}/LWT", "Online", qos=1, retain=True)
    c.publish("tasmota/discovery/DC4F221A2B3C/config", json.dumps({
        "ip": "192.168.1.40", "dn": "Bar fridge plug", "fn": ["Bar fridge plug"], "hn": "tasmota-1A2B3C",
        "mac": "DC4F221A2B3C", "md": "Sonoff Basic", "t": TASMOTA, "ft": "%prefix%/%topic%/",
        "tp": ["cmnd", "stat", "tele"], "rl": [1, 0, 0, 0, 0, 0, 0, 0], "lt_st": 0, "sw": "13.2.0"}), qos=1, retain=True)
    c.publish(f"tele/{TASMOTA}/STATE", json.dumps({"Time": "2026-11-22T10:00:00", "Uptime": "0T00:01:00",
                                                  "UptimeSec": 60, "POWER": tas_power["POWER"]}), qos=1)


def tasmota_message(c, _, msg):
    say(f"got {msg.topic} {msg.payload.decode()}")
    if msg.topic.endswith("/POWER") and msg.payload.decode() in ("ON", "OFF"):
        tas_power["POWER"] = msg.payload.decode()
        c.publish(f"stat/{TASMOTA}/RESULT", json.dumps(tas_power), qos=1)
        c.publish(f"stat/{TASMOTA}/POWER", tas_power["POWER"], qos=1)


# Zigbee2MQTT: bridge state (JSON, as since 2.0), the retained device list, bulb state.
z2m = client("zigbee2mqtt_bridge", "zigbee2mqtt/bridge/state", json.dumps({"state": "offline"}))
bulb = {"state": "OFF", "brightness": 100, "linkquality": 120}


def z2m_connect(c, *_):
    c.subscribe("zigbee2mqtt/+/set", qos=1)
    c.publish("zigbee2mqtt/bridge/state", json.dumps({"state": "online"}), qos=1, retain=True)
    c.publish("zigbee2mqtt/bridge/devices", json.dumps([
        {"ieee_address": "0x00124b0000000001", "type": "Coordinator", "friendly_name": "Coordinator",
         "supported": False, "definition": None, "interview_completed": True},
        {"ieee_address": "0x0017880100000002", "type": "Router", "friendly_name": BULB, "supported": True,
         "power_source": "Mains (single phase)", "interview_completed": True,
         "definition": {"model": "9290012573A", "vendor": "Philips", "description": "Hue white E27",
                        "exposes": [{"type": "light", "features": [
                            {"type": "binary", "name": "state", "property": "state", "value_on": "ON", "value_off": "OFF"},
                            {"type": "numeric", "name": "brightness", "property": "brightness", "value_min": 0, "value_max": 254}]},
                            {"type": "numeric", "name": "linkquality", "property": "linkquality"}]}},
    ]), qos=1, retain=True)
    c.publish(f"zigbee2mqtt/{BULB}", json.dumps(bulb), qos=1, retain=True)


def z2m_message(c, _, msg):
    say(f"got {msg.topic} {msg.payload.decode()}")
    try:
        bulb.update(json.loads(msg.payload))
    except ValueError:
        return
    c.publish(f"zigbee2mqtt/{BULB}", json.dumps(bulb), qos=1, retain=True)


# Shelly Plus 1 (Gen2): online flag, status_ntf, JSON-RPC on <prefix>/rpc.
shelly = client(SHELLY, f"{SHELLY}/online", "false")
relay = {"id": 0, "source": "init", "output": False, "apower": 0.0}


def shelly_connect(c, *_):
    c.subscribe(f"{SHELLY}/rpc", qos=1)
    c.publish(f"{SHELLY}/online", "true", qos=1, retain=True)
    c.publish(f"{SHELLY}/status/switch:0", json.dumps(relay), qos=1)


def shelly_message(c, _, msg):
    say(f"got {msg.topic} {msg.payload.decode()}")
    req = json.loads(msg.payload)
    if req.get("method") == "Switch.Set":
        was_on = relay["output"]
        relay["output"] = bool(req["params"]["on"])
        relay["source"] = "MQTT"
        c.publish(f"{req['src']}/rpc", json.dumps({"id": req["id"], "src": SHELLY, "dst": req["src"],
                                                  "result": {"was_on": was_on}}), qos=1)
        c.publish(f"{SHELLY}/events/rpc", json.dumps({"src": SHELLY, "dst": f"{SHELLY}/events", "method": "NotifyStatus",
                                                     "params": {"ts": time.time(), "switch:0": {"id": 0, "output": relay["output"]}}}), qos=1)


for c, on_connect, on_message in [(tasmota, tasmota_connect, tasmota_message), (z2m, z2m_connect, z2m_message),
                                  (shelly, shelly_connect, shelly_message)]:
    c.on_connect = on_connect
    c.on_message = on_message
    c.on_subscribe = lambda *_: subscribed.wait(10)
    c.connect("127.0.0.1", port, keepalive=30)
    c.loop_start()
subscribed.wait(10)
say("ready")
for line in sys.stdin:
    words = line.split()
    if words[:1] == ["bridge"] and len(words) == 2:
        z2m.publish("zigbee2mqtt/bridge/state", json.dumps({"state": words[1]}), qos=1, retain=True)
        say(f"bridge {words[1]}")
