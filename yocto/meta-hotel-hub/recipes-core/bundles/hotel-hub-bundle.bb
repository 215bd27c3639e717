# nooelint: oelint.file.underscores,oelint.var.mandatoryvar.SRC_URI,oelint.var.bbclassextend - unversioned like meta-rauc's core-bundle-minimal.bb; fetches nothing (packs hotel-hub-image); target only
SUMMARY = "Hotel Hub RAUC update bundle"
DESCRIPTION = "A signed RAUC bundle (verity format) holding hotel-hub-image's ext4 \
               root file system, installed by RAUC into the inactive rootfs slot (A or B) \
               of the appliance."
# The project has no public web site; the reserved .invalid domain (RFC 2606) says so.
HOMEPAGE = "https://hotel-hub.invalid/"
SECTION = "base"
LICENSE = "MIT"

inherit bundle

# The A/B scheme is U-Boot's, which meta-raspberrypi builds for the Pi 4 only on
# scarthgap (see yocto/README.md).
COMPATIBLE_MACHINE = "^raspberrypi4-64$"

# Must equal the target's system.conf (rauc-conf.bbappend): both use this variable.
RAUC_BUNDLE_COMPATIBLE = "${HOTEL_HUB_RAUC_COMPATIBLE}"
# RAUC_BUNDLE_VERSION is left to the release engineer (meta-rauc defaults it to ${PV};
# its manifest also records the build time).
RAUC_BUNDLE_DESCRIPTION = "Hotel Hub appliance"
RAUC_BUNDLE_FORMAT = "verity"

RAUC_BUNDLE_SLOTS = "rootfs"
RAUC_SLOT_rootfs = "hotel-hub-image"
RAUC_SLOT_rootfs[fstype] = "ext4"

# Signing: RAUC_KEY_FILE and RAUC_CERT_FILE are deliberately not set here. The release
# engineer sets them to absolute paths outside the repository (local.conf, site.conf or
# kas' local_conf_header); meta-rauc's do_bundle stops with an error while they are
# empty. The certificate must chain to the CA in RAUC_KEYRING_FILE.
