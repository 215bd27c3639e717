"""A third-party MQTT client (paho-mqtt) against the hub's embedded broker.

Connects with device credentials, reads the hub's retained status, publishes and receives
its own message, and checks that wrong credentials are refused. Exits non-zero on failure.
"""
import argparse
import sys
import threading

import paho.mqtt.client as mqtt


def connect(host, port, user, password, timeout=10):
    result = {}
    done = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"paho-{user}")
    client.username_pw_set(user, password)

    def on_connect(_c, _u, _flags, reason, _props):
        result["reason"] = reason
        done.set()

    client.on_connect = on_connect
    client.connect(host, port, keepalive=30)
    client.loop_start()
    done.wait(timeout)
    return client, result.get("reason")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    a = p.parse_args()

    client, reason = connect(a.host, a.port, a.user, a.password)
    if reason is None or reason.is_failure:
        sys.exit(f"paho could not connect with good credentials: {reason}")
    received = {}
    got = threading.Event()

    def on_message(_c, _u, msg):
        received[msg.topic] = msg.payload.decode()
        if "test/paho" in received and "hub/status" in received:
            got.set()

    client.on_message = on_message
    client.subscribe([("hub/status", 1), ("test/#", 1)])
    # Give the subscription a moment to land before publishing to ourselves.
    threading.Event().wait(0.5)
    client.publish("test/paho", "hello from paho", qos=1).wait_for_publish(10)
    if not got.wait(10):
        sys.exit(f"paho did not receive everything: {received}")
    if '"online"' not in received["hub/status"]:
        sys.exit(f"unexpected hub status: {received['hub/status']}")
    client.loop_stop()
    client.disconnect()

    bad, reason = connect(a.host, a.port, a.user, a.password + "x", timeout=5)
    bad.loop_stop()
    if reason is not None and not reason.is_failure:
        sys.exit("the broker accepted a wrong password")
    print("paho interop ok")


if __name__ == "__main__":
    main()
