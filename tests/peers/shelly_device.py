"""A Shelly Gen2 device on MQTT, as its firmware behaves: `<prefix>/online` as its last
will (false) and retained true, then a field case's messages in file order
(`topic<TAB>retain|noretain<TAB>payload`), then it obeys `Switch.Set` on `<prefix>/rpc`:
the RPC answer on `<src>/rpc` and a `NotifyStatus` for that switch on
`<prefix>/events/rpc` (Shelly Gen2 API, "RPC over MQTT" and "Notifications").
Prints `published N`, then `got PAYLOAD` per request; stays connected until stdin closes.

Usage: shelly_device.py PORT USER PASSWORD FILE
"""
import json
import sys

import paho.mqtt.client as mqtt

port, user, password, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(path, encoding="utf-8") as f:
    messages = [l.rstrip("\n").split("\t", 2) for l in f if l.strip() and not l.startswith("#")]
prefix = messages[0][0].split("/")[0]


def on_message(client, userdata, msg):
    text = msg.payload.decode()
    print(f"got {text}", flush=True)
    request = json.loads(text)
    if request.get("method") != "Switch.Set":
        return
    channel, on = request["params"]["id"], request["params"]["on"]
    answer = {"id": request["id"], "src": prefix, "dst": request["src"], "result": {"was_on": not on}}
    client.publish(f"{request['src']}/rpc", json.dumps(answer), qos=1)
    notify = {"src": prefix, "dst": f"{prefix}/events", "method": "NotifyStatus",
              "params": {"ts": 1709223500.0, f"switch:{channel}": {"id": channel, "output": on, "source": "MQTT"}}}
    client.publish(f"{prefix}/events/rpc", json.dumps(notify), qos=1)


client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=prefix)
client.username_pw_set(user, password)
client.will_set(f"{prefix}/online", "false", qos=1, retain=True)
client.on_message = on_message
client.connect("127.0.0.1", port, keepalive=30)
client.loop_start()
client.subscribe(f"{prefix}/rpc", qos=1)
for topic, retain, payload in messages:
    client.publish(topic, payload, qos=1, retain=retain == "retain").wait_for_publish(10)
print(f"published {len(messages)}", flush=True)
sys.stdin.read()
client.loop_stop()
client.disconnect()
