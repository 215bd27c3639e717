//! Approximate location for the visitor card (CHAT-8) from an optional GeoIP2 / GeoLite2
//! City database (`[chat] geoip_database`). Without one, or for an address it does not know,
//! the location is unknown (empty), never guessed.

use std::net::IpAddr;
use std::path::Path;

pub struct GeoIp(Option<maxminddb::Reader<Vec<u8>>>);

impl GeoIp {
    pub fn none() -> GeoIp {
        GeoIp(None)
    }

    /// Opens the database; a missing or broken file is logged and leaves locations unknown.
    pub fn open(path: Option<&Path>) -> GeoIp {
        let Some(path) = path else {
            return GeoIp(None);
        };
        match maxminddb::Reader::open_readfile(path) {
            Ok(reader) => GeoIp(Some(reader)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "The GeoIP database cannot be read; visitor locations stay unknown.");
                GeoIp(None)
            }
        }
    }

    /// "City, Country", "Country", or empty when unknown.
    pub fn locate(&self, ip: IpAddr) -> String {
        let Some(reader) = &self.0 else {
            return String::new();
        };
        let city: maxminddb::geoip2::City<'_> = match reader.lookup(ip) {
            Ok(Some(c)) => c,
            _ => return String::new(),
        };
        let name = |names: Option<&std::collections::BTreeMap<&str, &str>>| {
            names
                .and_then(|n| n.get("en").copied())
                .unwrap_or_default()
                .to_owned()
        };
        let town = name(city.city.as_ref().and_then(|c| c.names.as_ref()));
        let country = name(city.country.as_ref().and_then(|c| c.names.as_ref()));
        match (town.is_empty(), country.is_empty()) {
            (false, false) => format!("{town}, {country}"),
            (true, false) => country,
            (false, true) => town,
            (true, true) => String::new(),
        }
    }
}
