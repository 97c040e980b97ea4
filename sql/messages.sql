-- API text that reaches a message (error_code, error_msg, request id, body
-- excerpt): control characters and invalid UTF-8 replaced ('?'), each piece
-- cut at a character boundary to a bounded length, characters the database
-- or the client encoding cannot hold written \uXXXX.  The stand-in's
-- fault-hostile answers 400 with escapes in error_code and error_msg, a
-- long error_msg cut where it has "é", and a 100 kB request_id;
-- fault-hostilebody answers 502 with a body that is not JSON (escapes,
-- invalid UTF-8, "é" around byte 120) and a long X-Request-Id of "é".
\set VERBOSITY default
\set SHOW_CONTEXT never
-- a server, a mapping and a table (here and in the LATIN1 database)
\set setup 'CREATE SERVER msg FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint ''http://127.0.0.1:18931'', project_id ''0536cdee2200d5912f7cc00b877980f1'', max_retries ''0''); CREATE USER MAPPING FOR CURRENT_USER SERVER msg OPTIONS (access_key ''DEMOACCESSKEY000001'', secret_key ''demo-secret-key-0001''); CREATE FOREIGN TABLE msg_tasks (dr_id text, name text) SERVER msg OPTIONS (resource ''disaster_recoveries'');'
:setup
-- what a message looks like: SQLSTATE, sizes, any control character left,
-- and whether 東 was written as \u6771
CREATE PROCEDURE msg_check(q text) LANGUAGE plpgsql AS $$
DECLARE
  st text; msg text; det text; hnt text;
BEGIN
  EXECUTE q;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
    det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RAISE NOTICE 'SQLSTATE %, message % bytes, detail % bytes, control characters %, escaped kanji %',
    st, octet_length(msg), octet_length(det),
    concat(msg, det, hnt) ~ '[\x01-\x1f\x7f]', strpos(det, '\u6771') > 0;
END $$;
SELECT getdatabaseencoding();

SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostile';
SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostilebody';
CALL msg_check($$SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostile'$$);
CALL msg_check($$SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostilebody'$$);

-- A LATIN1 client gets the real error (HV000, HV00N), not an encoding
-- error: é reaches it, 東 is written \u6771.
SET client_encoding = 'LATIN1';
\set VERBOSITY sqlstate
SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostile';
SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostilebody';
\set VERBOSITY default
CALL msg_check($$SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostile'$$);
CALL msg_check($$SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostilebody'$$);
RESET client_encoding;

-- Task ids of the query in a message: cleaned and bounded too.
\set VERBOSITY terse
SELECT * FROM msg_tasks WHERE dr_id = E'fault-503\x1b[2J' || repeat('é', 300);
\set VERBOSITY default

-- A LATIN1 database: the same messages in LATIN1.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_dwsdr_msg_latin1;
RESET client_min_messages;
CREATE DATABASE regress_dwsdr_msg_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'
  TEMPLATE template0;
\c regress_dwsdr_msg_latin1
SET client_encoding = 'UTF8';
CREATE EXTENSION dwsdr_fdw;
:setup
SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostile';
SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostilebody';
SET client_encoding = 'LATIN1';
\set VERBOSITY sqlstate
SELECT * FROM msg_tasks WHERE dr_id = 'fault-hostile';
\set VERBOSITY default
\c contrib_regression
SET client_min_messages = warning;
DROP DATABASE regress_dwsdr_msg_latin1;
DROP PROCEDURE msg_check(text);
DROP SERVER msg CASCADE;
