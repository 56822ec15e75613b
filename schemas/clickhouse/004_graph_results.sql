-- Results of the graph service's segment and summarize operators (SPEC §3 "segment/summary result
-- tables", §5, §6), queryable by SQL. One row per query in graph_queries; the result rows share its
-- query_id, a deterministic hash of (operation, project, request, graph epoch, graph version), so
-- storing the same answer twice collapses. No time partitioning: ReplacingMergeTree only collapses
-- within a partition, and a re-stored answer would carry a new created_at. Runs on 18.16 and 24+.

CREATE TABLE IF NOT EXISTS graph_queries (
    query_id String,
    project String,
    operation Enum8('segment' = 1, 'summarize' = 2),
    -- the request with resolved vertex ids, as canonical JSON
    request String,
    graph_epoch String,
    graph_version UInt64,
    created_at UInt64,
    took_ms UInt32,
    -- result size: segment vertices / edges, or summary vertices / edges
    vertices UInt32,
    edges UInt32,
    -- summarize only
    input_vertices Nullable(UInt32),
    input_edges Nullable(UInt32),
    compaction Nullable(Float64),
    rounds Nullable(UInt32),
    stable Nullable(UInt8),
    path_check_length Nullable(UInt32),
    path_check_ok Nullable(UInt8)
) ENGINE = ReplacingMergeTree(created_at)
ORDER BY (project, query_id);

-- Vertices of a segment result (segment = 0), or of each segment a summarize query computed
-- (segment = its index in the request), with the role and distances of SPEC §5.
CREATE TABLE IF NOT EXISTS segment_results (
    query_id String,
    project String,
    segment UInt32,
    graph_epoch String,
    graph_version UInt64,
    vertex_id String,
    kind Enum8('entity' = 1, 'activity' = 2, 'agent' = 3),
    label String,
    role Enum8('source' = 1, 'destination' = 2, 'core' = 3, 'similar' = 4, 'expansion' = 5),
    to_source Nullable(UInt32),
    from_destination Nullable(UInt32),
    match_length Nullable(UInt32),
    hops Nullable(UInt32)
) ENGINE = ReplacingMergeTree
ORDER BY (project, query_id, segment, vertex_id);

CREATE TABLE IF NOT EXISTS segment_edges (
    query_id String,
    project String,
    segment UInt32,
    type Enum8('used' = 1, 'wasGeneratedBy' = 2, 'wasDerivedFrom' = 3, 'wasRevisionOf' = 4, 'wasInformedBy' = 5, 'wasAssociatedWith' = 6, 'wasAttributedTo' = 7, 'actedOnBehalfOf' = 8),
    src String,
    dst String,
    time UInt64
) ENGINE = ReplacingMergeTree
ORDER BY (project, query_id, segment, src, type, dst);

-- Summary vertices (SPEC §6): label, frequencies and min/max/mean of numeric member properties.
CREATE TABLE IF NOT EXISTS summary_vertices (
    query_id String,
    project String,
    graph_epoch String,
    graph_version UInt64,
    block UInt32,
    kind Enum8('entity' = 1, 'activity' = 2, 'agent' = 3),
    label String,
    label_values String,
    members UInt32,
    segments UInt32,
    vertex_ids Array(String),
    numeric Nested(key String, count UInt32, min Float64, max Float64, mean Float64)
) ENGINE = ReplacingMergeTree
ORDER BY (project, query_id, block);

CREATE TABLE IF NOT EXISTS summary_edges (
    query_id String,
    project String,
    type Enum8('used' = 1, 'wasGeneratedBy' = 2, 'wasDerivedFrom' = 3, 'wasRevisionOf' = 4, 'wasInformedBy' = 5, 'wasAssociatedWith' = 6, 'wasAttributedTo' = 7, 'actedOnBehalfOf' = 8),
    src_block UInt32,
    dst_block UInt32,
    frequency UInt32,
    segments UInt32
) ENGINE = ReplacingMergeTree
ORDER BY (project, query_id, src_block, type, dst_block);
