-- Owner-written guest texts in more than one language (CHAT-5): the out-of-hours text's
-- translations, tag → text, as JSON. The chat's own texts keep theirs in the chat
-- settings' JSON row, which needs no column.
ALTER TABLE property ADD COLUMN out_of_hours_texts TEXT NOT NULL DEFAULT '{}';
