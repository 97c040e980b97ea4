-- Text in the database's encoding: the API speaks UTF-8; every value is
-- converted to the database encoding, and a character the encoding cannot
-- hold is an ERROR (22P05) naming the table, the column and the task.
-- Project 7e57... of the stand-in has tasks named
--   ...001 'Café Zürich ½'  (LATIN1 can hold it, EUC_JP not: ½)
--   ...002 '東京-大阪 DR'    (EUC_JP only)
--   ...003 'Café 東京'       (EUC_JP only)
--   ...004 'DR 🚀 €'         (neither)
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_dwsdr_latin1;
DROP DATABASE IF EXISTS regress_dwsdr_eucjp;
RESET client_min_messages;
CREATE DATABASE regress_dwsdr_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'
  TEMPLATE template0;
CREATE DATABASE regress_dwsdr_eucjp ENCODING 'EUC_JP' LC_COLLATE 'C' LC_CTYPE 'C'
  TEMPLATE template0;
-- what each database gets
\set setup 'CREATE EXTENSION dwsdr_fdw; CREATE SERVER enc FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint ''http://127.0.0.1:18931'', project_id ''7e570000000000000000000000000000'', max_retries ''0''); CREATE USER MAPPING FOR CURRENT_USER SERVER enc OPTIONS (access_key ''DEMOACCESSKEY000001'', secret_key ''demo-secret-key-0001''); IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries, dr_clusters) FROM SERVER enc INTO public;'

--
-- LATIN1
--
\c regress_dwsdr_latin1
SET client_encoding = 'UTF8';
SELECT getdatabaseencoding();
:setup
-- a name LATIN1 holds: stored as LATIN1 (é is the byte e9, not c3 a9)
SELECT dr_id, name, convert_to(name, 'LATIN1') AS bytes, raw->>'name' AS raw_name
  FROM disaster_recoveries WHERE dr_id = '7e570000-0000-4000-8000-000000000001';
SELECT side, cluster_name FROM dr_clusters
 WHERE dr_id = '7e570000-0000-4000-8000-000000000001' ORDER BY side;
-- names it cannot hold: an error naming table, column and task
SELECT dr_id, name FROM disaster_recoveries WHERE dr_id = '7e570000-0000-4000-8000-000000000002';
\echo :LAST_ERROR_SQLSTATE
SELECT name FROM disaster_recoveries WHERE dr_id = '7e570000-0000-4000-8000-000000000004';
-- raw (jsonb) too, and a list over the project
SELECT raw FROM disaster_recoveries WHERE dr_id = '7e570000-0000-4000-8000-000000000003';
\echo :LAST_ERROR_SQLSTATE
SELECT cluster_name FROM dr_clusters WHERE project_id = '7e570000000000000000000000000000';
-- the columns not read never fail a query
SELECT dr_id, status FROM disaster_recoveries ORDER BY dr_id;
SELECT count(*) FROM dr_clusters;
-- ids and projects from WHERE go to the API as UTF-8: the stand-in
-- answers a task whose id is the id it was asked for, which must match
-- the id asked (and the project of the row is the one asked)
SELECT dr_id, convert_to(dr_id, 'LATIN1') AS bytes, name
  FROM disaster_recoveries WHERE dr_id = 'fault-seq-ok-é1';
SELECT dr_id, project_id, convert_to(project_id, 'LATIN1') AS bytes
  FROM disaster_recoveries WHERE project_id = 'fault-seq-ok-é2';
-- and so does a project set as a table (or server) option
CREATE FOREIGN TABLE enc_project (dr_id text, project_id text, name text)
  SERVER enc OPTIONS (resource 'disaster_recoveries', project_id 'fault-seq-ok-é3');
SELECT dr_id, project_id, convert_to(project_id, 'LATIN1') AS bytes
  FROM enc_project;

--
-- EUC_JP
--
\c regress_dwsdr_eucjp
SET client_encoding = 'UTF8';
SELECT getdatabaseencoding();
:setup
-- kanji (and é, through JIS X 0212) are held, stored as EUC_JP
SELECT dr_id, name, convert_to(name, 'EUC_JP') AS bytes, raw->>'name' AS raw_name
  FROM disaster_recoveries
 WHERE dr_id IN ('7e570000-0000-4000-8000-000000000002',
                 '7e570000-0000-4000-8000-000000000003')
 ORDER BY dr_id;
SELECT side, cluster_name FROM dr_clusters
 WHERE dr_id = '7e570000-0000-4000-8000-000000000002' ORDER BY side;
-- ½, the rocket and € are not
SELECT name FROM disaster_recoveries WHERE dr_id = '7e570000-0000-4000-8000-000000000001';
\echo :LAST_ERROR_SQLSTATE
SELECT raw FROM disaster_recoveries WHERE dr_id = '7e570000-0000-4000-8000-000000000004';
SELECT dr_id, status FROM disaster_recoveries ORDER BY dr_id;
-- a message quoting a value: in the database encoding, shown to the client
CREATE FOREIGN TABLE enc_bad (dr_id text, name_num numeric OPTIONS (field 'name'))
  SERVER enc OPTIONS (resource 'disaster_recoveries');
\set SHOW_CONTEXT errors
SELECT name_num FROM enc_bad WHERE dr_id = '7e570000-0000-4000-8000-000000000002';
\set SHOW_CONTEXT never

\c contrib_regression
SET client_min_messages = warning;
DROP DATABASE regress_dwsdr_latin1;
DROP DATABASE regress_dwsdr_eucjp;
