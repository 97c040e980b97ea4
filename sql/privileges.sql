-- Least privilege: which hosts a server not owned by a superuser may reach
-- (dwsdr_fdw.allowed_hosts), who may name a ca_file, and option values with
-- control characters.  The stand-in listens on 127.0.0.1:18931.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_dwsdr_priv;
DROP ROLE IF EXISTS regress_dwsdr_priv_reader;
DROP ROLE IF EXISTS regress_dwsdr_priv_su;
RESET client_min_messages;
CREATE ROLE regress_dwsdr_priv;
CREATE ROLE regress_dwsdr_priv_reader;
GRANT USAGE ON FOREIGN DATA WRAPPER dwsdr_fdw TO regress_dwsdr_priv;
GRANT CREATE ON SCHEMA public TO regress_dwsdr_priv;
LOAD 'dwsdr_fdw';

-- the default: the hosts the region option derives, nothing else
SHOW dwsdr_fdw.allowed_hosts;

--
-- A non-superuser creating servers, with the default setting.
--
SET ROLE regress_dwsdr_priv;
-- regions derive dws.REGION.myhuaweicloud.com (.eu, .cn for some): allowed
CREATE SERVER priv_region FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (region 'cn-north-4');
CREATE SERVER priv_region_eu FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (region 'eu-west-101');
CREATE SERVER priv_region_cn FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (region 'cn-south-4');
-- the same hosts written out, in any case, with a port or a trailing dot
CREATE SERVER priv_ep FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'https://DWS.AP-Southeast-1.MyHuaweiCloud.com.:443/');
-- anything else is refused, before it is stored
CREATE SERVER priv_local FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931');
\echo :LAST_ERROR_SQLSTATE
-- the host is read as libcurl reads it: other spellings of 127.0.0.1, IPv6,
-- percent-encoding
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://0x7f000001:18931');
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://2130706433/');
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://[::1]:18931');
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://%31%32%37.0.0.1:18931');
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'https://dws.cn-north-4.myhuaweicloud.com%2eevil.example');
-- labels are compared whole: no suffix games, one label for the region
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://dwsmyhuaweicloud.com');
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://dws.evilmyhuaweicloud.com');
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://dws.a.b.myhuaweicloud.com');
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://obs.cn-north-4.myhuaweicloud.com');
-- a name that is not plain ASCII (a Cyrillic "о" here) matches only *
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://dws.cn-north-4.myhuaweiclоud.com');
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'https://dws.cn-north-4.myhuaweicloud.com.evil.example');
-- a user name in the URL is refused anyway (and not echoed)
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'https://dws.cn-north-4.myhuaweicloud.com@127.0.0.1/');
-- the proxy too
CREATE SERVER priv_x FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (region 'cn-north-4', proxy 'http://127.0.0.1:3128');
-- and on ALTER
ALTER SERVER priv_region OPTIONS (ADD endpoint 'http://127.0.0.1:18931');
ALTER SERVER priv_region OPTIONS (ADD proxy 'http://10.0.0.1:3128');
-- the setting is the superuser's
SET dwsdr_fdw.allowed_hosts = '*';
\echo :LAST_ERROR_SQLSTATE
-- ca_file names a file of the database server: superusers and members of
-- pg_read_server_files only
ALTER SERVER priv_region OPTIONS (ADD ca_file '/etc/ssl/certs/ca-certificates.crt');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT pg_read_server_files TO regress_dwsdr_priv;
SET ROLE regress_dwsdr_priv;
ALTER SERVER priv_region OPTIONS (ADD ca_file '/etc/ssl/certs/ca-certificates.crt');
RESET ROLE;
REVOKE pg_read_server_files FROM regress_dwsdr_priv;

--
-- The superuser allows the stand-in's address.
--
SET dwsdr_fdw.allowed_hosts = 'dws.*.myhuaweicloud.com, 127.0.0.1';
SET ROLE regress_dwsdr_priv;
CREATE SERVER priv_local FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
-- the same address written as IPv4-mapped IPv6 is the same host
CREATE SERVER priv_mapped FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://[::ffff:127.0.0.1]:18931');
CREATE USER MAPPING FOR CURRENT_USER SERVER priv_local
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE FOREIGN TABLE priv_tasks (dr_id text, name text)
  SERVER priv_local OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, name FROM priv_tasks WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
RESET ROLE;

-- The setting narrows again: the server is refused when used, before any
-- connection (its endpoint is unchanged), with SQLSTATE 42501.
SET dwsdr_fdw.allowed_hosts = 'dws.*.myhuaweicloud.com';
SET ROLE regress_dwsdr_priv;
SELECT dr_id, name FROM priv_tasks WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
\echo :LAST_ERROR_SQLSTATE
EXPLAIN (COSTS OFF) SELECT * FROM priv_tasks;
RESET ROLE;
-- whoever uses it: the owner is not a superuser
SELECT dr_id, name FROM priv_tasks WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- an IPv6 entry; * allows everything
SET dwsdr_fdw.allowed_hosts = '::ffff:127.0.0.1';
SET ROLE regress_dwsdr_priv;
SELECT dr_id, name FROM priv_tasks WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
RESET ROLE;
SET dwsdr_fdw.allowed_hosts = '*';
SET ROLE regress_dwsdr_priv;
SELECT dr_id, name FROM priv_tasks WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
RESET ROLE;
-- a cached generic plan and a cached connection are checked again too
-- (the table names its project: nothing else reads the server's options)
SET ROLE regress_dwsdr_priv;
CREATE FOREIGN TABLE priv_tasks_p (dr_id text, name text)
  SERVER priv_local
  OPTIONS (resource 'disaster_recoveries', project_id '0536cdee2200d5912f7cc00b877980f1');
SET plan_cache_mode = force_generic_plan;
PREPARE priv_q AS SELECT name FROM priv_tasks_p WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
EXECUTE priv_q;
RESET ROLE;
SET dwsdr_fdw.allowed_hosts = 'dws.*.myhuaweicloud.com';
SET ROLE regress_dwsdr_priv;
EXECUTE priv_q;
RESET ROLE;
SET dwsdr_fdw.allowed_hosts = '127.0.0.1';
SET ROLE regress_dwsdr_priv;
EXECUTE priv_q;
DEALLOCATE priv_q;
RESET plan_cache_mode;
-- every batch of calls is checked, not only a new scan: an open cursor
-- before each call it still has to make, a rescan before it starts (the
-- tables name their project, so nothing else reads the server's options)
CREATE SERVER priv_cursor FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', max_concurrency '1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER priv_cursor
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE FOREIGN TABLE priv_cursor_tasks (dr_id text, name text) SERVER priv_cursor
  OPTIONS (resource 'disaster_recoveries', project_id '0536cdee2200d5912f7cc00b877980f1');
BEGIN;
-- one call at a time: the first fetch leaves the missing ids' calls to come
DECLARE priv_c CURSOR FOR SELECT dr_id, name FROM priv_cursor_tasks
  WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'missing-1', 'missing-2', 'missing-3');
FETCH 1 FROM priv_c;
RESET ROLE;
SET dwsdr_fdw.allowed_hosts = 'dws.*.myhuaweicloud.com';
FETCH 1 FROM priv_c;
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
-- a parameterized scan, rescanned for each outer row
DECLARE priv_r CURSOR FOR SELECT v.id, t.name
  FROM (VALUES ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6'), ('missing-1')) v(id),
       LATERAL (SELECT name FROM priv_cursor_tasks t WHERE t.dr_id = v.id LIMIT 1) t;
FETCH 1 FROM priv_r;
RESET ROLE;
SET dwsdr_fdw.allowed_hosts = 'dws.*.myhuaweicloud.com';
FETCH 1 FROM priv_r;
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
-- the endpoint a region derives is checked the same way
CREATE FOREIGN TABLE priv_cn_tasks (dr_id text) SERVER priv_region_cn
  OPTIONS (resource 'disaster_recoveries', project_id 'p');
SELECT * FROM priv_cn_tasks;
RESET ROLE;
-- what the setting accepts
SET dwsdr_fdw.allowed_hosts = 'not a host';
SET dwsdr_fdw.allowed_hosts = 'example.com, ,10.0.0.1';
SET dwsdr_fdw.allowed_hosts = 'exa$mple.com';
SET dwsdr_fdw.allowed_hosts = 'dws*.example.com';
SET dwsdr_fdw.allowed_hosts = '*.example.com, dws.*.example.com, 10.1.2.3, [2001:db8::1], EXAMPLE.org.';
RESET dwsdr_fdw.allowed_hosts;

--
-- A server a superuser owns is trusted as it is: its grantees use it with
-- their own mappings, whatever its endpoint.  Given to a role that is not
-- a superuser, it is checked again.
--
CREATE SERVER priv_trusted FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE FOREIGN TABLE priv_trusted_tasks (dr_id text, name text)
  SERVER priv_trusted OPTIONS (resource 'disaster_recoveries');
GRANT USAGE ON FOREIGN SERVER priv_trusted TO regress_dwsdr_priv_reader;
GRANT SELECT ON priv_trusted_tasks TO regress_dwsdr_priv_reader;
CREATE USER MAPPING FOR regress_dwsdr_priv_reader SERVER priv_trusted
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
SET ROLE regress_dwsdr_priv_reader;
SELECT dr_id, name FROM priv_trusted_tasks WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
RESET ROLE;
ALTER SERVER priv_trusted OWNER TO regress_dwsdr_priv;
SET ROLE regress_dwsdr_priv_reader;
SELECT dr_id, name FROM priv_trusted_tasks WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
ALTER SERVER priv_trusted OWNER TO CURRENT_USER;
SET ROLE regress_dwsdr_priv_reader;
SELECT dr_id, name FROM priv_trusted_tasks WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
RESET ROLE;
-- an owner that stops being a superuser: the connection made while it
-- was one is not used again (a cached generic plan reads no options, the
-- table names its project), and is refused with 42501
CREATE ROLE regress_dwsdr_priv_su SUPERUSER;
ALTER SERVER priv_trusted OWNER TO regress_dwsdr_priv_su;
CREATE FOREIGN TABLE priv_trusted_p (dr_id text, name text) SERVER priv_trusted
  OPTIONS (resource 'disaster_recoveries', project_id '0536cdee2200d5912f7cc00b877980f1');
GRANT SELECT ON priv_trusted_p TO regress_dwsdr_priv_reader;
SET ROLE regress_dwsdr_priv_reader;
SET plan_cache_mode = force_generic_plan;
PREPARE priv_su_q AS
  SELECT name FROM priv_trusted_p WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
EXECUTE priv_su_q;
RESET ROLE;
ALTER ROLE regress_dwsdr_priv_su NOSUPERUSER;
SET ROLE regress_dwsdr_priv_reader;
EXECUTE priv_su_q;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a superuser again: trusted again
ALTER ROLE regress_dwsdr_priv_su SUPERUSER;
SET ROLE regress_dwsdr_priv_reader;
EXECUTE priv_su_q;
RESET ROLE;
DEALLOCATE priv_su_q;
RESET plan_cache_mode;
ALTER SERVER priv_trusted OWNER TO CURRENT_USER;
DROP ROLE regress_dwsdr_priv_su;
-- a superuser may set any host, also on a server it does not own; the
-- owner's use is still checked
ALTER SERVER priv_region_eu OPTIONS (ADD endpoint 'http://127.0.0.1:1');
CREATE FOREIGN TABLE priv_eu_tasks (dr_id text) SERVER priv_region_eu
  OPTIONS (resource 'disaster_recoveries', project_id 'p');
SELECT * FROM priv_eu_tasks;

--
-- Control characters: refused in every option, a secret never echoed.
--
CREATE USER MAPPING FOR regress_dwsdr_priv SERVER priv_trusted
  OPTIONS (auth_token E'demo-iam-token-0003\r\nX-Evil: 1');
\echo :LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR regress_dwsdr_priv SERVER priv_trusted
  OPTIONS (access_key E'DEMOACCESSKEY000001\t', secret_key 'demo-secret-key-0001');
ALTER USER MAPPING FOR regress_dwsdr_priv_reader SERVER priv_trusted
  OPTIONS (SET secret_key E'demo-secret-key-0001\n');
ALTER SERVER priv_trusted OPTIONS (SET project_id E'0536cdee2200d5912f7cc00b877980f1\r');
ALTER SERVER priv_trusted OPTIONS (ADD ca_file E'/tmp/ca\x01.pem');
ALTER FOREIGN TABLE priv_trusted_tasks OPTIONS (ADD project_id E'p\x7f');
ALTER FOREIGN TABLE priv_trusted_tasks ALTER COLUMN name OPTIONS (ADD field E'name\x1b');
-- the mapping is unchanged and still works
SET ROLE regress_dwsdr_priv_reader;
SELECT dr_id, name FROM priv_trusted_tasks WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
RESET ROLE;

SET client_min_messages = warning;
DROP SERVER priv_trusted CASCADE;
DROP OWNED BY regress_dwsdr_priv, regress_dwsdr_priv_reader CASCADE;
DROP ROLE regress_dwsdr_priv;
DROP ROLE regress_dwsdr_priv_reader;
RESET client_min_messages;

--
-- The way README.md and the 42501 hint give to set the hosts for every
-- session, exactly as README.md writes it, in a new session that has not
-- loaded the library (the extension exists in the database) unless it is
-- preloaded (as scripts/test runs the suite); then undone.
--
\c
SELECT count(*) = 1 AS known_before_load,
       current_setting('shared_preload_libraries') ~ '(^|[ ,])dwsdr_fdw($|[ ,])' AS preloaded
  FROM pg_settings WHERE name = 'dwsdr_fdw.allowed_hosts';
LOAD 'dwsdr_fdw'; ALTER SYSTEM SET dwsdr_fdw.allowed_hosts = 'dws.*.myhuaweicloud.com, 127.0.0.1'; SELECT pg_reload_conf();
SELECT setting, error FROM pg_file_settings WHERE name = 'dwsdr_fdw.allowed_hosts';
ALTER SYSTEM RESET dwsdr_fdw.allowed_hosts;
SELECT pg_reload_conf();
SELECT count(*) AS left_in_files FROM pg_file_settings WHERE name = 'dwsdr_fdw.allowed_hosts';
