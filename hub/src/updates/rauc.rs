//! RAUC's command-line client, the way the hub reaches the update service (`rauc service`,
//! over D-Bus) without linking to D-Bus itself: status, bundle information, install with
//! progress, and marking slots. The shapes are RAUC 1.8's own (`rauc status --detailed
//! --output-format=json`, `rauc info --output-format=json`, install's `NN% message` lines
//! and its `LastError:` line), as read off Debian's `rauc` 1.8 package.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum RaucError {
    #[error("cannot run {bin}: {source}")]
    Spawn {
        bin: PathBuf,
        source: std::io::Error,
    },
    /// RAUC's own words for why it refused (its `LastError:` or last line).
    #[error("{0}")]
    Refused(String),
    #[error("RAUC answered something the hub cannot read: {0}")]
    Output(String),
}

/// `rauc status --detailed --output-format=json`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Status {
    pub(super) compatible: Option<String>,
    /// The booted slot's bootname (`A`).
    pub(super) booted: Option<String>,
    /// The slot the bootloader tries first (`rootfs.1`).
    pub(super) boot_primary: Option<String>,
    /// One single-key object per slot: `[{"rootfs.0": {…}}, …]`.
    #[serde(default)]
    slots: Vec<std::collections::BTreeMap<String, SlotJson>>,
}

#[derive(Debug, Clone, Deserialize)]
struct SlotJson {
    class: Option<String>,
    bootname: Option<String>,
    state: Option<String>,
    boot_status: Option<String>,
    slot_status: Option<SlotStatusJson>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct SlotStatusJson {
    bundle: Option<BundleJson>,
    installed: Option<InstalledJson>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct BundleJson {
    version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct InstalledJson {
    timestamp: Option<String>,
}

/// One bootable slot as the hub shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Slot {
    /// RAUC's slot name (`rootfs.0`).
    pub(super) name: String,
    /// The bootloader's name for it (`A`).
    pub(super) bootname: String,
    /// `booted`, `active` or `inactive`.
    pub(super) state: String,
    /// The bootloader's verdict: `good` or `bad`.
    pub(super) boot_status: String,
    /// The version of the bundle last installed into it, if RAUC installed it.
    pub(super) version: Option<String>,
    pub(super) installed_at: Option<String>,
}

impl Status {
    /// The bootable slots (those with a bootname), ordered by bootname.
    pub(super) fn slots(&self) -> Vec<Slot> {
        let mut out: Vec<Slot> = self
            .slots
            .iter()
            .flat_map(|m| m.iter())
            .filter(|(_, s)| s.class.as_deref().is_none_or(|c| c == "rootfs"))
            .filter_map(|(name, s)| {
                let status = s.slot_status.clone().unwrap_or_default();
                Some(Slot {
                    name: name.clone(),
                    bootname: s.bootname.clone()?,
                    state: s.state.clone().unwrap_or_default(),
                    boot_status: s.boot_status.clone().unwrap_or_default(),
                    version: status.bundle.and_then(|b| b.version),
                    installed_at: status.installed.and_then(|i| i.timestamp),
                })
            })
            .collect();
        out.sort_by(|a, b| a.bootname.cmp(&b.bootname));
        out
    }

    pub(super) fn booted_slot(&self) -> Option<Slot> {
        let booted = self.booted.as_deref()?;
        self.slots().into_iter().find(|s| s.bootname == booted)
    }

    pub(super) fn slot(&self, name: &str) -> Option<Slot> {
        self.slots().into_iter().find(|s| s.name == name)
    }
}

/// `rauc info --output-format=json`: what a bundle says of itself, once its signature is
/// verified against the system's keyring.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct BundleInfo {
    pub(super) version: Option<String>,
}

/// Where `rauc` is; every call is one run of it.
#[derive(Debug, Clone)]
pub(super) struct Rauc {
    bin: PathBuf,
}

/// A slot to mark: RAUC's `booted`, `other` or a slot name.
pub(super) enum Mark<'a> {
    Good(&'a str),
    Bad(&'a str),
}

impl Rauc {
    pub(super) fn new(bin: PathBuf) -> Rauc {
        Rauc { bin }
    }

    async fn output(&self, args: &[&str]) -> Result<String, RaucError> {
        let out = Command::new(&self.bin)
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|source| RaucError::Spawn {
                bin: self.bin.clone(),
                source,
            })?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            Err(RaucError::Refused(reason(&format!("{stdout}\n{stderr}"))))
        }
    }

    pub(super) async fn status(&self) -> Result<Status, RaucError> {
        let json = self
            .output(&["status", "--detailed", "--output-format=json"])
            .await?;
        serde_json::from_str(&json).map_err(|e| RaucError::Output(e.to_string()))
    }

    /// Verifies `bundle`'s signature and reads its manifest.
    pub(super) async fn info(&self, bundle: &Path) -> Result<BundleInfo, RaucError> {
        let path = bundle.to_string_lossy();
        let json = self
            .output(&["info", "--output-format=json", &path])
            .await?;
        serde_json::from_str(&json).map_err(|e| RaucError::Output(e.to_string()))
    }

    pub(super) async fn mark(&self, mark: Mark<'_>) -> Result<(), RaucError> {
        let (verb, slot) = match mark {
            Mark::Good(s) => ("mark-good", s),
            Mark::Bad(s) => ("mark-bad", s),
        };
        self.output(&["status", verb, slot]).await.map(|_| ())
    }

    /// Installs `bundle` into the other slot, calling `progress(percent, message)` for each
    /// step RAUC reports. RAUC verifies the signature and, for verity bundles, every block.
    pub(super) async fn install(
        &self,
        bundle: &Path,
        mut progress: impl FnMut(u8, &str),
    ) -> Result<(), RaucError> {
        let mut child = Command::new(&self.bin)
            .arg("install")
            .arg(bundle)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| RaucError::Spawn {
                bin: self.bin.clone(),
                source,
            })?;
        let stderr = child.stderr.take();
        let errors = tokio::spawn(async move {
            let mut text = String::new();
            if let Some(mut e) = stderr {
                let _ = tokio::io::AsyncReadExt::read_to_string(&mut e, &mut text).await;
            }
            text
        });
        let mut seen = String::new();
        if let Some(out) = child.stdout.take() {
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some((percent, message)) = progress_line(&line) {
                    progress(percent, message);
                }
                seen.push_str(&line);
                seen.push('\n');
            }
        }
        let status = child.wait().await.map_err(|source| RaucError::Spawn {
            bin: self.bin.clone(),
            source,
        })?;
        let stderr = errors.await.unwrap_or_default();
        if status.success() {
            Ok(())
        } else {
            Err(RaucError::Refused(reason(&format!("{seen}\n{stderr}"))))
        }
    }
}

/// `" 40% Verifying signature done."` → `(40, "Verifying signature done.")`.
fn progress_line(line: &str) -> Option<(u8, &str)> {
    let (percent, message) = line.trim_start().split_once("% ")?;
    Some((percent.parse().ok()?, message.trim()))
}

/// RAUC's reason for a failure: its `LastError:` line, else its last line that is not its
/// own chatter (`rauc-Message:`, progress, `Installing … failed`).
fn reason(output: &str) -> String {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(last) = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("LastError: "))
    {
        return last.trim().to_string();
    }
    lines
        .iter()
        .rev()
        .find(|l| {
            !l.starts_with("rauc-Message")
                && progress_line(l).is_none()
                && !(l.starts_with("Installing `") && l.ends_with("failed"))
        })
        .map(|l| l.to_string())
        .unwrap_or_else(|| "RAUC gave no reason".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read off Debian's rauc 1.8 after one install into slot B.
    const STATUS: &str = r#"{"compatible":"hotelhub-test","variant":"","booted":"A","boot_primary":"rootfs.1","slots":[{"rootfs.1":{"class":"rootfs","device":"/dev/vda3","type":"ext4","bootname":"B","state":"inactive","parent":null,"mountpoint":null,"boot_status":"good","slot_status":{"bundle":{"compatible":"hotelhub-test","version":"2"},"installed":{"timestamp":"2026-12-01T05:23:34Z","count":1},"status":"ok"}}},{"rootfs.0":{"class":"rootfs","device":"/dev/vda2","type":"ext4","bootname":"A","state":"booted","parent":null,"mountpoint":"/","boot_status":"good","slot_status":{"bundle":{"compatible":null}}}}]}"#;

    #[test]
    fn status_reads_slots_in_bootname_order() {
        let s: Status = serde_json::from_str(STATUS).unwrap();
        let slots = s.slots();
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[0].name, "rootfs.0");
        assert_eq!(slots[0].state, "booted");
        assert_eq!(slots[0].version, None);
        assert_eq!(slots[1].bootname, "B");
        assert_eq!(slots[1].version.as_deref(), Some("2"));
        assert_eq!(s.booted_slot().unwrap().name, "rootfs.0");
        assert_eq!(s.slot("rootfs.1").unwrap().boot_status, "good");
    }

    #[test]
    fn garbage_status_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<Status>("{\"slots\": 3}").is_err());
        let empty: Status = serde_json::from_str("{}").unwrap();
        assert!(empty.slots().is_empty() && empty.booted_slot().is_none());
    }

    #[test]
    fn progress_lines_and_reasons() {
        assert_eq!(
            progress_line(" 40% Verifying signature done."),
            Some((40, "Verifying signature done."))
        );
        assert_eq!(progress_line("installing"), None);
        let out = "installing\n 40% Verifying signature failed.\n100% Installing failed.\n\
                   LastError: signature verification failed: Verify error: self-signed certificate\n\
                   Installing `/x.raucb` failed\n";
        assert_eq!(
            reason(out),
            "signature verification failed: Verify error: self-signed certificate"
        );
        assert_eq!(
            reason("rauc-Message: 05:23 Reading bundle\nsignature verification failed: bad\n"),
            "signature verification failed: bad"
        );
        assert_eq!(reason(""), "RAUC gave no reason");
    }
}
