# read-only-rootfs makes /var/lib a bind of a tmpfs by default, which would lose the
# hub's state (/var/lib/hotel-hub, /var/lib/private/hotel-hub with DynamicUser) at every
# reboot. On the appliance /var/lib is instead an overlay whose upper layer is
# /data/var-lib on the data partition (mount-copybind; the generated
# data-var-lib.service requires /data to be mounted), so state survives reboots and
# RAUC slot switches. The other binds stay volatile as in oe-core.
# nooelint: oelint.vars.multilineident - the "\n\" line ends are volatile-binds' own list format
VOLATILE_BINDS:raspberrypi4-64 = "\
    /data/var-lib ${localstatedir}/lib\n\
    ${localstatedir}/volatile/cache ${localstatedir}/cache\n\
    ${localstatedir}/volatile/spool ${localstatedir}/spool\n\
    ${localstatedir}/volatile/srv ${servicedir}\n\
"

# As oe-core does for var-volatile-lib.service: the random seed is kept under /var/lib,
# so the overlay must be in place before systemd-random-seed runs.
do_compile:append:raspberrypi4-64() {
    sed -i -e "/^Before=/s/\$/ systemd-random-seed.service/" \
           -e "/^WantedBy=/s/\$/ systemd-random-seed.service/" \
           data-var-lib.service
}
