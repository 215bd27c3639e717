"""A paho-mqtt client spoken to in lines, for device tests: prints every message it
receives as `msg {"topic", "payload", "retain"}` and publishes what it is told.

Usage: mqtt_line.py PORT USER PASSWORD FILTER [FILTER ...]
stdin: `pub TOPIC PAYLOAD` (PAYLOAD may contain spaces), `pubr TOPIC PAYLOAD` (retained).
"""
import json
import sys
import threading

import paho.mqtt.client as mqtt

port, user, password, filters = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
lock = threading.Lock()


def say(text):
    # paho's network thread and the stdin loop both print: one line at a time.
    with lock:
        print(text, flush=True)


def on_connect(client, userdata, flags, reason, properties):
    for f in filters:
        client.subscribe(f, qos=1)


def on_subscribe(client, userdata, mid, reasons, properties):
    say("subscribed")


def on_message(client, userdata, msg):
    say("msg " + json.dumps({"topic": msg.topic, "payload": msg.payload.decode("utf-8", "replace"),
                             "retain": bool(msg.retain)}))


client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="line-" + str(port) + "-" + user)
client.username_pw_set(user, password)
client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.connect("127.0.0.1", port, keepalive=30)
client.loop_start()
for line in sys.stdin:
    parts = line.rstrip("\n").split(" ", 2)
    if len(parts) == 3 and parts[0] in ("pub", "pubr"):
        client.publish(parts[1], parts[2], qos=1, retain=parts[0] == "pubr").wait_for_publish(5)
        say("published " + parts[1])
client.loop_stop()
