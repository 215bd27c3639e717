"""python-miio's own miIO device simulator (0.6.0.dev0, `miiocli devtools miio-simulator`)
with the zhimi fan description that ships in the package, all-zero token. python-miio
binds it to UDP 54321 on all interfaces; here it takes a free port from the OS instead,
so that nothing else (another test run, a real device's port) can be in the way, and says
which once it holds it: "listening PORT"."""
import os
import sys

import miio
from miio.devtools.simulators.miiosimulator import miio_simulator
from miio.push_server import server as push_server

push_server.SERVER_PORT = 0
start = push_server.PushServer.start


async def start_and_say_where(self):
    transport, protocol = await start(self)
    print("listening", transport.get_extra_info("sockname")[1], flush=True)
    return transport, protocol


push_server.PushServer.start = start_and_say_where

desc = os.path.join(os.path.dirname(miio.__file__), "integrations/zhimi/fan/zhimi_fan.yaml")
sys.argv = ["miio-simulator", "--file", desc, "--model", "zhimi.fan.za4"]
miio_simulator()
