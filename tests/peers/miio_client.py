"""python-miio's client driving a device: reads `power`, switches it on, reads it again,
and prints the replies as one JSON line. Usage: miio_client.py IP PORT TOKEN

python-miio sends everything (its hello too) to UDP 54321; the device under test took a
free port from the OS instead, so this client's datagrams go to PORT."""
import json
import socket
import sys
import types

import miio
from miio import miioprotocol

ip, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class ToPort(socket.socket):
    def sendto(self, data, address):
        return super().sendto(data, (address[0], port))


miioprotocol.socket = types.SimpleNamespace(**{**vars(socket), "socket": ToPort})

dev = miio.Device(ip, token, timeout=3)
before = dev.send("get_prop", ["power", "bright"])
switched = dev.send("set_power", ["on"])
after = dev.send("get_prop", ["power", "bright"])
info = dev.send("miIO.info", [])
print("result " + json.dumps({"before": before, "set": switched, "after": after, "model": info.get("model")}), flush=True)
