-- Which summary vertex (block) each input node of a summarize query went to: one row per
-- (segment, vertex) of the input, segment = its index in the request (explicit vertex lists
-- included), so SQL can join summary_vertices to segment_results or to the graph tables.
CREATE TABLE IF NOT EXISTS summary_members (
    query_id String,
    project String,
    segment UInt32,
    vertex_id String,
    block UInt32
) ENGINE = ReplacingMergeTree
ORDER BY (project, query_id, segment, vertex_id);
