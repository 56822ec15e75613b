-- Fileviews (SPEC §4; services/fileview/README.md). The rows a fileview version yields for one
-- entity version, written by ingest from `fileview.rows:<view>` property events.
-- A row's identity is (project, view, entity_id, view_version, row_number): the same view version
-- over the same content yields the same rows, so replays and re-evaluations collapse (the latest
-- by valid_from wins). No PARTITION BY on purpose: ReplacingMergeTree collapses only within a
-- partition, and a re-evaluation may come months after the first. Read with FINAL.
-- Columns are Nested(key, value) (18.16 has no Map): value of column c is
-- columns.value[indexOf(columns.key, 'c')]. Runs on 18.16 and 24+.

CREATE TABLE IF NOT EXISTS fileview_rows (
    project String,
    view String,
    view_version UInt32,
    view_id String,
    entity_id String,
    artifact String,
    row_number UInt32,
    columns Nested(key String, value String),
    valid_from UInt64,
    event_id String
) ENGINE = ReplacingMergeTree(valid_from)
ORDER BY (project, view, entity_id, view_version, row_number);

-- One line per cell, for plain SQL: SELECT artifact, value FROM fileview_cells WHERE view = 'm' AND column = 'accuracy'.
CREATE VIEW IF NOT EXISTS fileview_cells AS
SELECT project, view, view_version, view_id, entity_id, artifact, row_number, columns.key AS column, columns.value AS value, valid_from
FROM fileview_rows FINAL ARRAY JOIN columns;
