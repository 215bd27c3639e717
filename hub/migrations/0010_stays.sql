-- My reservation on the guest page (GUEST-5): the per-stay links the hotel sends, kept as
-- hashes. A link works while its stay does (until check-out); the stay decides, not a
-- date copied here.
CREATE TABLE stay_links (
    token_hash TEXT PRIMARY KEY,
    reservation_id INTEGER NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX stay_links_of ON stay_links (reservation_id);
