//! Outgoing e-mail over SMTP (lettre): invites, chat notices, transcripts and replies. Web Push and messenger
//! notifications join with their own issues.

use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::SmtpConfig;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `None` when no SMTP host is configured.
    pub fn from_config(config: &SmtpConfig) -> Result<Option<Mailer>, MailError> {
        if config.host.is_empty() {
            return Ok(None);
        }
        let builder = match config.security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)?,
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)?,
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(std::time::Duration::from_secs(20)));
        if !config.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                config.username.clone(),
                config.password.clone(),
            ));
        }
        Ok(Some(Mailer {
            transport: builder.build(),
            from: config.from.parse()?,
        }))
    }

    pub async fn send_invite(
        &self,
        to: &str,
        link: &str,
        property: &str,
        inviter: &str,
    ) -> Result<(), MailError> {
        let body = format!(
            "{inviter} invited you to the team of {property} on Hotel Hub.\n\n\
             Open this link to choose your name and password (it works once and expires in a week):\n\n\
             {link}\n\nIf you did not expect this, ignore this e-mail."
        );
        self.send(to, &format!("Join the {property} team"), &body)
            .await
    }

    /// A plain-text e-mail.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse()?)
            .subject(subject)
            // MIME-Version and `text/plain; charset=utf-8`: mail readers show a guest's
            // Cyrillic or accents as written, not guessed (RFC 2045 §4, RFC 2046 §4.1.2).
            .singlepart(SinglePart::plain(body.to_owned()))?;
        self.transport.send(message).await?;
        Ok(())
    }
}
