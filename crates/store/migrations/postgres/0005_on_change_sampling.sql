-- Channels whose readings are written when the value changes (Home Assistant): a value holds
-- until the next one, up to hold_ms. NULL: sampled readings (the gap rule).
ALTER TABLE channels ADD COLUMN hold_ms BIGINT;
