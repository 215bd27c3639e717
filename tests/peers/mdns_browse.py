"""Browses _hotelhub._tcp with python-zeroconf and prints what it resolves.

Prints one line `found name=… port=… addresses=… txt=…` per service and exits 0 once one
is found, or exits 1 after the timeout.
"""
import argparse
import sys
import time

from zeroconf import ServiceBrowser, Zeroconf

TYPE = "_hotelhub._tcp.local."


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=15)
    a = p.parse_args()
    zc = Zeroconf()
    found = []

    class Listener:
        def add_service(self, zc, type_, name):
            info = zc.get_service_info(type_, name, timeout=3000)
            if info:
                txt = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
                found.append(f"found name={name} port={info.port} server={info.server} "
                             f"addresses={info.parsed_addresses()} txt={txt}")

        def update_service(self, *args):
            pass

        def remove_service(self, *args):
            pass

    ServiceBrowser(zc, TYPE, Listener())
    deadline = time.time() + a.timeout
    while time.time() < deadline and not found:
        time.sleep(0.2)
    zc.close()
    for line in found:
        print(line)
    sys.exit(0 if found else 1)


if __name__ == "__main__":
    main()
