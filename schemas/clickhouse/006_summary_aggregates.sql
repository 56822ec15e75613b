-- SPEC §6: every summary vertex and edge carries aggregated properties. Vertices had numeric
-- aggregates only; now also the values of their string and boolean properties (value_keys: per
-- property, members that have it and distinct values; top_values: its most frequent values,
-- at most 5 per property, booleans as 'true' / 'false'). Edges get the min / max / mean of the
-- times (epoch ms) of the input edges they stand for. Rows stored before this read as empty
-- arrays and zeros. Plain ADD COLUMN (18.16 has no IF NOT EXISTS here; the runner applies each
-- migration once).
ALTER TABLE summary_vertices ADD COLUMN value_keys Nested(key String, count UInt32, distinct UInt32), ADD COLUMN top_values Nested(key String, value String, count UInt32);
ALTER TABLE summary_edges ADD COLUMN time_min Int64, ADD COLUMN time_max Int64, ADD COLUMN time_mean Float64;
