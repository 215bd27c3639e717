"""Writes a small GeoIP2-City-shaped database for the visitor-card test: 127.0.0.0/8 is
Lisbon, Portugal. Usage: make_mmdb.py OUT_FILE"""
import sys

from mmdb_writer import MMDBWriter
from netaddr import IPSet

writer = MMDBWriter(ip_version=6, database_type="GeoIP2-City", ipv4_compatible=True)
writer.insert_network(IPSet(["127.0.0.0/8"]), {
    "city": {"names": {"en": "Lisbon"}},
    "country": {"iso_code": "PT", "names": {"en": "Portugal"}},
})
writer.to_db_file(sys.argv[1])
