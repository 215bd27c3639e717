"""A Zigbee2MQTT bridge as the real one connects: a last will that says the bridge went
offline, `bridge/state` online (retained), then `bridge/devices` (retained) published
byte for byte from a file. With a state file, that state is the (last listed) device's,
and the bridge answers each `…/set` as Zigbee2MQTT does: the new state on the device's
topic. Prints `published`, `got TOPIC PAYLOAD` per command, and `disconnected RC` if the
broker drops it; stays connected until stdin closes.

Usage: z2m_bridge.py PORT USER PASSWORD DEVICES_FILE [STATE_FILE]
"""
import json
import sys

import paho.mqtt.client as mqtt

port, user, password, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(path, "rb") as f:
    devices = f.read()
state = None
if len(sys.argv) > 5:
    with open(sys.argv[5], encoding="utf-8") as f:
        state = json.load(f)
    listed = [d for d in json.loads(devices) if d.get("type") != "Coordinator"]
    device = listed[-1]["friendly_name"]


sent = {}


def on_connect(client, userdata, flags, reason, properties):
    client.subscribe("zigbee2mqtt/+/set", qos=1)
    client.publish("zigbee2mqtt/bridge/state", '{"state":"online"}', qos=1, retain=True)
    # Callbacks run on paho's network thread: waiting for an ack here would block it.
    sent["devices"] = client.publish("zigbee2mqtt/bridge/devices", devices, qos=1, retain=True).mid
    if state is not None:
        client.publish(f"zigbee2mqtt/{device}", json.dumps(state), qos=1, retain=True)


def on_publish(client, userdata, mid, reason, properties):
    if mid == sent.get("devices"):
        print(f"published {len(devices)}", flush=True)


def on_message(client, userdata, msg):
    print(f"got {msg.topic} {msg.payload.decode()}", flush=True)
    if state is not None and msg.topic == f"zigbee2mqtt/{device}/set":
        state.update(json.loads(msg.payload))
        client.publish(f"zigbee2mqtt/{device}", json.dumps(state), qos=1, retain=True)


def on_disconnect(client, userdata, flags, reason, properties):
    print(f"disconnected {reason}", flush=True)


client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="zigbee2mqtt-bridge")
client.username_pw_set(user, password)
client.will_set("zigbee2mqtt/bridge/state", '{"state":"offline"}', qos=1, retain=True)
client.on_connect = on_connect
client.on_publish = on_publish
client.on_message = on_message
client.on_disconnect = on_disconnect
client.connect("127.0.0.1", port, keepalive=30)
client.loop_start()
sys.stdin.read()
client.loop_stop()
client.disconnect()
