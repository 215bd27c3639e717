# nooelint: oelint.var.bbclassextend - a target session (systemd unit, PAM service), no native use
SUMMARY = "Hotel Hub lobby kiosk session"
DESCRIPTION = "The systemd unit that runs cage with Chromium in kiosk mode on tty1, \
               showing the hub's Remote Front Desk page (http://localhost/kiosk/) and \
               restarting it whenever it ends, with its session script, the PAM service \
               for its logind session and the user it runs as."
# The project has no public web site; the reserved .invalid domain (RFC 2606) says so.
HOMEPAGE = "https://hotel-hub.invalid/"
SECTION = "graphics"
# The unit, script and PAM file are the repository's own (Apache-2.0, the workspace's license
# in Cargo.toml); they carry no license text of their own to checksum.
LICENSE = "Apache-2.0"
# nooelint: oelint.var.licenseremotefile - see above: the only license text is oe-core's
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/Apache-2.0;md5=89aea4e17d99a7cacdbeed46a0096b10"

# The same unit, session script and PAM service as the Debian-based image's
# (firmware-images/overlay/kiosk/); yocto/check fails if the copies differ.
SRC_URI = "\
    file://hotel-hub-kiosk.service \
    file://kiosk-session \
    file://hotel-hub-kiosk.pam \
"
S = "${WORKDIR}"

inherit allarch features_check systemd useradd

# cage and Chromium draw through EGL/GLES on Wayland; the session is opened by
# pam_systemd (systemd built with PAM).
REQUIRED_DISTRO_FEATURES = "wayland opengl pam systemd"

# The unit's User= and SupplementaryGroups= (as firmware-images/build makes them): the
# groups must exist, or systemd refuses to start the unit; render and input are made
# here if nothing else made them (useradd skips groups that exist). The unit asks cage's
# libseat for seatd; oe-core's seatd.service gives its socket to the group "seat"
# (Debian's to "video"), so the user is in "seat" too.
USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system render; --system input; --system seat"
USERADD_PARAM:${PN} = "--system --user-group --groups video,render,input,audio,seat \
                       --home-dir ${localstatedir}/lib/hotel-hub-kiosk --no-create-home \
                       --shell ${base_sbindir}/nologin hotel-hub-kiosk"

do_install() {
    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${S}/hotel-hub-kiosk.service ${D}${systemd_system_unitdir}/hotel-hub-kiosk.service
    install -d ${D}${nonarch_libdir}/hotel-hub
    install -m 0755 ${S}/kiosk-session ${D}${nonarch_libdir}/hotel-hub/kiosk-session
    install -d ${D}${sysconfdir}/pam.d
    install -m 0644 ${S}/hotel-hub-kiosk.pam ${D}${sysconfdir}/pam.d/hotel-hub-kiosk
}

# The unit is WantedBy=graphical.target; hotel-hub-image makes that the default target
# when the kiosk is in the image.
SYSTEMD_SERVICE:${PN} = "hotel-hub-kiosk.service"

# The unit runs ${nonarch_libdir}/hotel-hub/kiosk-session (/usr/lib, as on Debian).
FILES:${PN} += "${nonarch_libdir}/hotel-hub/kiosk-session"

# cage: meta-wayland (built without Xwayland unless the distro has it, so it does not
# look for Xwayland as Debian's cage 0.1.4 does). chromium-ozone-wayland: meta-browser's
# meta-chromium, which installs /usr/bin/chromium. seatd: oe-core. pam_systemd.so comes
# with systemd (pam distro feature).
RDEPENDS:${PN} = "cage chromium-ozone-wayland hotel-hub pam-plugin-permit pam-plugin-unix seatd"
