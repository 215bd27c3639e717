# The Hotel Hub's RAUC configuration for the Raspberry Pi 4 (U-Boot, rootfs A/B).
#
# The verification keyring is never in this repository. meta-rauc's rauc-conf installs
# ${RAUC_KEYRING_FILE} into /etc/rauc/; the integrator sets it to the absolute path of
# the release CA certificate (PEM) outside the repository, e.g. in local.conf:
#   RAUC_KEYRING_FILE = "/srv/hotel-hub-keys/ca.cert.pem"
# (meta-rauc's bundle class reads the same variable when it is set.)
FILESEXTRAPATHS:prepend:raspberrypi4-64 := "${THISDIR}/files:"

do_install:prepend:raspberrypi4-64() {
    case "${RAUC_KEYRING_FILE}" in
    /*) ;;
    *) bbfatal "RAUC_KEYRING_FILE must be the absolute path of the release CA certificate (never kept in the repository); see yocto/README.md" ;;
    esac
}

do_install:append:raspberrypi4-64() {
    sed -i -e "s|@@HOTEL_HUB_RAUC_COMPATIBLE@@|${HOTEL_HUB_RAUC_COMPATIBLE}|" \
        -e "s|@@RAUC_KEYRING_NAME@@|$(basename "${RAUC_KEYRING_FILE}")|" \
        ${D}${sysconfdir}/rauc/system.conf
}
