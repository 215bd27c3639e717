-- Each kiosk's idle screen (DESK-2, the admin app's settings per tablet): which codes it
-- shows, whether guests may call from it, and a note of the owner's under the clock.
ALTER TABLE kiosks ADD COLUMN show_wifi INTEGER NOT NULL DEFAULT 1;
ALTER TABLE kiosks ADD COLUMN show_guide INTEGER NOT NULL DEFAULT 1;
ALTER TABLE kiosks ADD COLUMN calls INTEGER NOT NULL DEFAULT 1;
ALTER TABLE kiosks ADD COLUMN note TEXT NOT NULL DEFAULT '';
