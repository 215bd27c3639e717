# Kernel options for RAUC verity bundles (loop, squashfs, dm-verity) and the overlay
# that keeps /var/lib on the data partition (volatile-binds.bbappend).
FILESEXTRAPATHS:prepend:raspberrypi4-64 := "${THISDIR}/files:"
SRC_URI:append:raspberrypi4-64 = " file://hotel-hub-rauc.cfg"
