"""Publishes a field case's MQTT messages as the device would, in a chosen order: one
line each, `topic<TAB>retain|noretain<TAB>payload` (lines starting with # are notes).

Usage: mqtt_replay.py PORT USER PASSWORD FILE ORDER
ORDER is the messages' numbers from 0, comma-separated ("3,1,0,2"), or "file".
Prints `published N`, then stays connected until stdin closes.
"""
import sys

import paho.mqtt.client as mqtt

port, user, password, path, order = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
with open(path, encoding="utf-8") as f:
    lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
messages = [l.split("\t", 2) for l in lines]
picked = range(len(messages)) if order == "file" else [int(i) for i in order.split(",")]

client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="replay-" + user)
client.username_pw_set(user, password)
client.connect("127.0.0.1", port, keepalive=30)
client.loop_start()
for i in picked:
    topic, retain, payload = messages[i]
    client.publish(topic, payload, qos=1, retain=retain == "retain").wait_for_publish(10)
print(f"published {len(picked)}", flush=True)
sys.stdin.read()
client.loop_stop()
client.disconnect()
