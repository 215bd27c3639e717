//! What a hub and `hub-relay` say to each other over the hub link (MQTT 3.1.1): the hub's
//! identity and credential, the topics each side may use, and the frames that carry a
//! browser's connection through the link.
//!
//! Both sides build on this crate so that the format exists once.

pub mod credential;
pub mod frame;
pub mod topics;

pub use credential::{CredentialError, HubId, HubKey};
pub use frame::{Frame, FrameError, FrameKind};
