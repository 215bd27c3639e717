SUMMARY = "Hotel Hub lobby kiosk"
DESCRIPTION = "The kiosk on the appliance's own screen: the cage Wayland kiosk \
               compositor running Chromium (Ozone/Wayland) on the hub's /kiosk/ page, \
               started by hotel-hub-kiosk.service."
SECTION = "graphics"
LICENSE = "MIT"

inherit packagegroup features_check

# cage and Chromium are Wayland clients drawing with EGL/GLES; the kiosk session needs
# logind through PAM.
REQUIRED_DISTRO_FEATURES = "wayland opengl pam systemd"

# hotel-hub-kiosk: this layer. cage: meta-wayland (with its wlroots).
# chromium-ozone-wayland: meta-browser's meta-chromium.
RDEPENDS:${PN} = "\
    cage \
    chromium-ozone-wayland \
    hotel-hub-kiosk \
"
