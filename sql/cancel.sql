--
-- Cancellation: statement_timeout, pg_cancel_backend and
-- pg_terminate_backend stop a scan waiting on the API (before the answer,
-- mid-transfer, in the middle of a fan-out) with PostgreSQL's own messages
-- and SQLSTATEs; afterwards nothing of the scan is left and the next query
-- works.  The stand-in's slow answers take 20 s: a bound of 10 s only
-- checks that the scan stopped instead of waiting (no speed is asserted).
--
SET client_min_messages = warning;
CREATE SERVER cancel_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER cancel_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA cancel_s;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER cancel_dws INTO cancel_s;
CREATE EXTENSION dblink;
RESET client_min_messages;
-- peer_conninfo(), wait_for_api(): sql/setup.sql, run first
SET search_path = cancel_s, public;

-- runs a query; prints the SQLSTATE and message it ends with, and whether
-- it stopped well before the stand-in's 20 s answer (a cancel is caught
-- only by name: WHEN OTHERS leaves query_canceled alone)
CREATE FUNCTION cancel_s.outcome(q text)
RETURNS TABLE (code text, msg text, stopped_early boolean)
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  BEGIN
    EXECUTE q;
    code := '00000';
    msg := 'completed';
  EXCEPTION WHEN query_canceled OR OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
  END;
  stopped_early := clock_timestamp() - t0 < interval '10 s';
  RETURN NEXT;
END $$;

-- statement_timeout (a function cannot catch its own statement's timeout:
-- set it for the statement, then look at the error)
SET statement_timeout = '300ms';
SELECT status FROM dr_clusters WHERE dr_id = 'fault-slow-20000';
-- mid-transfer: headers and half the body came, the rest is late
SELECT status FROM dr_clusters WHERE dr_id = 'fault-slowbody-20000';
-- in the middle of a fan-out of 20 slow calls, 8 at a time
SELECT count(*) FROM dr_clusters
 WHERE dr_id = ANY (ARRAY(SELECT 'fault-slow-20000-once-c' || g FROM generate_series(1, 20) g));
RESET statement_timeout;
-- the same session goes on: the next query answers
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- the same, with the SQLSTATE, caught in PL/pgSQL: before the answer,
-- mid-transfer, and in a fan-out
SET statement_timeout = '300ms';
SELECT * FROM outcome($$SELECT count(*) FROM cancel_s.dr_clusters WHERE dr_id = 'fault-slow-20000'$$);
SELECT * FROM outcome($$SELECT count(*) FROM cancel_s.dr_clusters WHERE dr_id = 'fault-slowbody-20000'$$);
SELECT * FROM outcome($$SELECT count(*) FROM cancel_s.dr_clusters
  WHERE dr_id = ANY (ARRAY(SELECT 'fault-slow-20000-once-d' || g FROM generate_series(1, 20) g))$$);
RESET statement_timeout;

-- pg_cancel_backend from another session, while the scan waits
SELECT dblink_connect('cancel_peer', peer_conninfo('cancel_peer'));
SELECT pid AS peer_pid FROM dblink('cancel_peer', 'SELECT pg_backend_pid()') AS t(pid int) \gset
SELECT dblink_send_query('cancel_peer',
  $$SELECT count(*) FROM cancel_s.dr_clusters
     WHERE dr_id = ANY (ARRAY(SELECT 'fault-slow-20000-once-p' || g FROM generate_series(1, 20) g))$$);
SELECT wait_for_api('cancel_peer') AS peer_waits_on_api;
SELECT pg_cancel_backend(:peer_pid);
SELECT * FROM dblink_get_result('cancel_peer', false) AS t(n bigint);
SELECT dblink_error_message('cancel_peer');
SELECT * FROM dblink_get_result('cancel_peer', false) AS t(n bigint);
-- the peer session goes on
SELECT * FROM dblink('cancel_peer',
  $$SELECT count(*) FROM cancel_s.dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$)
  AS t(n bigint);
-- and holds nothing of the cancelled scan: only its connection's contexts
SELECT * FROM dblink('cancel_peer',
  $$SELECT name, count(*) FROM pg_backend_memory_contexts
     WHERE name LIKE 'dwsdr_fdw%' GROUP BY name ORDER BY name$$)
  AS t(name text, n bigint);

-- pg_terminate_backend: the peer's connection ends (57P01 on its side)
SELECT dblink_send_query('cancel_peer',
  $$SELECT count(*) FROM cancel_s.dr_clusters WHERE dr_id = 'fault-slowbody-20000'$$);
SELECT wait_for_api('cancel_peer') AS peer_waits_on_api;
SELECT pg_terminate_backend(:peer_pid, 10000);
SELECT count(*) AS peer_backends_left FROM pg_stat_activity WHERE pid = :peer_pid;
SELECT dblink_disconnect('cancel_peer');

-- this session: no scan context left over after the timeouts above
SELECT name, count(*) FROM pg_backend_memory_contexts
 WHERE name LIKE 'dwsdr_fdw%' GROUP BY name ORDER BY name;

RESET search_path;
SET client_min_messages = warning;
DROP EXTENSION dblink;
DROP SCHEMA cancel_s CASCADE;
DROP SERVER cancel_dws CASCADE;
