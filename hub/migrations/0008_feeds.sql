-- Channel feeds that never destroy what they cannot see (BOOK-1): how many answers in a
-- row a feed's stay has been missing from (cancelled only at two), what the last import
-- did beside the feed, and each reservation's history of what changed it and why.
ALTER TABLE reservations ADD COLUMN feed_missing INTEGER NOT NULL DEFAULT 0;
-- JSON: the last successful import's report (stays, skipped and unreadable events, kept
-- and cancelled stays).
ALTER TABLE rooms ADD COLUMN ical_report TEXT NOT NULL DEFAULT '';
CREATE TABLE reservation_history (
    id INTEGER PRIMARY KEY,
    reservation_id INTEGER NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    -- manual, ical or pms: who changed it.
    source TEXT NOT NULL,
    what TEXT NOT NULL
);
CREATE INDEX reservation_history_of ON reservation_history (reservation_id, id);
