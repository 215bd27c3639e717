-- Documents scanned at check-in (DESK-5): the image itself is a file encrypted with the
-- hub's scan key (scans/<id>.scan); a row outlives its image (deleted_at), so the record of
-- who took and who viewed it stays.
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    call_id INTEGER,
    kiosk_name TEXT NOT NULL,
    asked_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    asked_by_name TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    reservation_id INTEGER,
    delete_after TEXT NOT NULL,
    deleted_at TEXT
);

CREATE TABLE scan_views (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL,
    member_id INTEGER,
    member_name TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX scan_views_scan ON scan_views (scan_id);

CREATE TABLE scan_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    retention_days INTEGER NOT NULL
);
