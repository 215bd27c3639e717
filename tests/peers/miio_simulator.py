"""python-miio's own miIO device simulator (0.6.0.dev0, `miiocli devtools miio-simulator`)
with the zhimi fan description that ships in the package. It binds UDP 54321 on all
interfaces with the all-zero token; tests talk to it on 127.0.0.1 only."""
import os
import sys

import miio
from miio.devtools.simulators.miiosimulator import miio_simulator

desc = os.path.join(os.path.dirname(miio.__file__), "integrations/zhimi/fan/zhimi_fan.yaml")
print("listening 54321", flush=True)
sys.argv = ["miio-simulator", "--file", desc, "--model", "zhimi.fan.za4"]
miio_simulator()
