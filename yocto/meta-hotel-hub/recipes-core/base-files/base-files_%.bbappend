# The Hotel Hub fstab (boot and data partitions) on the Raspberry Pi.
FILESEXTRAPATHS:prepend:raspberrypi4-64 := "${THISDIR}/files:"
