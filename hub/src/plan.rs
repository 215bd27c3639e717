//! What a start adds beside the hub's own services, at the points `app::start` offers:
//! nothing for the appliance (`hub run`); the demo property, its emulated devices and its
//! loopback forecast for `hub demo` (`demo.rs`). Part of the wiring: a plan reaches the
//! capabilities through their services.

use std::future::Future;
use std::net::SocketAddr;

use crate::bookings::Bookings;
use crate::broker::Credentials;
use crate::chat::Chat;
use crate::clock::Clock;
use crate::config::WeatherConfig;
use crate::devices::{Devices, DiscoveryScope};
use crate::reception::Reception;
use crate::scenarios::Scenarios;
use crate::team::{Role, Team};

/// An account a plan made with a password chosen for it, printed once at start.
#[derive(Clone)]
pub struct Account {
    pub role: Role,
    pub email: &'static str,
    pub password: String,
}

/// Each step runs once, in this order; every default does nothing.
pub trait Plan: Send + 'static {
    /// After the store, the team, bookings and chat are up: a new store's first content.
    fn seed(
        &mut self,
        _team: &Team,
        _bookings: &Bookings,
        _chat: &Chat,
    ) -> impl Future<Output = anyhow::Result<Option<Vec<Account>>>> + Send {
        async { Ok(None) }
    }

    /// Before the device registry starts: devices to run, and where discovery looks
    /// (`scope` comes set for the LAN).
    fn devices(
        &mut self,
        _scope: &mut DiscoveryScope,
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        async { Ok(()) }
    }

    /// Once the device registry runs.
    fn devices_up(
        &mut self,
        _devices: &Devices,
        _bookings: &Bookings,
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        async { Ok(()) }
    }

    /// Once the broker listens on `addr`.
    fn broker_up(
        &mut self,
        _addr: SocketAddr,
        _credentials: &Credentials,
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        async { Ok(()) }
    }

    /// Before the forecast starts; tasks to stop with the hub.
    fn weather(
        &mut self,
        _config: &mut WeatherConfig,
    ) -> impl Future<Output = anyhow::Result<Vec<tokio::task::JoinHandle<()>>>> + Send {
        async { Ok(Vec::new()) }
    }

    /// Once the Online Reception runs.
    fn reception_up(
        &mut self,
        _reception: &Reception,
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        async { Ok(()) }
    }

    /// Once every service runs.
    fn started(
        &mut self,
        _scenarios: &Scenarios,
        _bookings: &Bookings,
        _devices: &Devices,
        _clock: &Clock,
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        async { Ok(()) }
    }
}

/// The appliance: the hub's own services and nothing else.
pub struct Appliance;

impl Plan for Appliance {}
