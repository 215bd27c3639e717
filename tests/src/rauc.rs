//! A RAUC rig on this machine, for the hub's update path without a VM: Debian's real
//! `rauc service` on a private D-Bus (the CLI reaches it through
//! `DBUS_SYSTEM_BUS_ADDRESS`), two slots that are files, RAUC's custom bootloader backend
//! (a shell script, RAUC docs "Custom Boot Loader Backend") keeping GRUB's A/B variables
//! (ORDER, <slot>_OK, <slot>_TRY) in files, and a `boot()` that chooses a slot the way
//! RAUC's GRUB script does. The service learns the booted slot from `rauc.slot=` in
//! `/proc/cmdline`, which it sees through a bind mount in a mount namespace of its own.
//! Bundles are RAUC's plain format: this kernel has no dm-verity (the VM test in
//! `tests/appliance` installs verity bundles).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::run_ok;

pub const COMPATIBLE: &str = "hotelhub-test";

pub struct Rig {
    pub dir: tempfile::TempDir,
    bus: Child,
    service: Option<Child>,
    pub bus_address: String,
}

const BACKEND: &str = r#"#!/bin/sh
# RAUC's custom bootloader backend over GRUB-like variables kept in files.
d="$(dirname "$0")/boot"
get() { cat "$d/$1" 2>/dev/null || echo "$2"; }
other() { if [ "$1" = A ]; then echo B; else echo A; fi; }
case "$1" in
get-primary) set -- $(get order "A B"); echo "$1" ;;
set-primary) echo "$2 $(other "$2")" > "$d/order"; echo 1 > "$d/ok-$2"; echo 0 > "$d/try-$2" ;;
get-state) if [ "$(get ok-$2 0)" = 1 ]; then echo good; else echo bad; fi ;;
set-state) if [ "$3" = good ]; then echo 1 > "$d/ok-$2"; else echo 0 > "$d/ok-$2"; fi; echo 0 > "$d/try-$2" ;;
*) exit 1 ;;
esac
"#;

impl Rig {
    /// Makes the slots, the keys (a release CA and a foreign one), the backend and the
    /// private bus; slot A is good and first.
    pub fn new() -> anyhow::Result<Rig> {
        let dir = tempfile::tempdir()?;
        let d = dir.path();
        std::fs::create_dir_all(d.join("boot"))?;
        std::fs::write(d.join("boot/order"), "A B\n")?;
        std::fs::write(d.join("boot/ok-A"), "1\n")?;
        std::fs::write(d.join("boot/try-A"), "0\n")?;
        std::fs::write(d.join("boot/ok-B"), "0\n")?;
        let backend = d.join("backend.sh");
        std::fs::write(&backend, BACKEND)?;
        run_ok(Command::new("chmod").arg("+x").arg(&backend))?;
        for slot in ["a.img", "b.img"] {
            std::fs::write(d.join(slot), vec![0u8; 8 * 1024 * 1024])?;
        }
        std::fs::write(
            d.join("system.conf"),
            format!(
                "[system]\ncompatible={COMPATIBLE}\nbootloader=custom\nstatusfile={0}/rauc.status\n\
                 mountprefix={0}/mnt\n[handlers]\nbootloader-custom-backend={0}/backend.sh\n\
                 [keyring]\npath={0}/ca.pem\n\
                 [slot.rootfs.0]\ndevice={0}/a.img\ntype=ext4\nbootname=A\n\
                 [slot.rootfs.1]\ndevice={0}/b.img\ntype=ext4\nbootname=B\n",
                d.display()
            ),
        )?;
        let wrapper = d.join("rauc");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec rauc --conf={}/system.conf \"$@\"\n",
                d.display()
            ),
        )?;
        run_ok(Command::new("chmod").arg("+x").arg(&wrapper))?;
        // A release CA with its signing certificate, and a stranger's self-signed one.
        let openssl = |args: &str| {
            run_ok(
                Command::new("openssl")
                    .args(args.split_whitespace())
                    .current_dir(d),
            )
            .map(drop)
        };
        let self_signed = "req -x509 -newkey rsa:2048 -nodes -days 3650";
        openssl(&format!(
            "{self_signed} -keyout ca.key -out ca.pem -subj /O=Test/CN=Update-CA"
        ))?;
        openssl(
            "req -newkey rsa:2048 -nodes -keyout release.key -out release.csr -subj /CN=Release",
        )?;
        openssl("x509 -req -in release.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out release.pem -days 3650")?;
        openssl(&format!(
            "{self_signed} -keyout foreign.key -out foreign.pem -subj /O=Other/CN=Someone"
        ))?;
        let socket = d.join("bus");
        let bus_address = format!("unix:path={}", socket.display());
        // The session configuration: any local peer may own and call any name.
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={bus_address}"))
            .stdout(Stdio::null())
            // It says it may not raise its file limit, which does not matter here.
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start dbus-daemon")?;
        let until = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if Instant::now() > until {
                bail!("dbus-daemon made no socket");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Rig {
            dir,
            bus,
            service: None,
            bus_address,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The command the hub runs as `rauc`.
    pub fn rauc(&self) -> PathBuf {
        self.path().join("rauc")
    }

    fn boot_var(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join("boot").join(name))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// Whether the bootloader would start `slot` again without falling back: OK and not
    /// on trial.
    pub fn kept(&self, slot: &str) -> bool {
        self.boot_var(&format!("ok-{slot}")) == "1" && self.boot_var(&format!("try-{slot}")) == "0"
    }

    /// Chooses the slot as RAUC's GRUB script does (the first of ORDER that is OK and not
    /// already tried, marking it tried), then starts RAUC's service booted from it.
    pub fn boot(&mut self) -> anyhow::Result<String> {
        self.stop_service();
        let order = self.boot_var("order");
        let slot = order
            .split_whitespace()
            .find(|s| self.kept(s))
            .context("no slot is bootable")?
            .to_owned();
        std::fs::write(self.path().join(format!("boot/try-{slot}")), "1\n")?;
        std::fs::write(
            self.path().join("cmdline"),
            format!("root=/dev/test rauc.slot={slot}\n"),
        )?;
        let service = Command::new("unshare")
            .args(["-m", "sh", "-c"])
            .arg(format!(
                "mount --bind {0}/cmdline /proc/cmdline && exec rauc --conf={0}/system.conf service",
                self.path().display()
            ))
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.bus_address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start rauc service")?;
        self.service = Some(service);
        let until = Instant::now() + Duration::from_secs(15);
        loop {
            let status = Command::new(self.rauc())
                .args(["status", "--output-format=json"])
                .env("DBUS_SYSTEM_BUS_ADDRESS", &self.bus_address)
                .output()?;
            if status.status.success() {
                return Ok(slot);
            }
            if Instant::now() > until {
                bail!(
                    "rauc service did not answer: {}",
                    String::from_utf8_lossy(&status.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop_service(&mut self) {
        if let Some(mut s) = self.service.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
    }

    /// A bundle of `version` signed with `key`/`cert` (`release` or `foreign`): a small
    /// ext4 root whose `/etc/hotel-hub/version` names it.
    pub fn bundle(&self, version: &str, signer: &str) -> anyhow::Result<PathBuf> {
        let work = self.path().join(format!("bundle-{version}-{signer}"));
        let root = work.join("root");
        let content = work.join("content");
        std::fs::create_dir_all(root.join("etc/hotel-hub"))?;
        std::fs::create_dir_all(&content)?;
        std::fs::write(root.join("etc/hotel-hub/version"), format!("{version}\n"))?;
        // Enough of a file system for mksquashfs to keep (it refuses one of 4 KiB).
        let filler: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        std::fs::write(root.join("etc/hotel-hub/filler"), filler)?;
        run_ok(
            Command::new("mke2fs")
                .args(["-q", "-t", "ext4", "-d"])
                .arg(&root)
                .arg(content.join("rootfs.ext4"))
                .arg("4M"),
        )?;
        std::fs::write(
            content.join("manifest.raucm"),
            format!(
                "[update]\ncompatible={COMPATIBLE}\nversion={version}\n[bundle]\nformat=plain\n\
                 [image.rootfs]\nfilename=rootfs.ext4\n"
            ),
        )?;
        let out = work.join(format!("v{version}.raucb"));
        let d = self.path();
        run_ok(
            Command::new("rauc")
                .arg(format!(
                    "--cert={}",
                    d.join(format!("{signer}.pem")).display()
                ))
                .arg(format!(
                    "--key={}",
                    d.join(format!("{signer}.key")).display()
                ))
                .arg("bundle")
                .arg(&content)
                .arg(&out),
        )?;
        Ok(out)
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop_service();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
