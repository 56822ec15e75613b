-- Core tables of SPEC §3. Every table is a ReplacingMergeTree whose sort key is the full identity
-- of a fact (including the event id that stated it), so re-delivered or replayed events collapse
-- and the logical content (read with FINAL, or by DISTINCT/argMax) never changes.
-- Times are epoch milliseconds in UInt64 (18.16 has no DateTime64). Runs on 18.16 and 24+.

CREATE TABLE IF NOT EXISTS events_raw (
    project String,
    event_id String,
    time UInt64,
    producer String,
    schema_version UInt16,
    payload_type Enum8('entity' = 1, 'activity' = 2, 'agent' = 3, 'relation' = 4, 'property' = 5, 'metric' = 6),
    subject String,
    body String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(time, 1000)))
ORDER BY (project, event_id);

CREATE TABLE IF NOT EXISTS vertices (
    project String,
    id String,
    kind Enum8('entity' = 1, 'activity' = 2, 'agent' = 3),
    valid_from UInt64,
    event_id String,
    artifact String,
    version Nullable(UInt32),
    content_hash String,
    entity_type String,
    size_bytes Nullable(UInt64),
    name String,
    command String,
    status String,
    start_time Nullable(UInt64),
    end_time Nullable(UInt64),
    exit_code Nullable(Int32),
    workdir String,
    params Nested(key String, value String),
    env Nested(key String, value String),
    agent_type String,
    email String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(valid_from, 1000)))
ORDER BY (project, id, valid_from, event_id);

CREATE TABLE IF NOT EXISTS edges (
    project String,
    type Enum8('used' = 1, 'wasGeneratedBy' = 2, 'wasDerivedFrom' = 3, 'wasRevisionOf' = 4, 'wasInformedBy' = 5, 'wasAssociatedWith' = 6, 'wasAttributedTo' = 7, 'actedOnBehalfOf' = 8),
    src String,
    dst String,
    role String,
    valid_from UInt64,
    event_id String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(valid_from, 1000)))
ORDER BY (project, src, type, dst, valid_from, event_id);

-- The same edges in the destination's sort order, for downstream (impact) queries.
CREATE TABLE IF NOT EXISTS edges_by_dst (
    project String,
    type Enum8('used' = 1, 'wasGeneratedBy' = 2, 'wasDerivedFrom' = 3, 'wasRevisionOf' = 4, 'wasInformedBy' = 5, 'wasAssociatedWith' = 6, 'wasAttributedTo' = 7, 'actedOnBehalfOf' = 8),
    src String,
    dst String,
    role String,
    valid_from UInt64,
    event_id String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(valid_from, 1000)))
ORDER BY (project, dst, type, src, valid_from, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS edges_by_dst_mv TO edges_by_dst
AS SELECT project, type, src, dst, role, valid_from, event_id FROM edges;

CREATE TABLE IF NOT EXISTS properties (
    project String,
    subject String,
    key String,
    value_type Enum8('string' = 1, 'number' = 2, 'bool' = 3, 'json' = 4),
    value_string String,
    value_number Float64,
    value_bool UInt8,
    valid_from UInt64,
    event_id String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(valid_from, 1000)))
ORDER BY (project, subject, key, valid_from, event_id);

CREATE TABLE IF NOT EXISTS metrics (
    project String,
    subject String,
    key String,
    step Int64,
    value Float64,
    time UInt64,
    event_id String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(time, 1000)))
ORDER BY (project, subject, key, step, time, event_id);

-- Invalid events (SPEC §3): also on the dead-letter topic; here for SQL. Keyed by source offset.
CREATE TABLE IF NOT EXISTS dead_letters (
    source_topic String,
    source_partition Int32,
    source_offset Int64,
    time UInt64,
    reason_code String,
    reason String,
    event_id String,
    project String,
    payload_base64 String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(time, 1000)))
ORDER BY (source_topic, source_partition, source_offset);
