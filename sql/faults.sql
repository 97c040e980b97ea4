-- Faults in sequences: the answers of one call's attempts (or of one id
-- across queries) in a row, e.g. cut off, then 404, then fine.  Whatever
-- an attempt streamed, the next starts from nothing: every sequence ends
-- in rows or a clean ERROR, never a crash.  With cache_ttl, only answers
-- that were parsed and accepted are kept.
--
-- The stand-in's id fault-seq-<step>.<step>...-<nonce> answers its n-th
-- request with the n-th step (truncated: cut off mid-body; close: no
-- answer; 404missing: 404 with DWS.10101; 404: the gateway's 404; ok: the
-- normal answer), and normally after the last step.  As a project id it
-- drives the list call, whose one item is a task with that same id.
\set VERBOSITY default
SET client_min_messages = warning;
CREATE SERVER faults_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '3',
           max_response_bytes '67108864');
CREATE USER MAPPING FOR CURRENT_USER SERVER faults_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SERVER faults_cached FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0',
           cache_ttl '600');
CREATE USER MAPPING FOR CURRENT_USER SERVER faults_cached
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA faults;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters, disaster_recoveries)
  FROM SERVER faults_dws INTO faults;
CREATE SCHEMA faults_c;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters, disaster_recoveries)
  FROM SERVER faults_cached INTO faults_c;
-- runs a query; prints its first column, or its SQLSTATE and message
CREATE PROCEDURE faults.try(q text) LANGUAGE plpgsql AS $$
DECLARE
  st text; msg text; v text;
BEGIN
  EXECUTE q INTO v;
  RAISE NOTICE 'ok: %', v;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
  RAISE NOTICE 'SQLSTATE %: %', st, msg;
END $$;
-- calls through faults_cached since the last dwsdr_stats_reset()
CREATE VIEW faults_c.calls AS
  SELECT list_calls, detail_calls, errors, cache_hits
    FROM dwsdr_stats() WHERE server = 'faults_cached';
RESET client_min_messages;
SET search_path = faults, public;

--
-- The list call (the project's tasks) with a column only the per-task call
-- has: the list gives ids only.
--
-- cut off, then 404 (the backend crashed here): a clean error (the list
-- call has no "missing" answer; 1.1.0 gave no rows)
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-truncated.404missing-l1'$$);
-- cut off, then 503, then fine: the task's two clusters
SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-truncated.503.ok-l2';
-- no answer, cut off, then not JSON: a clean error
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-close.truncated.badjson-l3'$$);
-- cut off, then an HTML 502 page, then 200 with an error body
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-truncated.html502.200error-l4'$$);
-- cut off four times: out of retries
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-truncated.truncated.truncated.truncated-l5'$$);
-- the session goes on: the same sequence again, on a new id
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-truncated.404missing-l6'$$);

-- the list with its items kept (a column only the list has)
SELECT dr_id, last_disaster_time IS NULL AS no_disaster FROM disaster_recoveries
 WHERE project_id = 'fault-seq-truncated.500.ok-l7';
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-close.404missing-l8'$$);
CALL try($$SELECT count(last_disaster_time) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-truncated.notobject-l9'$$);

--
-- List items that are no task: not an object (7, null, a string), or an
-- "id" that is not a non-empty string ("", a number, 2**64, absent, null).
-- Each is an error naming the project and the item's index (counting from
-- 0; the bad item is the second), never skipped and never a per-task call
-- without an id.  Each id answers its first list call so, then normally:
-- the next query gets the list's one good task, so nothing of the bad
-- answer stayed behind.
--
SELECT dwsdr_stats_reset();
-- the items are the rows (count(*): the list only)
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-itemnumber.ok-i1'$$);
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-itemnumber.ok-i1'$$);
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-itemnull.ok-i2'$$);
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-itemnull.ok-i2'$$);
CALL try($$SELECT count(name) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-itemstring.ok-i3'$$);
CALL try($$SELECT count(name) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-itemstring.ok-i3'$$);
-- the list gives ids for per-task calls (count(progress): detail calls)
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-idempty.ok-i4'$$);
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-idempty.ok-i4'$$);
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-idnumber.ok-i5'$$);
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-idnumber.ok-i5'$$);
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-idbig.ok-i6'$$);
CALL try($$SELECT count(progress) FROM dr_clusters
 WHERE project_id = 'fault-seq-idbig.ok-i6'$$);
-- list items and per-task calls (last_disaster_time and primary_az)
CALL try($$SELECT count(primary_az) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-idmissing.ok-i7' AND last_disaster_time IS NULL$$);
CALL try($$SELECT count(primary_az) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-idmissing.ok-i7' AND last_disaster_time IS NULL$$);
-- the list asked for one id, whose answer has it and a bad item: an error
-- all the same
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-idnull.ok-i8' AND dr_id = 'fault-seq-idnull.ok-i8'
   AND last_disaster_time IS NULL$$);
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-idnull.ok-i8' AND dr_id = 'fault-seq-idnull.ok-i8'
   AND last_disaster_time IS NULL$$);
-- the whole message, with its detail (HV00K; the detail shows the body)
CALL public.try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-idbig'$$);
-- each counted as an error of the server kind; no detail call was made
-- for the bad items (the detail calls are those of the good answers)
SELECT list_calls, detail_calls, errors, server_errors
  FROM dwsdr_stats() WHERE server = 'faults_dws';

--
-- Per-task calls, across the retries of one call.
--
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = 'fault-seq-truncated.500.ok-t1';
-- cut off, then "the task does not exist": no row
SELECT count(*) FROM disaster_recoveries
 WHERE dr_id = 'fault-seq-truncated.missing-t2';
CALL try($$SELECT name FROM disaster_recoveries
 WHERE dr_id = 'fault-seq-close.truncated.notobject-t3'$$);
-- a good id beside a failing one: an error, never a partial answer
CALL try($$SELECT count(name) FROM disaster_recoveries
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6',
                 'fault-seq-truncated.html-t4')$$);

--
-- A list whose one item is 24 MB, and a detail answer of that size: read
-- whole (the list is split with jansson, in time linear in the body).
--
SELECT dr_id = 'fault-huge-24' AS same_id, length(name) FROM disaster_recoveries
 WHERE project_id = 'fault-huge-24' AND last_disaster_time IS NULL;
SELECT length(name) FROM disaster_recoveries WHERE dr_id = 'fault-huge-24';

--
-- cache_ttl keeps only answers that were parsed and accepted: a bad answer
-- is an error once, and the next query asks again (and gets the row).
--
SET search_path = faults_c, faults, public;
SELECT dwsdr_stats_reset();
-- 200, not JSON
CALL try($$SELECT name FROM disaster_recoveries
 WHERE dr_id = 'fault-seq-badjson.ok-c1'$$);
CALL try($$SELECT name FROM disaster_recoveries
 WHERE dr_id = 'fault-seq-badjson.ok-c1'$$);
-- 200 with an error body
CALL try($$SELECT name FROM disaster_recoveries
 WHERE dr_id = 'fault-seq-200error.ok-c2'$$);
CALL try($$SELECT name FROM disaster_recoveries
 WHERE dr_id = 'fault-seq-200error.ok-c2'$$);
-- the API gateway's own 404 (a wrong path, not a missing task)
CALL try($$SELECT name FROM disaster_recoveries
 WHERE dr_id = 'fault-seq-404.ok-c3'$$);
CALL try($$SELECT name FROM disaster_recoveries
 WHERE dr_id = 'fault-seq-404.ok-c3'$$);
-- the list call: not JSON, then the list
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-badjson.ok-c4'$$);
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-badjson.ok-c4'$$);
SELECT * FROM calls;
-- accepted answers are kept: "no such task" and rows, asked again from
-- the cache (were they not, the second query would see the next step)
SELECT dwsdr_stats_reset();
SELECT count(*) FROM disaster_recoveries WHERE dr_id = 'fault-seq-missing.ok-c5';
SELECT count(*) FROM disaster_recoveries WHERE dr_id = 'fault-seq-missing.ok-c5';
SELECT count(*) FROM disaster_recoveries WHERE project_id = 'fault-seq-missing.ok-c6';
SELECT count(*) FROM disaster_recoveries WHERE project_id = 'fault-seq-missing.ok-c6';
SELECT name FROM disaster_recoveries WHERE dr_id = 'fault-seq-ok.badjson-c7';
SELECT name FROM disaster_recoveries WHERE dr_id = 'fault-seq-ok.badjson-c7';
SELECT * FROM calls;
-- a list with a bad item is refused and not kept: the second query asks
-- again and gets the list (two list calls, no cache hit)
SELECT dwsdr_stats_reset();
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-idnumber.ok-c8'$$);
CALL try($$SELECT count(*) FROM disaster_recoveries
 WHERE project_id = 'fault-seq-idnumber.ok-c8'$$);
SELECT * FROM calls;
-- an answer for another task is refused and not kept: the second query
-- asks the API again (two detail calls, no cache hit)
SELECT dwsdr_stats_reset();
CALL try($$SELECT name FROM disaster_recoveries WHERE dr_id = 'fault-otherid'$$);
CALL try($$SELECT name FROM disaster_recoveries WHERE dr_id = 'fault-otherid'$$);
SELECT * FROM calls;

-- fault-lastcall answers and closes its connection, so the next call opens
-- a new socket, most often under the number the closed one had.  A wait
-- that kept watching the closed socket would never see the new one's
-- answer and end in a timeout (5 s here); every query must give its row.
SET search_path = faults, public;
ALTER SERVER faults_dws OPTIONS (ADD timeout_ms '5000');
SELECT dwsdr_stats_reset();
SELECT dr_id FROM disaster_recoveries WHERE dr_id = 'fault-lastcall';
SELECT dr_id FROM disaster_recoveries WHERE dr_id = 'fault-lastcall';
SELECT name FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT dr_id FROM disaster_recoveries WHERE dr_id = 'fault-lastcall';
CALL try($$SELECT name FROM disaster_recoveries WHERE dr_id = 'fault-close'$$);
SELECT count(*) FROM disaster_recoveries
 WHERE dr_id IN ('fault-lastcall', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
SELECT dr_id FROM disaster_recoveries WHERE dr_id = 'fault-lastcall';
SELECT detail_calls, errors FROM dwsdr_stats() WHERE server = 'faults_dws';

SET client_min_messages = warning;
DROP SCHEMA faults_c CASCADE;
DROP SCHEMA faults CASCADE;
DROP SERVER faults_cached CASCADE;
DROP SERVER faults_dws CASCADE;
