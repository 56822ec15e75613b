-- Events packed in one batch-frame message (schemas/EVOLUTION.md) share its offset: a dead
-- letter is identified by its position in the frame too (0 for single-event messages).
-- 18.16 allows extending the sorting key only with a column added in the same ALTER, without a
-- default expression (Int32 reads as 0 in existing rows).
ALTER TABLE dead_letters ADD COLUMN source_index Int32 AFTER source_offset, MODIFY ORDER BY (source_topic, source_partition, source_offset, source_index);
