SUMMARY = "Hotel Hub appliance image for the Raspberry Pi 4"
DESCRIPTION = "The Hotel Hub appliance: systemd, the hub daemon, RAUC with U-Boot A/B \
               root file systems and a data partition, a read-only root file system, \
               and optionally the lobby kiosk (cage and Chromium, HOTEL_HUB_KIOSK)."
SECTION = "base"
LICENSE = "MIT"

inherit core-image features_check

# systemd: hub.service and the kiosk are systemd units. rauc: meta-rauc's bbappends
# (and its sanity check) only act with the rauc distro feature.
REQUIRED_DISTRO_FEATURES = "systemd rauc"

# The A/B boot needs U-Boot (RPI_USE_U_BOOT = "1"), which meta-raspberrypi's scarthgap
# branch does not build for raspberrypi5 (COMPATIBLE_MACHINE:raspberrypi5 = "(-)" in its
# u-boot bbappend). See yocto/README.md for what the Pi 5 would need.
COMPATIBLE_MACHINE = "^raspberrypi4-64$"

# The lobby tablet's kiosk on the box's own screen: "1" adds cage + Chromium, and
# boots to graphical.target (the kiosk unit's target).
HOTEL_HUB_KIOSK ??= "0"
SYSTEMD_DEFAULT_TARGET = "${@oe.utils.conditional('HOTEL_HUB_KIOSK', '1', 'graphical.target', 'multi-user.target', d)}"

IMAGE_FEATURES += "read-only-rootfs"

IMAGE_INSTALL += "\
    hotel-hub \
    rauc \
    libubootenv-bin \
    u-boot-env \
    kernel-image \
    ${@oe.utils.conditional('HOTEL_HUB_KIOSK', '1', 'packagegroup-hotel-hub-kiosk', '', d)} \
"

# ext4: the rootfs RAUC bundles carry (hotel-hub-bundle.bb); wic: the SD card image.
IMAGE_FSTYPES = "ext4 wic.bz2 wic.bmap"
WKS_FILE = "hotel-hub-rpi-ab.wks"
# Each rootfs slot is 2048 MiB (the wks); refuse an image that would not fit one.
IMAGE_ROOTFS_MAXSIZE = "2097152"

# U-Boot loads /boot/${KERNEL_IMAGETYPE} from the chosen slot (boot.cmd.in). oe-core
# installs the kernel as ${KERNEL_IMAGETYPE}-<version> and links the plain name only
# when KERNEL_IMAGETYPE_SYMLINK is "1", so make sure the link is there.
hotel_hub_kernel_link() {
    if [ ! -e ${IMAGE_ROOTFS}/boot/${KERNEL_IMAGETYPE} ]; then
        kernel=$(cd ${IMAGE_ROOTFS}/boot && ls -1 ${KERNEL_IMAGETYPE}-* 2>/dev/null | head -n 1)
        if [ -z "$kernel" ]; then
            bbfatal "no ${KERNEL_IMAGETYPE}-* in the rootfs /boot: U-Boot could not boot this slot"
        fi
        ln -s "$kernel" ${IMAGE_ROOTFS}/boot/${KERNEL_IMAGETYPE}
    fi
}
hotel_hub_kernel_link[doc] = "Links /boot/${KERNEL_IMAGETYPE} to the installed kernel for U-Boot"

# The data partition's mount point: systemd cannot create it on the read-only rootfs.
hotel_hub_data_mountpoint() {
    install -d -m 0755 ${IMAGE_ROOTFS}/data
}
hotel_hub_data_mountpoint[doc] = "Creates /data, where fstab mounts the data partition"

ROOTFS_POSTPROCESS_COMMAND += "hotel_hub_kernel_link hotel_hub_data_mountpoint"
