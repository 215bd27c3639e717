//! The end-to-end suite in one test binary: every module drives the real hub binary with real
//! peers. One binary links the hub once instead of once per file (each link was ~118 MB and
//! several seconds on two cores).

mod access;
mod availability;
mod bad_input;
mod bookings;
mod broker;
mod browser;
mod calls;
mod chat_delivery;
mod chat_flow;
mod chat_identify;
mod chat_isolation;
mod chat_mail;
mod crash;
mod device_changes;
mod devices_discovery;
mod devices_ewelink;
mod devices_hub;
mod devices_miio;
mod devices_mqtt;
mod devices_smartthings;
mod devices_tuya;
mod exposure;
mod field_bookings;
mod field_devices;
mod gpio;
mod kiosk;
mod mdns;
mod messengers;
mod messengers_staff;
mod plates;
mod push;
mod reception;
mod relay;
mod relay_cluster;
mod relay_owners;
mod relay_turn;
mod scenarios_devices;
mod scenarios_modes;
mod scenarios_restart;
mod scenarios_seed;
mod schemathesis;
mod systemd;
mod updates;
mod weather;
