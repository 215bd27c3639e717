# Replace meta-raspberrypi's single-rootfs boot.cmd.in with the RAUC A/B one; the
# recipe's own do_compile substitutes @@KERNEL_IMAGETYPE@@ and @@KERNEL_BOOTCMD@@.
FILESEXTRAPATHS:prepend:raspberrypi4-64 := "${THISDIR}/files:"
