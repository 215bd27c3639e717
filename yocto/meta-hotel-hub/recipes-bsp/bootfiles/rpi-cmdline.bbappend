# cmdline.txt must not name a root partition: the U-Boot script (boot.cmd.in) appends
# root=/dev/mmcblk0p2 or p3 and rauc.slot=A or B for the slot it chose.
CMDLINE_ROOTFS:raspberrypi4-64 = "rootfstype=ext4 rootwait"
