//! The owners' e-mail: address confirmation and password reset links, sent over SMTP
//! (lettre) or written as `.eml` files into a pickup directory.

use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailConfig;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no way to send e-mail is configured ([mail] smtp_host or pickup_dir)")]
    NotConfigured,
    #[error("bad address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("pickup directory: {0}")]
    File(#[from] lettre::transport::file::Error),
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Pickup(AsyncFileTransport<Tokio1Executor>),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Option<Transport>,
    from: Option<Mailbox>,
}

impl Mailer {
    pub fn from_config(config: &MailConfig) -> Result<Mailer, MailError> {
        let transport = if !config.smtp_host.is_empty() {
            let builder = match config.security.as_str() {
                "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.smtp_host)?,
                "none" => {
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.smtp_host)
                }
                _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.smtp_host)?,
            };
            let mut builder = builder
                .port(if config.smtp_port == 0 {
                    587
                } else {
                    config.smtp_port
                })
                .timeout(Some(std::time::Duration::from_secs(20)));
            if !config.username.is_empty() {
                builder = builder.credentials(Credentials::new(
                    config.username.clone(),
                    config.password.clone(),
                ));
            }
            Some(Transport::Smtp(builder.build()))
        } else {
            config
                .pickup_dir
                .as_ref()
                .map(|dir| Transport::Pickup(AsyncFileTransport::new(dir)))
        };
        let from = if config.from.is_empty() {
            "Hotel Hub relay <relay@localhost>".parse()?
        } else {
            config.from.parse()?
        };
        Ok(Mailer {
            transport,
            from: Some(from),
        })
    }

    /// Whether e-mail can go out at all.
    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let (Some(transport), Some(from)) = (&self.transport, &self.from) else {
            return Err(MailError::NotConfigured);
        };
        let message = Message::builder()
            .from(from.clone())
            .to(to.parse()?)
            .subject(subject)
            // MIME-Version and `text/plain; charset=utf-8` (RFC 2045 §4, RFC 2046 §4.1.2).
            .singlepart(SinglePart::plain(body))?;
        match transport {
            Transport::Smtp(t) => {
                t.send(message).await?;
            }
            Transport::Pickup(t) => {
                t.send(message).await?;
            }
        }
        Ok(())
    }
}
