//! Attachments: files guests and staff send in a dialogue, kept under
//! `<data>/attachments/` by a random name, limited in size, their type decided by their
//! content (an allow-list), and served only to the dialogue's guest and to staff who see it.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use super::ChatError;

/// Why an upload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileRefused {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than this hub accepts")]
    TooLarge,
    #[error("allowed are PNG, JPEG, GIF and WebP images, PDF and plain text")]
    Type,
}

/// A file written to disk, not yet part of a dialogue.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub stored_name: String,
    pub file_name: String,
    pub content_type: &'static str,
    pub size: i64,
}

pub struct Stored {
    pub dialogue_id: i64,
    pub stored_name: String,
    pub file_name: String,
    pub content_type: String,
}

/// The allowed types, recognised by their first bytes.
pub(super) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
    ];
    for (magic, kind) in SIGNATURES {
        if bytes.starts_with(magic) {
            return Some(kind);
        }
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        return Some("text/plain; charset=utf-8");
    }
    None
}

fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if cleaned.trim().is_empty() {
        "file".into()
    } else {
        cleaned.trim().to_owned()
    }
}

pub(super) fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("attachments")
}

/// Checks and writes the file; the caller links it to a message in its transaction.
pub(super) async fn save(
    data_dir: &Path,
    bytes: &[u8],
    file_name: &str,
    max: usize,
) -> Result<NewAttachment, ChatError> {
    if bytes.is_empty() {
        return Err(ChatError::File(FileRefused::Empty));
    }
    if bytes.len() > max {
        return Err(ChatError::File(FileRefused::TooLarge));
    }
    let content_type = sniff(bytes).ok_or(ChatError::File(FileRefused::Type))?;
    let dir = dir(data_dir);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| ChatError::Disk(format!("cannot create {}: {e}", dir.display())))?;
    let stored_name = crate::secret::new_token();
    let path = dir.join(&stored_name);
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| ChatError::Disk(format!("cannot write {}: {e}", path.display())))?;
    Ok(NewAttachment {
        stored_name,
        file_name: clean_file_name(file_name),
        content_type,
        size: bytes.len() as i64,
    })
}

/// Removes a saved file whose message was refused.
async fn discard(data_dir: &Path, a: &NewAttachment) {
    let _ = tokio::fs::remove_file(dir(data_dir).join(&a.stored_name)).await;
}

/// A message carrying a file: checks and saves the upload, lets `post` store the message
/// (the file's name is its body), and removes the file again if the message was refused
/// or was a resend of one already stored.
pub(super) async fn post_with_file<F, Fut>(
    data_dir: &Path,
    max: usize,
    bytes: &[u8],
    file_name: &str,
    post: F,
) -> Result<super::service::Posted, ChatError>
where
    F: FnOnce(String, NewAttachment) -> Fut,
    Fut: std::future::Future<Output = Result<super::service::Posted, ChatError>>,
{
    let saved = save(data_dir, bytes, file_name, max).await?;
    match post(saved.file_name.clone(), saved.clone()).await {
        Ok(p) => {
            if p.duplicate {
                discard(data_dir, &saved).await;
            }
            Ok(p)
        }
        Err(e) => {
            discard(data_dir, &saved).await;
            Err(e)
        }
    }
}

pub(super) fn insert(
    conn: &Connection,
    dialogue_id: i64,
    a: &NewAttachment,
    now: &str,
) -> Result<i64, ChatError> {
    conn.execute(
        "INSERT INTO attachments (dialogue_id, stored_name, file_name, content_type, size, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![dialogue_id, a.stored_name, a.file_name, a.content_type, a.size, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn lookup(conn: &Connection, id: i64) -> Result<Stored, ChatError> {
    conn.query_row(
        "SELECT dialogue_id, stored_name, file_name, content_type FROM attachments WHERE id = ?1",
        [id],
        |r| {
            Ok(Stored {
                dialogue_id: r.get(0)?,
                stored_name: r.get(1)?,
                file_name: r.get(2)?,
                content_type: r.get(3)?,
            })
        },
    )
    .optional()?
    .ok_or(ChatError::NoSuchDialogue)
}

/// The stored file's bytes; [`ChatError::NoSuchDialogue`] when it is gone from disk.
pub(super) async fn read(data_dir: &Path, a: &Stored) -> Result<Vec<u8>, ChatError> {
    tokio::fs::read(dir(data_dir).join(&a.stored_name))
        .await
        .map_err(|_| ChatError::NoSuchDialogue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content_not_the_name() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            sniff("hello, guest".as_bytes()),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(sniff(b"MZ\x90\0\x03\0"), None, "an executable is refused");
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0"), None);
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\x\\photo \"1\".png"), "photo 1.png");
    }
}
