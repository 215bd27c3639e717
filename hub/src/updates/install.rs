//! A bundle's way in: its bytes kept on the data partition (uploaded or fetched), then
//! RAUC's verification and install into the other slot, with progress, and the pending
//! record the next start settles.

use std::path::PathBuf;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::rauc::RaucError;
use super::{db, Operation, Pending, Phase, UpdateError, UpdateEvent, Updates};

impl Updates {
    /// Keeps the uploaded bundle's bytes, then installs it in the background. Returns once
    /// every byte is on the data partition.
    pub async fn receive<S, E>(&self, mut body: S) -> Result<Operation, UpdateError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        self.begin()?;
        let path = self.inner.dir.join("bundle.raucb");
        let written = async {
            let mut file = tokio::fs::File::create(&path).await?;
            let mut bytes = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk
                    .map_err(|e| UpdateError::Invalid(format!("the upload broke off: {e}")))?;
                bytes += chunk.len() as u64;
                if bytes > self.inner.config.max_bundle_bytes {
                    return Err(UpdateError::TooLarge(self.inner.config.max_bundle_bytes));
                }
                file.write_all(&chunk).await?;
                self.set(Phase::Receiving, 0, "Receiving the bundle", bytes);
            }
            file.sync_all().await?;
            Ok(bytes)
        }
        .await;
        self.received(path, written).await
    }

    /// Fetches the bundle at `url` (http or https) in the background, then installs it.
    pub async fn fetch(&self, url: &str) -> Result<Operation, UpdateError> {
        let parsed = url::Url::parse(url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                UpdateError::Invalid("give the bundle's http:// or https:// address".into())
            })?;
        self.begin()?;
        let this = self.clone();
        tokio::spawn(async move {
            let path = this.inner.dir.join("bundle.raucb");
            let written = this.download(parsed, &path).await;
            if let Err(e) = this.received(path, written).await {
                tracing::warn!(error = %e, "The bundle could not be fetched.");
            }
        });
        Ok(self.operation())
    }

    async fn download(&self, url: url::Url, path: &std::path::Path) -> Result<u64, UpdateError> {
        let fetch = |e: reqwest::Error| UpdateError::Fetch(e.to_string());
        let mut response = self
            .inner
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(fetch)?;
        let mut file = tokio::fs::File::create(path).await?;
        let mut bytes = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(fetch)? {
            bytes += chunk.len() as u64;
            if bytes > self.inner.config.max_bundle_bytes {
                return Err(UpdateError::TooLarge(self.inner.config.max_bundle_bytes));
            }
            file.write_all(&chunk).await?;
            self.set(Phase::Receiving, 0, "Downloading the bundle", bytes);
        }
        file.sync_all().await?;
        Ok(bytes)
    }

    async fn received(
        &self,
        path: PathBuf,
        written: Result<u64, UpdateError>,
    ) -> Result<Operation, UpdateError> {
        match written {
            Ok(0) => {
                let _ = tokio::fs::remove_file(&path).await;
                self.set(Phase::Failed, 0, "The bundle was empty.", 0);
                Err(UpdateError::Invalid("the bundle was empty".into()))
            }
            Ok(bytes) => {
                self.set(Phase::Installing, 0, "Checking the bundle", bytes);
                let this = self.clone();
                tokio::spawn(async move { this.install(path).await });
                Ok(self.operation())
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&path).await;
                self.set(Phase::Failed, 0, e.to_string(), 0);
                Err(e)
            }
        }
    }

    async fn install(&self, path: PathBuf) {
        let outcome = self.install_verified(&path).await;
        let _ = tokio::fs::remove_file(&path).await;
        if let Err(e) = outcome {
            let (version, reason) = match e {
                (version, UpdateError::Rauc(RaucError::Refused(why))) => (version, why),
                (version, other) => (version, other.to_string()),
            };
            tracing::warn!(%reason, "An update bundle was refused.");
            let event = UpdateEvent {
                at: self.inner.clock.now_text(),
                kind: "refused".into(),
                version,
                slot: None,
                detail: reason.clone(),
            };
            if let Err(e) = self.record(event).await {
                tracing::error!(error = %e, "Cannot record the refused update.");
            }
            self.set(Phase::Failed, 100, for_people(&reason), 0);
        }
    }

    async fn install_verified(
        &self,
        path: &std::path::Path,
    ) -> Result<(), (Option<String>, UpdateError)> {
        let rauc = self.rauc().map_err(|e| (None, e))?;
        let info = rauc.info(path).await.map_err(|e| (None, e.into()))?;
        let version = info.version.clone();
        let before = rauc
            .status()
            .await
            .map_err(|e| (version.clone(), e.into()))?;
        let label = version.as_deref().unwrap_or("?").to_string();
        let installed = rauc
            .install(path, |percent, message| {
                self.set(
                    Phase::Installing,
                    percent,
                    format!("Version {label}: {message}"),
                    0,
                )
            })
            .await;
        installed.map_err(|e| (version.clone(), e.into()))?;
        let after = rauc
            .status()
            .await
            .map_err(|e| (version.clone(), e.into()))?;
        let target = after
            .boot_primary
            .as_deref()
            .and_then(|p| after.slot(p))
            .ok_or_else(|| {
                let e = UpdateError::Invalid("RAUC names no slot to boot next".into());
                (version.clone(), e)
            })?;
        let booted = before.booted_slot();
        let pending = Pending {
            slot: target.name.clone(),
            bootname: target.bootname.clone(),
            version: version.clone(),
            from_slot: booted.as_ref().map(|b| b.bootname.clone()),
            from_version: self.status().await.ok().and_then(|s| s.system_version),
            at: self.inner.clock.now_text(),
        };
        let event = UpdateEvent {
            at: pending.at.clone(),
            kind: "installed".into(),
            version: version.clone(),
            slot: Some(target.bootname.clone()),
            detail: format!(
                "Version {label} is in slot {}; it starts at the next restart.",
                target.bootname
            ),
        };
        let store = self.inner.store.clone();
        store
            .write(move |c| -> Result<(), UpdateError> {
                db::set_pending(c, &pending)?;
                Ok(db::record(c, &event.at, &event)?)
            })
            .await
            .map_err(|e| (version.clone(), e))?;
        tracing::info!(version = %label, slot = %target.bootname, "Update installed; a restart starts it.");
        self.set(
            Phase::Installed,
            100,
            format!(
                "Version {label} is installed in slot {}. Restart to start it.",
                target.bootname
            ),
            0,
        );
        Ok(())
    }
}

/// What a refusal means to the person who gave the bundle, with RAUC's own words after it
/// for whoever looks deeper.
fn for_people(reason: &str) -> String {
    let said = if reason.contains("signature verification failed") && !reason.contains("CMS") {
        "This bundle is not signed with this hub's release key, so nothing was installed."
    } else if reason.contains("signature")
        || reason.contains("corrupt")
        || reason.contains("Verification failed")
        // dm-verity answers a block that is not what was signed with EIO mid-install.
        || reason.contains("Input/output error")
    {
        "This bundle is damaged (it is not what was signed), so nothing was installed. Download it again."
    } else if reason.contains("ompatible") {
        "This bundle is for another kind of box, so nothing was installed."
    } else {
        "The update was not installed."
    };
    format!("{said} ({reason})")
}

#[cfg(test)]
mod tests {
    #[test]
    fn refusals_read_as_what_they_mean() {
        let foreign = super::for_people(
            "signature verification failed: Verify error: self-signed certificate",
        );
        assert!(foreign.starts_with("This bundle is not signed with this hub's release key"));
        let flipped = super::for_people(
            "signature verification failed: error:1700009E:CMS routines::verification failure",
        );
        assert!(flipped.starts_with("This bundle is damaged"));
        let verity = super::for_people(
            "Verification failed at position 2998272: bundle payload is corrupted",
        );
        assert!(verity.starts_with("This bundle is damaged"), "{verity}");
        let eio = super::for_people(
            "Installation error: Failed updating slot rootfs.0: Failed splicing data: Error reading from file: Input/output error",
        );
        assert!(eio.starts_with("This bundle is damaged"), "{eio}");
        assert!(
            super::for_people("Compatible mismatch: expected 'a', got 'b'")
                .contains("another kind of box")
        );
    }
}
