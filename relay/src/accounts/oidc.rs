//! Sign-in with OpenID Connect providers named in the relay's configuration (Google, or any
//! provider by its issuer): the authorization code flow with PKCE (RFC 7636), `state`
//! bound to the browser by a cookie and spent once, and the ID token's signature, issuer,
//! audience, expiry and `nonce` checked (OpenID Connect Core 1.0 §3.1.3.7) by the
//! `openidconnect` crate. The provider's metadata comes from its discovery document.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use crate::config::OidcProvider;

/// How long a sign-in may take at the provider.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// Sign-ins under way at once, across everyone (each is a few hundred bytes).
const MAX_PENDING: usize = 10_000;
/// How long a provider's discovery document is trusted before it is fetched again.
const METADATA_FOR: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("no sign-in provider is called {0:?}")]
    UnknownProvider(String),
    #[error("the sign-in was not started here, took too long, or was used already")]
    UnknownState,
    #[error("too many sign-ins are under way; try again in a minute")]
    Busy,
    #[error("the provider's configuration: {0}")]
    Config(String),
    #[error("the provider could not be reached or refused: {0}")]
    Provider(String),
    #[error("the provider's ID token does not verify: {0}")]
    Token(String),
    #[error("the provider did not give a confirmed e-mail address")]
    NoVerifiedEmail,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub provider: String,
    pub subject: String,
    pub email: String,
}

struct Pending {
    provider: String,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    started: Instant,
}

#[derive(Clone)]
pub struct Oidc {
    providers: Arc<Vec<OidcProvider>>,
    /// The relay's public address: the callback is `<it>/auth/oidc/<id>/callback`.
    public_url: String,
    http: openidconnect::reqwest::Client,
    pending: Arc<Mutex<HashMap<String, Pending>>>,
    metadata: Arc<Mutex<HashMap<String, (CoreProviderMetadata, Instant)>>>,
}

impl Oidc {
    pub fn new(providers: Vec<OidcProvider>, public_url: String) -> Result<Oidc, OidcError> {
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects would let a provider's answer send the relay elsewhere.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| OidcError::Config(e.to_string()))?;
        Ok(Oidc {
            providers: Arc::new(providers),
            public_url,
            http,
            pending: Arc::default(),
            metadata: Arc::default(),
        })
    }

    /// The providers to offer: (id, name).
    pub fn offered(&self) -> Vec<(String, String)> {
        self.providers
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect()
    }

    fn provider(&self, id: &str) -> Result<&OidcProvider, OidcError> {
        self.providers
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| OidcError::UnknownProvider(id.to_owned()))
    }

    async fn client(
        &self,
        provider: &OidcProvider,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let cached = {
            let cache = self.metadata.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .get(&provider.id)
                .filter(|(_, at)| at.elapsed() < METADATA_FOR)
                .map(|(m, _)| m.clone())
        };
        let metadata = match cached {
            Some(m) => m,
            None => {
                let issuer = IssuerUrl::new(provider.issuer.clone())
                    .map_err(|e| OidcError::Config(e.to_string()))?;
                let m = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| OidcError::Provider(e.to_string()))?;
                self.metadata
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(provider.id.clone(), (m.clone(), Instant::now()));
                m
            }
        };
        let redirect = RedirectUrl::new(format!(
            "{}/auth/oidc/{}/callback",
            self.public_url, provider.id
        ))
        .map_err(|e| OidcError::Config(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(provider.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in with provider `id`: where to send the browser, and the `state` to
    /// keep in its cookie.
    pub async fn start(&self, id: &str) -> Result<(String, String), OidcError> {
        let provider = self.provider(id)?;
        let client = self.client(provider).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, p| p.started.elapsed() < PENDING_FOR);
        if pending.len() >= MAX_PENDING {
            return Err(OidcError::Busy);
        }
        pending.insert(
            state.secret().clone(),
            Pending {
                provider: id.to_owned(),
                nonce,
                verifier,
                started: Instant::now(),
            },
        );
        Ok((url.to_string(), state.secret().clone()))
    }

    /// Finishes a sign-in: `state` must be one this relay started for this browser
    /// (`cookie_state`) and provider, unused; the code is exchanged with the PKCE verifier
    /// and the ID token verified.
    pub async fn finish(
        &self,
        id: &str,
        code: &str,
        state: &str,
        cookie_state: Option<&str>,
    ) -> Result<Identity, OidcError> {
        // Spent whatever follows: a replayed callback finds nothing.
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(state)
            .ok_or(OidcError::UnknownState)?;
        let bound = cookie_state.is_some_and(|c| constant_time_eq(c.as_bytes(), state.as_bytes()));
        if !bound || pending.provider != id || pending.started.elapsed() >= PENDING_FOR {
            return Err(OidcError::UnknownState);
        }
        let provider = self.provider(id)?;
        let client = self.client(provider).await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(pending.verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| OidcError::Token("no ID token in the answer".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &pending.nonce)
            .map_err(|e| OidcError::Token(e.to_string()))?;
        let subject = claims.subject().clone();
        let email = match (claims.email(), claims.email_verified()) {
            (Some(email), Some(true)) => email.as_str().to_owned(),
            // With an access token issued, providers may keep the address for the UserInfo
            // endpoint (OpenID Connect Core 1.0 §5.4): ask there, for this subject only.
            _ => {
                let info: openidconnect::core::CoreUserInfoClaims = client
                    .user_info(tokens.access_token().clone(), Some(subject.clone()))
                    .map_err(|e| OidcError::Config(e.to_string()))?
                    .request_async(&self.http)
                    .await
                    .map_err(|e| OidcError::Provider(e.to_string()))?;
                match (info.email(), info.email_verified()) {
                    (Some(email), Some(true)) => email.as_str().to_owned(),
                    _ => return Err(OidcError::NoVerifiedEmail),
                }
            }
        };
        Ok(Identity {
            provider: id.to_owned(),
            subject: subject.as_str().to_owned(),
            email,
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
