# nooelint: oelint.var.bbclassextend - the appliance daemon is built for the target only
SUMMARY = "Hotel Hub: the on-premise appliance daemon"
DESCRIPTION = "The hub binary of the Hotel Hub workspace (guest chat relay, team \
               messenger, bookings, scenarios, an embedded MQTT broker for the \
               property's devices, and every web app), built for the appliance without \
               the demo feature, with its hardened systemd unit and configuration."
# The project has no public web site; the reserved .invalid domain (RFC 2606) says so.
HOMEPAGE = "https://hotel-hub.invalid/"
SECTION = "net"
# The workspace's Cargo.toml declares `license = "Apache-2.0"` for every member; the
# repository has no license text file, so the declaration line itself is checksummed
# (yocto/check verifies the line number and checksum against Cargo.toml) together with
# oe-core's copy of the Apache-2.0 text.
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://Cargo.toml;beginline=8;endline=8;md5=2507bd5f0713f05419cd2f22fa06fe62 \
                    file://${COMMON_LICENSE_DIR}/Apache-2.0;md5=89aea4e17d99a7cacdbeed46a0096b10"

# The hub's source is this repository, which has no public address. The integrator
# points the build at their clone (local.conf, or kas' local_conf_header), e.g.
#   HOTEL_HUB_GIT_URI = "git://git.example.com/hotel/hotel-hub.git"
#   HOTEL_HUB_GIT_PROTOCOL = "ssh"
# The defaults below name the reserved .invalid domain, so a build that forgot to set
# them fails at do_fetch instead of fetching something else.
HOTEL_HUB_GIT_URI ?= "git://hotel-hub.invalid/hotel-hub.git"
HOTEL_HUB_GIT_PROTOCOL ?= "https"
HOTEL_HUB_GIT_BRANCH ?= "main"

PV = "0.1.0+git"
SRC_URI = "${HOTEL_HUB_GIT_URI};protocol=${HOTEL_HUB_GIT_PROTOCOL};branch=${HOTEL_HUB_GIT_BRANCH}"
# Every crates.io crate of the workspace's Cargo.lock (generated: yocto/update-crates.py).
require ${BPN}-crates.inc
SRC_URI += "file://hotel-hub-boot-complete.conf"

# Which commit to build: by default the one this layer is checked out at, so the
# crates listed in hotel-hub-crates.inc (made from that commit's Cargo.lock) are the
# ones cargo asks for. Set HOTEL_HUB_SRCREV to build another commit (its own
# hotel-hub-crates.inc must then be used too).
HOTEL_HUB_SRCREV ??= "${@hotel_hub_layer_revision(d)}"
SRCREV = "${HOTEL_HUB_SRCREV}"
# A new commit need not touch this layer's files, so BitBake's parse cache would keep
# the old revision: parse this recipe afresh every time (it is one small recipe).
BB_DONT_CACHE = "1"
S = "${WORKDIR}/git"

# No useradd: hub.service runs with DynamicUser=yes (systemd allocates the user at
# start and owns /var/lib/hotel-hub for it), so the image needs no static account.
inherit cargo cargo-update-recipe-crates systemd

# The hub package alone, without the `demo` default feature (the demo property and the
# emulated devices), as README.md says the appliance is built.
CARGO_BUILD_FLAGS += "--package hub --no-default-features"
# The workspace's release profile strips the binary; leave that to OE so the debug
# symbols end up in hotel-hub-dbg instead of tripping the already-stripped QA check.
export CARGO_PROFILE_RELEASE_STRIP = "false"

def hotel_hub_layer_revision(d):
    import subprocess
    layerdir = d.getVar("HOTEL_HUB_LAYERDIR")
    try:
        return subprocess.check_output(
            ["git", "-C", layerdir, "rev-parse", "--verify", "HEAD^{commit}"],
            stderr=subprocess.DEVNULL, universal_newlines=True).strip()
    except (OSError, subprocess.CalledProcessError):
        raise bb.parse.SkipRecipe("%s is not a git checkout: set HOTEL_HUB_SRCREV" % layerdir)

do_install:append() {
    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${S}/systemd/hub.service ${D}${systemd_system_unitdir}/hub.service

    install -d ${D}${sysconfdir}/hotel-hub
    install -m 0644 ${S}/systemd/hub.toml ${D}${sysconfdir}/hotel-hub/hub.toml

    # The unit's Documentation= points here.
    install -d ${D}${docdir}/${BPN}
    install -m 0644 ${S}/README.md ${D}${docdir}/${BPN}/README.md

    # boot-complete.target waits for the hub to say READY=1; meta-rauc's
    # rauc-mark-good.service marks the booted slot good only after that target.
    install -d ${D}${systemd_system_unitdir}/boot-complete.target.d
    install -m 0644 ${WORKDIR}/hotel-hub-boot-complete.conf \
        ${D}${systemd_system_unitdir}/boot-complete.target.d/hotel-hub.conf
}

SYSTEMD_SERVICE:${PN} = "hub.service"

FILES:${PN} += "${systemd_system_unitdir}/boot-complete.target.d/hotel-hub.conf"
CONFFILES:${PN} = "${sysconfdir}/hotel-hub/hub.toml"
