--
-- dr_events: the DR events of GET /v2/{project_id}/events, read in pages
-- (offset is a page index, limit the page size).  The stand-in's projects
-- "events-<part>-..." shape the pages (test/mock/dws_mock.py): n<N> events
-- (one in three a DR event, newest first, the newest at 1664331248330),
-- base1 (offset counts from 1), dup<K> (page K repeats the end of page
-- K-1), fail<K> / flaky<K> (page K answers 500 always / once), slow<ms>,
-- and pages that are not the API's; x<...> is a nonce.  events_s.pages()
-- asks the stand-in which page indexes it served for a project.
--
\set VERBOSITY default
SET client_min_messages = warning;
CREATE SERVER events_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER events_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA events_s;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_events, dr_clusters)
  FROM SERVER events_dws INTO events_s;
-- pages of 10 events (the page_size table option; the API's is 1000)
CREATE FOREIGN TABLE events_s.ev10 (
  event_id text, occur_time timestamptz, name text, severity text,
  source_type text, source_id text, project_id text
) SERVER events_dws OPTIONS (resource 'dr_events', page_size '10');
CREATE TEMP TABLE mock_stats (j text);
-- the page indexes the stand-in served for a project, sorted (pages run
-- concurrently: their order of arrival varies); the server runs with
-- proxy variables set (scripts/test), which curl must not use
CREATE FUNCTION events_s.pages(project text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  s jsonb;
BEGIN
  TRUNCATE mock_stats;
  COPY mock_stats FROM PROGRAM 'curl -s --noproxy 127.0.0.1 http://127.0.0.1:18931/__mock/stats'
    WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
  SELECT j::jsonb INTO s FROM mock_stats;
  RETURN (SELECT coalesce(string_agg(p, ',' ORDER BY p::int), 'none')
            FROM jsonb_array_elements_text(s->'event_pages'->project) p);
END $$;
RESET client_min_messages;
SET search_path = events_s, public;
SET TimeZone = 'UTC';

--
-- The columns; the fixed events of the main project (one page): only the
-- disaster-recovery ones are rows, cluster and backup events are not.
--
\d dr_events
SELECT event_id, occur_time, name, severity, source_id, status, project_id
  FROM dr_events ORDER BY occur_time DESC;
SELECT source_type, count(*) FROM dr_events GROUP BY 1;
-- every field of an event, as the API sent it (name_space kept in raw)
SELECT display_name, category, source_name, context, description, subject,
       raw->>'name_space' AS name_space, raw->>'project_id' AS api_project
  FROM dr_events WHERE name = 'disasterRecoveryAbnormal';

-- fetched_at: when the event's page was received, in this query; pages of
-- 10 (three for 25 events) are received at different times
SELECT count(*) AS n,
       bool_and(fetched_at >= statement_timestamp() AND fetched_at <= clock_timestamp()) AS this_query
  FROM dr_events;
CREATE FOREIGN TABLE ev10t (event_id text, fetched_at timestamptz, project_id text)
  SERVER events_dws OPTIONS (resource 'dr_events', page_size '10');
SELECT count(*) AS n, count(DISTINCT fetched_at) > 1 AS several_pages,
       bool_and(fetched_at >= statement_timestamp() AND fetched_at <= clock_timestamp()) AS this_query
  FROM ev10t WHERE project_id = 'events-n25-xt1';

--
-- occur_time: epoch milliseconds, exactly, whatever the session's zone
--
SELECT occur_time, extract(epoch FROM occur_time) * 1000 AS epoch_ms
  FROM ev10 WHERE project_id = 'events-n1-xt1';
SET TimeZone = 'Asia/Shanghai';
SELECT occur_time FROM ev10 WHERE project_id = 'events-n1-xt1';
SET TimeZone = 'UTC';
-- as timestamp (the UTC wall time), date, timestamptz(0), bigint
CREATE FOREIGN TABLE ev_times (
  t timestamp OPTIONS (field 'occur_time'),
  d date OPTIONS (field 'occur_time'),
  t0 timestamptz(0) OPTIONS (field 'occur_time'),
  ms bigint OPTIONS (field 'occur_time')
) SERVER events_dws OPTIONS (resource 'dr_events', project_id 'events-n1-xt2');
SELECT * FROM ev_times;
-- a value that is not epoch milliseconds is an error naming the field;
-- the row is fine when the column is not read
SELECT occur_time FROM ev10 WHERE project_id = 'events-n1-negtime-xt3';
SELECT occur_time FROM ev10 WHERE project_id = 'events-n1-strtime-xt4';
SELECT occur_time FROM ev10 WHERE project_id = 'events-n1-realtime-xt5';
SELECT occur_time FROM ev10 WHERE project_id = 'events-n1-bigtime-xt6';
SELECT count(event_id) FROM ev10 WHERE project_id = 'events-n1-bigtime-xt6';

--
-- Paging
--
-- 25 events in pages of 10: pages 0, 1 and the short page 2; 9 DR events
SELECT count(*), count(DISTINCT event_id), min(occur_time), max(occur_time)
  FROM ev10 WHERE project_id = 'events-n25-xp1';
SELECT pages('events-n25-xp1');
-- exactly full pages: 30 events, pages 0 to 2 (the count says when to stop)
SELECT count(*) FROM ev10 WHERE project_id = 'events-n30-xp2';
SELECT pages('events-n30-xp2');
-- the API's own page size: 2500 events in 3 pages of 1000, 834 DR events
SELECT count(*), count(DISTINCT event_id) FROM dr_events
 WHERE project_id = 'events-n2500-xp3';
SELECT pages('events-n2500-xp3');
-- offset counting from 1: page 1 repeats page 0, so the last page is 3
SELECT count(*), count(DISTINCT event_id) FROM ev10
 WHERE project_id = 'events-n25-base1-xp4';
SELECT pages('events-n25-base1-xp4');
-- ... and an API that counts from 1 and answers page 0 empty
SELECT count(*), count(DISTINCT event_id) FROM ev10
 WHERE project_id = 'events-n25-base1empty-xp5';
SELECT pages('events-n25-base1empty-xp5');
-- page 1 repeats the last events of page 0 (events came in meanwhile):
-- each event once
SELECT count(*), count(DISTINCT event_id) FROM ev10
 WHERE project_id = 'events-n25-dup1-xp6';
-- no events at all
SELECT count(*) FROM ev10 WHERE project_id = 'events-n0-xp7';
-- several projects: each is read in its pages
SELECT project_id, count(*) FROM ev10
 WHERE project_id IN ('events-n25-xp8', 'events-n7-xp8', '0536cdee2200d5912f7cc00b877980f1')
 GROUP BY 1 ORDER BY 1;

--
-- A LIMIT reads only the pages it needs: the scan is pulled row by row
--
SELECT count(*) FROM (SELECT event_id FROM ev10
                       WHERE project_id = 'events-n25-xl1' LIMIT 3) s;
SELECT pages('events-n25-xl1');
SELECT count(*) FROM (SELECT event_id FROM dr_events
                       WHERE project_id = 'events-n2500-xl2' LIMIT 5) s;
SELECT pages('events-n2500-xl2');

--
-- Failures: a page fails the query, whichever page it is
--
-- page 1 answers 500 once: retried, the rows are complete
SELECT count(*), count(DISTINCT event_id) FROM ev10
 WHERE project_id = 'events-n25-flaky1-xf1';
SELECT pages('events-n25-flaky1-xf1');
-- page 1 answers 500 each time: an error after the retries, never the
-- rows of the other pages
CALL try($$SELECT count(*) FROM ev10 WHERE project_id = 'events-n25-fail1-xf2'$$);
-- answers that are not the API's pages
CALL try($$SELECT count(*) FROM ev10 WHERE project_id = 'events-n25-html1-xf3'$$);
CALL try($$SELECT count(*) FROM ev10 WHERE project_id = 'events-n25-nocount0-xf4'$$);
CALL try($$SELECT count(*) FROM ev10 WHERE project_id = 'events-n25-strcount1-xf5'$$);
CALL try($$SELECT count(*) FROM ev10 WHERE project_id = 'events-n25-noarray2-xf6'$$);
CALL try($$SELECT count(*) FROM ev10 WHERE project_id = 'events-n25-notobject0-xf7'$$);
-- an API that ignores offset: the count is never reached; an error, not
-- the first page passed off as all of it (one page at a time, so that
-- the page that tells is always the same)
CREATE SERVER events_serial FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', max_concurrency '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER events_serial
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE FOREIGN TABLE ev_serial (event_id text) SERVER events_serial
  OPTIONS (resource 'dr_events', project_id 'events-n25-ignoreoffset-xf8', page_size '10');
CALL try($$SELECT count(*) FROM ev_serial$$);
-- a page larger than max_response_bytes
CREATE SERVER events_small FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', max_response_bytes '2048');
CREATE USER MAPPING FOR CURRENT_USER SERVER events_small
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE FOREIGN TABLE ev_small (event_id text) SERVER events_small
  OPTIONS (resource 'dr_events', project_id 'events-n25-xf9', page_size '10');
CALL try($$SELECT count(*) FROM ev_small$$);

--
-- when_unreachable: a first page that cannot reach the API skips the scan
-- (a WARNING, no rows); 'stale' too, as pages are never kept; a later page
-- is an error whatever the option, the rows before it being given already
--
CREATE SERVER events_skip FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', when_unreachable 'skip', max_retries '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER events_skip
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE FOREIGN TABLE ev_skip (event_id text, project_id text) SERVER events_skip
  OPTIONS (resource 'dr_events', page_size '10');
-- (the WARNING's detail names the stand-in's request id, which varies:
-- its message only; unreachable.sql shows details)
\set VERBOSITY terse
SELECT count(*) FROM ev_skip WHERE project_id = 'events-n25-fail0-xu1';
\set VERBOSITY default
CALL try($$SELECT count(*) FROM ev_skip WHERE project_id = 'events-n25-fail1-xu2'$$);
-- an answer that is not the API's is no outage: an error
CALL try($$SELECT count(*) FROM ev_skip WHERE project_id = 'events-n25-html0-xu3'$$);
ALTER SERVER events_skip OPTIONS (SET when_unreachable 'stale');
-- read once, then the project down (HTTP 503 on every call): skipped
SELECT count(*) FROM ev_skip WHERE project_id = 'events-n25-xu4';
SELECT mock_control('POST', 'fault', '{"fault": "fault-503", "times": 0, "project": "events-n25-xu4"}') -> 'ok' AS fault_set;
\set VERBOSITY terse
SELECT count(*) FROM ev_skip WHERE project_id = 'events-n25-xu4';
\set VERBOSITY default
SELECT mock_control('DELETE', 'fault', '{"project": "events-n25-xu4"}') -> 'ok' AS fault_cleared;
SELECT count(*) FROM ev_skip WHERE project_id = 'events-n25-xu4';

-- cancel while paging: each page takes 2 s
SET statement_timeout = '500ms';
SELECT count(*) FROM ev10 WHERE project_id = 'events-n25-slow2000-xc1';
RESET statement_timeout;
SELECT count(*) FROM ev10 WHERE project_id = 'events-n25-xc2';

--
-- EXPLAIN: only project_id becomes the call; every other condition is a
-- filter; the pages when this backend has counted the project's events
--
EXPLAIN (VERBOSE, COSTS OFF)
SELECT event_id FROM ev10
 WHERE project_id = 'events-n25-xe1' AND severity = 'warning'
   AND occur_time > '2022-09-28 01:00+00';
SELECT event_id, name FROM ev10
 WHERE project_id = 'events-n25-xe1' AND severity = 'warning'
   AND occur_time > '2022-09-28 01:00+00'
 ORDER BY event_id;
EXPLAIN (COSTS OFF) SELECT * FROM dr_events;
SELECT * FROM explain_masked($$SELECT count(*) FROM ev10 WHERE project_id = 'events-n25-xe2'$$);
SELECT * FROM explain_masked($$SELECT * FROM ev10 WHERE project_id = 'events-n25-xe3' LIMIT 2$$);

-- ANALYZE reads the events of the table's project (6 DR events)
ANALYZE dr_events;
SELECT reltuples FROM pg_class WHERE oid = 'dr_events'::regclass;

--
-- Options and names
--
ALTER FOREIGN TABLE ev10 OPTIONS (SET page_size '1001');
ALTER FOREIGN TABLE ev10 OPTIONS (SET page_size '0');
CREATE FOREIGN TABLE ev_bad (id text) SERVER events_dws OPTIONS (resource 'dr_events');
SELECT * FROM ev_bad;
-- name_space is known (not imported): a column may read it
CREATE FOREIGN TABLE ev_ns (event_id text, name_space text)
  SERVER events_dws OPTIONS (resource 'dr_events');
SELECT DISTINCT name_space FROM ev_ns;

SET client_min_messages = warning;
DROP SCHEMA events_s CASCADE;
DROP SERVER events_dws CASCADE;
DROP SERVER events_small CASCADE;
DROP SERVER events_serial CASCADE;
DROP SERVER events_skip CASCADE;
RESET client_min_messages;
RESET TimeZone;
