//! What the registry refuses or could not do, typed; the API chooses the HTTP answers.

use device_drivers::DriverError;

use super::MAX_DEVICES;

/// What the registry refuses or could not do.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A field, setting or grant that is not right; the text says which.
    #[error("{0}")]
    Invalid(String),
    /// A brand without discovery here, or a command the kind cannot do.
    #[error("{0}")]
    Unsupported(String),
    /// The brand's grant has no key for the device.
    #[error("{0}")]
    NoKey(String),
    #[error("not found")]
    NotFound,
    #[error("that device is already on the list")]
    AlreadyListed,
    #[error("the hub drives at most {MAX_DEVICES} devices")]
    Full,
    /// The device did not do what was asked: offline, bad key, not confirmed; `code` names
    /// which (`device_offline`, `bad_key`, `not_confirmed`, `unsupported`, `refused`, or the
    /// cloud's name).
    #[error("{message}")]
    Driver { code: &'static str, message: String },
    /// Discovery or the vault failed.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl From<rusqlite::Error> for DeviceError {
    fn from(e: rusqlite::Error) -> Self {
        DeviceError::Store(crate::store::StoreError::from(e))
    }
}

/// A driver's failure as the registry reports it, with its code.
pub(super) fn device_error(e: DriverError) -> DeviceError {
    let code = match e {
        DriverError::Offline(_) | DriverError::Closed => "device_offline",
        DriverError::BadKey(_) => "bad_key",
        DriverError::NotConfirmed(_) => "not_confirmed",
        DriverError::Unsupported(_) => "unsupported",
        DriverError::Refused(_) => "refused",
    };
    DeviceError::Driver {
        code,
        message: e.to_string(),
    }
}
