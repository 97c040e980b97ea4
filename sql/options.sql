-- Options: where each one is valid, the values it takes, the combinations
-- of credentials, the endpoint of a region, and when changes take effect.
\set VERBOSITY default

--
-- Every valid option in its place.
--
CREATE SERVER options_all FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (region 'cn-north-4', endpoint 'http://127.0.0.1:18931/',
           project_id '0536cdee2200d5912f7cc00b877980f1',
           max_concurrency '256', connect_timeout_ms '1000', timeout_ms '2000',
           max_retries '10', max_retry_time_ms '0', max_response_bytes '1024',
           ca_file '/nonexistent/ca.pem', proxy 'http://127.0.0.1:1');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_all
  OPTIONS (access_key 'AK', secret_key 'SK');
ALTER USER MAPPING FOR CURRENT_USER SERVER options_all
  OPTIONS (SET access_key 'TEMPAK', SET secret_key 'TEMPSK', ADD security_token 'TOKEN');
DROP USER MAPPING FOR CURRENT_USER SERVER options_all;
CREATE USER MAPPING FOR CURRENT_USER SERVER options_all
  OPTIONS (auth_token 'IAMTOKEN');
-- a mapping without credentials is accepted here, refused at first use (auth.sql)
CREATE USER MAPPING FOR PUBLIC SERVER options_all;
CREATE FOREIGN TABLE options_ft (
  dr_id text,
  pct numeric OPTIONS (field 'primary_cluster.progress'),
  extra text OPTIONS (field 'some.future.field')
) SERVER options_all OPTIONS (resource 'disaster_recoveries', project_id 'table-project');
SELECT o.* FROM pg_foreign_server s, pg_options_to_table(s.srvoptions) o
 WHERE s.srvname = 'options_all';
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'options_ft'::regclass;
SELECT attname, attfdwoptions FROM pg_attribute
 WHERE attrelid = 'options_ft'::regclass AND attnum > 0 ORDER BY attnum;
-- the integer bounds are inclusive
ALTER SERVER options_all OPTIONS (SET max_concurrency '1', SET max_retries '0',
  SET max_response_bytes '1073741824', SET connect_timeout_ms '600000',
  SET timeout_ms '3600000', SET max_retry_time_ms '3600000');

--
-- Unknown options: the hint lists the valid ones of that place.
--
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (foo 'bar');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (access_key 'AK');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (resource 'dr_clusters');
ALTER SERVER options_all OPTIONS (ADD field 'x');
ALTER USER MAPPING FOR CURRENT_USER SERVER options_all OPTIONS (ADD foo 'bar');
ALTER USER MAPPING FOR PUBLIC SERVER options_all OPTIONS (ADD region 'cn-north-4');
ALTER USER MAPPING FOR PUBLIC SERVER options_all OPTIONS (ADD project_id 'p');
CREATE FOREIGN TABLE options_bad (dr_id text) SERVER options_all OPTIONS (foo 'bar');
CREATE FOREIGN TABLE options_bad (dr_id text) SERVER options_all OPTIONS (region 'cn-north-4');
CREATE FOREIGN TABLE options_bad (dr_id text OPTIONS (foo 'bar')) SERVER options_all
  OPTIONS (resource 'dr_clusters');
ALTER FOREIGN TABLE options_ft ALTER COLUMN dr_id OPTIONS (ADD resource 'dr_clusters');
ALTER FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (ADD foo 'bar');

--
-- Secret options exist only on user mappings; their values are never shown.
--
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (secret_key 'do-not-show-this-secret');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (security_token 'do-not-show-this-token');
ALTER SERVER options_all OPTIONS (ADD auth_token 'do-not-show-this-token');
CREATE FOREIGN TABLE options_bad (dr_id text) SERVER options_all
  OPTIONS (resource 'dr_clusters', secret_key 'do-not-show-this-secret');
ALTER FOREIGN TABLE options_ft OPTIONS (ADD auth_token 'do-not-show-this-token');
ALTER FOREIGN TABLE options_ft ALTER COLUMN dr_id OPTIONS (ADD security_token 'do-not-show-this-token');
ALTER FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (ADD secret_key 'do-not-show-this-secret');
-- an empty secret is refused without echoing anything of it
ALTER USER MAPPING FOR CURRENT_USER SERVER options_all OPTIONS (SET auth_token '');

--
-- Bad values.
--
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_concurrency '0');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_concurrency 'abc');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_concurrency '257');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_concurrency '');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_concurrency '4.5');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_concurrency '5 ');
-- strictly digits: no sign, no blanks on either side
CREATE SERVER options_bad_ws FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_concurrency ' 5');
CREATE SERVER options_bad_plus FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_concurrency '+5');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_concurrency '99999999999999999999');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_retries '-1');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_retries '11');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (timeout_ms '0');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_response_bytes '1023');
-- times also take a unit, as settings do (a whole number of it); counts do not
CREATE SERVER options_units FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (connect_timeout_ms '010', timeout_ms '30s', max_retry_time_ms '1min', cache_ttl '1h');
DROP SERVER options_units;
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (timeout_ms '2h');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (timeout_ms '30x');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (timeout_ms '1.5s');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (cache_ttl '30 s');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (max_retries '1s');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'ftp://x');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'file:///etc/passwd');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'not a url');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'dws.cn-north-4.myhuaweicloud.com');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint '');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://dws.example.com/?a=b');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://dws.example.com/#top');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://user:pw@dws.example.com');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://dws.example.com', proxy 'http://user:s3cret@proxy.example.com:3128');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'https://dws.example.com', proxy 'socks5://proxy.example.com:1080');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (region 'CN_NORTH');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (region '');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (region 'evil.com/x');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (project_id '');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (project_id 'a/b');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (ca_file '');
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (proxy '');
CREATE FOREIGN TABLE options_bad (dr_id text) SERVER options_all OPTIONS (resource 'foo');
CREATE FOREIGN TABLE options_bad (dr_id text) SERVER options_all OPTIONS (resource '');
CREATE FOREIGN TABLE options_bad (dr_id text) SERVER options_all
  OPTIONS (resource 'dr_clusters', project_id '../x/y');
CREATE FOREIGN TABLE options_bad (dr_id text OPTIONS (field '')) SERVER options_all
  OPTIONS (resource 'dr_clusters');
CREATE FOREIGN TABLE options_bad (dr_id text OPTIONS (field 'a..b')) SERVER options_all
  OPTIONS (resource 'dr_clusters');
CREATE FOREIGN TABLE options_bad (dr_id text OPTIONS (field '.a')) SERVER options_all
  OPTIONS (resource 'dr_clusters');
CREATE FOREIGN TABLE options_bad (dr_id text OPTIONS (field 'a.')) SERVER options_all
  OPTIONS (resource 'dr_clusters');
-- a bad value in ALTER leaves the object as it was
ALTER SERVER options_all OPTIONS (SET max_retries '99');
SELECT o.* FROM pg_foreign_server s, pg_options_to_table(s.srvoptions) o
 WHERE s.srvname = 'options_all' AND o.option_name = 'max_retries';

--
-- An option given twice.
--
CREATE SERVER options_bad FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (region 'cn-north-4', region 'cn-north-1');
ALTER SERVER options_all OPTIONS (ADD region 'cn-north-1');
ALTER USER MAPPING FOR CURRENT_USER SERVER options_all
  OPTIONS (ADD access_key 'A', ADD access_key 'B');
CREATE FOREIGN TABLE options_bad (dr_id text) SERVER options_all
  OPTIONS (resource 'dr_clusters', resource 'dr_progress');

--
-- Combinations of credentials in a user mapping.
--
CREATE SERVER options_um FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (region 'cn-north-4');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um OPTIONS (access_key 'AK');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um OPTIONS (secret_key 'SK');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (access_key 'AK', security_token 'TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um OPTIONS (security_token 'TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (auth_token 'IAMTOKEN', security_token 'TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (access_key 'AK', secret_key 'SK', auth_token 'IAMTOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (access_key 'AK', secret_key 'SK', security_token 'TOKEN', auth_token 'IAMTOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (access_key '', secret_key 'SK');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (access_key 'AK', secret_key '');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (access_key 'AK', secret_key 'SK', security_token '');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (access_key 'A', access_key 'B', secret_key 'SK');
-- ALTER is checked on the result: dropping half of a pair is refused too
CREATE USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (access_key 'AK', secret_key 'SK');
ALTER USER MAPPING FOR CURRENT_USER SERVER options_um OPTIONS (DROP secret_key);
ALTER USER MAPPING FOR CURRENT_USER SERVER options_um OPTIONS (ADD auth_token 'IAMTOKEN');
ALTER USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (DROP access_key, DROP secret_key, ADD security_token 'TOKEN');
ALTER USER MAPPING FOR CURRENT_USER SERVER options_um
  OPTIONS (DROP access_key, DROP secret_key, ADD auth_token 'IAMTOKEN');
SELECT umoptions FROM pg_user_mappings WHERE srvname = 'options_um';

--
-- The endpoint of a region (EXPLAIN needs no network and no user mapping).
--
CREATE SERVER options_region FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (region 'cn-north-4', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE FOREIGN TABLE options_region_ft (dr_id text, status text) SERVER options_region
  OPTIONS (resource 'dr_clusters');
EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM options_region_ft WHERE dr_id = 'x';
ALTER SERVER options_region OPTIONS (SET region 'eu-west-101');
EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM options_region_ft WHERE dr_id = 'x';
ALTER SERVER options_region OPTIONS (SET region 'cn-south-4');
EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM options_region_ft WHERE dr_id = 'x';
-- the other regions of the rules, by their EXPLAIN line only
CREATE FUNCTION options_endpoint_of(r text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  EXECUTE format('ALTER SERVER options_region OPTIONS (SET region %L)', r);
  FOR line IN EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM options_region_ft LOOP
    IF line LIKE '%DWS Endpoint:%' THEN
      RETURN btrim(line);
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
SELECT r AS region, options_endpoint_of(r) AS endpoint
  FROM unnest(ARRAY['cn-north-12', 'cn-east-4', 'tr-west-1', 'ap-southeast-4',
                    'cn-east-3', 'ap-southeast-1', 'la-south-2', 'eu-west-0',
                    'cn-north-1']) AS r;
-- endpoint overrides region (and loses its trailing slash)
ALTER SERVER options_region OPTIONS (SET region 'cn-south-4',
  ADD endpoint 'https://dws-private.example.com:8443/');
EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM options_region_ft WHERE dr_id = 'x';
ALTER SERVER options_region OPTIONS (DROP region);
EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM options_region_ft WHERE dr_id = 'x';
-- the table's project_id overrides the server's; WHERE project_id overrides both
ALTER FOREIGN TABLE options_region_ft OPTIONS (ADD project_id 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
ALTER FOREIGN TABLE options_region_ft ADD COLUMN project_id text;
EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM options_region_ft WHERE dr_id = 'x';
EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM options_region_ft
 WHERE dr_id = 'x' AND project_id = 'p';

--
-- Missing server options: clear errors when a query needs them.
--
CREATE SERVER options_nowhere FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER options_nowhere
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE FOREIGN TABLE options_nowhere_ft (dr_id text, status text) SERVER options_nowhere
  OPTIONS (resource 'dr_clusters');
SELECT status FROM options_nowhere_ft WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
EXPLAIN (COSTS OFF) SELECT status FROM options_nowhere_ft;
ALTER SERVER options_nowhere OPTIONS (ADD endpoint 'http://127.0.0.1:18931', DROP project_id);
-- no project_id on the server nor the table
SELECT status FROM options_nowhere_ft WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT status FROM options_nowhere_ft;
EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM options_nowhere_ft;
-- a table without a resource option
CREATE FOREIGN TABLE options_nores_ft (dr_id text) SERVER options_nowhere;
SELECT * FROM options_nores_ft;
-- now complete
ALTER SERVER options_nowhere OPTIONS (ADD project_id '0536cdee2200d5912f7cc00b877980f1');
SELECT status FROM options_nowhere_ft
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY status;

--
-- ALTER SERVER and ALTER USER MAPPING take effect on the next query: the
-- cached connection of the mapping is dropped.
--
-- try(): sql/setup.sql, run first
ALTER SERVER options_nowhere OPTIONS (ADD max_retries '0');
CALL try($$SELECT status FROM options_nowhere_ft WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ALTER USER MAPPING FOR CURRENT_USER SERVER options_nowhere
  OPTIONS (SET secret_key 'wrong-secret-value');
CALL try($$SELECT status FROM options_nowhere_ft WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ALTER USER MAPPING FOR CURRENT_USER SERVER options_nowhere
  OPTIONS (SET secret_key 'demo-secret-key-0001');
CALL try($$SELECT status FROM options_nowhere_ft WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
-- the same within one transaction
BEGIN;
ALTER USER MAPPING FOR CURRENT_USER SERVER options_nowhere
  OPTIONS (SET secret_key 'wrong-secret-value');
CALL try($$SELECT status FROM options_nowhere_ft WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ROLLBACK;
CALL try($$SELECT status FROM options_nowhere_ft WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
-- a server option: the endpoint
ALTER SERVER options_nowhere OPTIONS (SET endpoint 'http://127.0.0.1:1');
CALL try($$SELECT status FROM options_nowhere_ft WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ALTER SERVER options_nowhere OPTIONS (SET endpoint 'http://127.0.0.1:18931/');
CALL try($$SELECT status FROM options_nowhere_ft WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
-- a table option: the project
ALTER FOREIGN TABLE options_nowhere_ft OPTIONS (ADD project_id 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
SELECT dr_id, status FROM options_nowhere_ft ORDER BY dr_id, status;

--
-- Clean up.
--
SET client_min_messages = warning;
DROP FUNCTION options_endpoint_of(text);
DROP SERVER options_all CASCADE;
DROP SERVER options_um CASCADE;
DROP SERVER options_region CASCADE;
DROP SERVER options_nowhere CASCADE;
DROP SERVER IF EXISTS options_bad_ws, options_bad_plus;
RESET client_min_messages;
SELECT count(*) FROM pg_foreign_server WHERE srvname LIKE 'options%';
