-- Smart devices: what the hub drives, per brand, with the secrets that open them sealed
-- by a key kept beside the database (a copy of the file alone opens nothing), and the
-- per-brand access the owner granted (key lists, tokens).

CREATE TABLE devices (
    -- Short and topic-safe: it names the device's MQTT topics (hub/devices/<id>/…).
    id TEXT PRIMARY KEY,
    brand TEXT NOT NULL CHECK (brand IN ('tuya', 'ewelink', 'miio', 'smartthings', 'tasmota', 'zigbee2mqtt', 'shelly')),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    room_id INTEGER REFERENCES rooms(id) ON DELETE SET NULL,
    -- The device's own id in its protocol (gwId, deviceid, did, topic…).
    native_id TEXT NOT NULL,
    -- host:port on the LAN, empty for cloud and MQTT devices.
    address TEXT NOT NULL DEFAULT '',
    -- Protocol settings that are not secret (version, data-point map), JSON.
    settings TEXT NOT NULL DEFAULT '{}',
    -- nonce ‖ AES-256-GCM(local key / devicekey / token); NULL when none is needed.
    secret BLOB,
    -- The last uniform state seen, JSON, so cards show something while links come up.
    state TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    UNIQUE (brand, native_id)
);

CREATE TABLE device_grants (
    brand TEXT PRIMARY KEY,
    -- nonce ‖ AES-256-GCM(JSON: {"keys": {native id: key}} or {"token", "base_url"}).
    secret BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
