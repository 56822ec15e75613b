-- Alerts raised by the monitor (SPEC §4, issue 5). One row per alert, keyed by alert_id: the
-- monitor delivers at least once (after a crash an alert can be written twice, with the same
-- alert_id), and ReplacingMergeTree collapses the repeats. Read with FINAL (or uniqExact(alert_id)).
-- alert_id determines project and time, so a repeat always lands in the same partition and sort
-- key. Times are epoch ms (UInt64). Runs on ClickHouse 18.16 and 24+.

CREATE TABLE IF NOT EXISTS alerts (
    project String,
    alert_id String,
    rule_id String,
    kind String,
    severity Enum8('info' = 1, 'warning' = 2, 'critical' = 3),
    time UInt64,
    subject String,
    dedup_key String,
    message String,
    value_json String,
    threshold_json String,
    details_json String,
    event_ids Array(String),
    vertex_ids Array(String),
    notify Array(String),
    recorded_at UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(time, 1000)))
ORDER BY (project, alert_id);

-- Webhook deliveries that failed for good (bounded retries exhausted, or a 4xx answer): the
-- alert itself is in `alerts`; this says who did not hear about it and why.
CREATE TABLE IF NOT EXISTS alert_webhook_failures (
    alert_id String,
    rule_id String,
    url String,
    attempts UInt32,
    status Int32,
    error String,
    time UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(time, 1000)))
ORDER BY (alert_id, url);
