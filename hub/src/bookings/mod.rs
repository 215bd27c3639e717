//! Rooms and units of the property. Reservations, iCal import and occupancy join here with
//! their own issue; for now it holds the rooms that everything else is tagged with.

pub mod rooms;
