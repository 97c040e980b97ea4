-- Authentication: AK/SK signing, temporary AK/SK with a security token, IAM
-- tokens, mappings without credentials, and whose mapping a query uses.
\set VERBOSITY default
SET client_min_messages = warning;
CREATE SERVER auth_srv FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE FOREIGN TABLE auth_tasks (dr_id text, name text, status text)
  SERVER auth_srv OPTIONS (resource 'disaster_recoveries');
CREATE FOREIGN TABLE auth_clusters (dr_id text, side text, status text, progress numeric)
  SERVER auth_srv OPTIONS (resource 'dr_clusters');
CREATE FOREIGN TABLE auth_progress (dr_id text, recovery_point_object int)
  SERVER auth_srv OPTIONS (resource 'dr_progress');
RESET client_min_messages;
-- try(): sql/setup.sql, run first

--
-- AK/SK: every call is signed (list, detail and progress).
--
CREATE USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
SELECT dr_id, name, status FROM auth_tasks ORDER BY dr_id;
SELECT side, status, progress FROM auth_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
SELECT dr_id, recovery_point_object FROM auth_progress
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
-- a wrong secret, an unknown access key
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (SET secret_key 'wrong-secret-key');
CALL try('SELECT * FROM auth_tasks');
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (SET access_key 'NOSUCHACCESSKEY', SET secret_key 'demo-secret-key-0001');
CALL try($$SELECT * FROM auth_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);

--
-- Temporary AK/SK: they need their security token (signed with them).
--
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (SET access_key 'TEMPACCESSKEY000002', SET secret_key 'temp-secret-key-0002',
           ADD security_token 'demo-security-token-0002');
SELECT dr_id, name, status FROM auth_tasks ORDER BY dr_id;
SELECT side, status, progress FROM auth_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
SELECT dr_id, recovery_point_object FROM auth_progress
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
-- without the token
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv OPTIONS (DROP security_token);
CALL try('SELECT * FROM auth_tasks');
-- with a wrong token
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (ADD security_token 'wrong-security-token');
CALL try('SELECT * FROM auth_tasks');
-- a token with permanent credentials
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (SET access_key 'DEMOACCESSKEY000001', SET secret_key 'demo-secret-key-0001',
           SET security_token 'demo-security-token-0002');
CALL try('SELECT * FROM auth_tasks');

--
-- IAM token, sent as X-Auth-Token.
--
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (DROP access_key, DROP secret_key, DROP security_token,
           ADD auth_token 'demo-iam-token-0003');
SELECT dr_id, name, status FROM auth_tasks ORDER BY dr_id;
SELECT side, status, progress FROM auth_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
SELECT dr_id, recovery_point_object FROM auth_progress
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (SET auth_token 'wrong-iam-token');
CALL try('SELECT * FROM auth_tasks');
CALL try($$SELECT * FROM auth_progress WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'$$);

--
-- A mapping without credentials is refused at first use, with a hint.
--
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv OPTIONS (DROP auth_token);
SELECT * FROM auth_tasks;
SELECT * FROM auth_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- EXPLAIN alone needs no credentials
EXPLAIN (COSTS OFF) SELECT * FROM auth_tasks;

--
-- Each role uses its own mapping; PUBLIC is the fallback; a role without
-- any gets the standard error.
--
ALTER USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (ADD auth_token 'demo-iam-token-0003');
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_dwsdr_auth_user;
DROP ROLE IF EXISTS regress_dwsdr_auth_other;
CREATE ROLE regress_dwsdr_auth_user;
CREATE ROLE regress_dwsdr_auth_other;
RESET client_min_messages;
GRANT USAGE ON FOREIGN SERVER auth_srv TO regress_dwsdr_auth_user;
GRANT SELECT ON auth_tasks, auth_clusters TO regress_dwsdr_auth_user, regress_dwsdr_auth_other;
SET ROLE regress_dwsdr_auth_user;
-- a non-superuser creates and uses its own mapping
CREATE USER MAPPING FOR CURRENT_USER SERVER auth_srv
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
SELECT dr_id, name, status FROM auth_tasks ORDER BY dr_id;
SELECT side, status FROM auth_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
-- it cannot read the credentials of other mappings
SELECT usename = current_user AS own, umoptions FROM pg_user_mappings
 WHERE srvname = 'auth_srv' ORDER BY 1;
RESET ROLE;
SET ROLE regress_dwsdr_auth_other;
SELECT * FROM auth_tasks;
RESET ROLE;
-- the PUBLIC mapping serves roles without their own
CREATE USER MAPPING FOR PUBLIC SERVER auth_srv OPTIONS (auth_token 'demo-iam-token-0003');
SET ROLE regress_dwsdr_auth_other;
SELECT dr_id, name, status FROM auth_tasks ORDER BY dr_id;
RESET ROLE;
-- a view runs with its owner's mapping
DROP USER MAPPING FOR PUBLIC SERVER auth_srv;
CREATE VIEW auth_view AS SELECT dr_id, status FROM auth_tasks;
ALTER VIEW auth_view OWNER TO regress_dwsdr_auth_user;
GRANT SELECT ON auth_view TO regress_dwsdr_auth_other;
SET ROLE regress_dwsdr_auth_other;
SELECT dr_id, status FROM auth_view ORDER BY dr_id;
SELECT * FROM auth_tasks;
RESET ROLE;
-- the owner's mapping breaks: the view reports it
ALTER USER MAPPING FOR regress_dwsdr_auth_user SERVER auth_srv
  OPTIONS (SET secret_key 'wrong-secret-key');
SET ROLE regress_dwsdr_auth_other;
CALL try('SELECT * FROM auth_view');
RESET ROLE;

SET client_min_messages = warning;
DROP VIEW auth_view;
DROP SERVER auth_srv CASCADE;
DROP ROLE regress_dwsdr_auth_user;
DROP ROLE regress_dwsdr_auth_other;
RESET client_min_messages;
