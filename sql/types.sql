-- Types: hand-written foreign tables with other column types, the field
-- option, API times in any session time zone, JSON values of unexpected
-- types, and conversion errors.
SET client_min_messages = warning;
CREATE SERVER types_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER types_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA types;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters, disaster_recoveries)
  FROM SERVER types_dws INTO types;
RESET client_min_messages;
SET search_path = types, public;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- ---------------------------------------------------------------------
-- a subset of the columns, in another order, with other types
-- ---------------------------------------------------------------------
CREATE FOREIGN TABLE types_tasks (
  create_time      date,
  start_time       timestamp,          -- without time zone: UTC wall time
  primary_progress numeric(5,1),
  status           varchar(8),
  name             varchar,
  dr_type          char(6),
  dr_sync_period   interval,
  dr_id            varchar(36),
  standby_last_success_time timestamptz,
  start_raw        text OPTIONS (field 'start_time'),
  raw              jsonb
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');

EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name, status, dr_type, create_time, start_time, start_raw,
       primary_progress, dr_sync_period, standby_last_success_time
  FROM types_tasks ORDER BY dr_id;
SELECT dr_id, name, status, dr_type, create_time, start_time, start_raw,
       primary_progress, dr_sync_period, standby_last_success_time
  FROM types_tasks ORDER BY dr_id;
SELECT pg_typeof(create_time) AS create_time, pg_typeof(start_time) AS start_time,
       pg_typeof(primary_progress) AS progress, pg_typeof(status) AS status,
       pg_typeof(dr_type) AS dr_type, pg_typeof(dr_sync_period) AS period,
       length(dr_type) AS dr_type_len, octet_length(dr_type::text) AS type_octets,
       dr_type = 'az' AS az_padded
  FROM types_tasks WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

-- a varchar key column is pushed down like text
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name FROM types_tasks WHERE dr_id = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';
SELECT dr_id, name FROM types_tasks WHERE dr_id = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, name FROM types_tasks WHERE dr_id = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';

-- varchar(n) follows the input function: a longer value is an error, not
-- a truncation
CREATE FOREIGN TABLE types_short (
  dr_id text,
  name  varchar(9)
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
-- "dws-it-02" fits
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name, length(name) FROM types_short WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT dr_id, name, length(name) FROM types_short WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- "dr-abnormal-02" does not
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name FROM types_short WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
SELECT dr_id, name FROM types_short WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
-- (an explicit cast of the value read truncates, as always)
SELECT dr_id, name::varchar(4) AS short FROM types_short
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- ---------------------------------------------------------------------
-- numbers: "100" (a string) and 87.5 (a JSON number) convert alike
-- ---------------------------------------------------------------------
CREATE FOREIGN TABLE types_progress (
  dr_id            text,
  primary_progress text,
  standby_progress text,
  p_num            numeric OPTIONS (field 'primary_cluster.progress'),
  p_num51          numeric(5,1) OPTIONS (field 'primary_cluster.progress'),
  p_float          float8 OPTIONS (field 'primary_cluster.progress'),
  s_int            int OPTIONS (field 'standby_cluster.progress')
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM types_progress
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a')
 ORDER BY dr_id;
SELECT * FROM types_progress
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a')
 ORDER BY dr_id;
SELECT dr_id, p_num = 87.5 AS is_87_5, p_num + 0.25 AS plus FROM types_progress
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';

-- an int column: "100" converts, the JSON number 87.5 does not
CREATE FOREIGN TABLE types_int (
  dr_id            text,
  primary_progress int
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, primary_progress FROM types_int WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT dr_id, primary_progress FROM types_int WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT dr_id, primary_progress FROM types_int WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
-- a column the query does not use is not converted, so it cannot fail
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM types_int WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT dr_id FROM types_int WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT count(*) FROM types_int WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';

-- a value that cannot convert: the error names the table, the column,
-- the task and the raw value
CREATE FOREIGN TABLE types_badnum (
  dr_id    text,
  name_num numeric OPTIONS (field 'name')
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name_num FROM types_badnum WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT dr_id, name_num FROM types_badnum WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- also from a full scan (the list call gives the name)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name_num FROM types_badnum ORDER BY dr_id;
SELECT dr_id, name_num FROM types_badnum ORDER BY dr_id;

-- ---------------------------------------------------------------------
-- the field option
-- ---------------------------------------------------------------------
-- on dr_clusters: "cluster." is the row's own cluster, "primary_cluster."
-- the task's primary, whatever the row; an unknown field reads NULL
CREATE FOREIGN TABLE types_clusters (
  dr_id        text,
  side         varchar(7),
  az           text OPTIONS (field 'cluster.cluster_az'),
  cluster_name text,
  primary_pct  numeric OPTIONS (field 'primary_cluster.progress'),
  future       text OPTIONS (field 'primary_cluster.no_such_field'),
  future_top   text OPTIONS (field 'no_such_field')
) SERVER types_dws OPTIONS (resource 'dr_clusters');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM types_clusters
 WHERE dr_id IN ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6')
 ORDER BY dr_id, side;
SELECT * FROM types_clusters
 WHERE dr_id IN ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6')
 ORDER BY dr_id, side;
-- without a dr_id: a field the FDW does not know is assumed to need the
-- detail call
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, future FROM types_clusters ORDER BY dr_id, side;
-- "cluster.name" is in the list call: no detail call
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, cluster_name FROM types_clusters ORDER BY dr_id, side;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side, cluster_name FROM types_clusters;
SELECT dr_id, side, cluster_name FROM types_clusters ORDER BY dr_id, side;

-- on disaster_recoveries, a field path reaches into the clusters
CREATE FOREIGN TABLE types_paths (
  id      text OPTIONS (field 'id'),
  pct     numeric OPTIONS (field 'primary_cluster.progress'),
  sbucket text OPTIONS (field 'standby_cluster.obs_bucket_name'),
  dstore  text OPTIONS (field 'standby_cluster.datastore_version'),
  nothing text OPTIONS (field 'standby_cluster.no_such_field'),
  standby jsonb OPTIONS (field 'standby_cluster')
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
-- a column mapped to "id" is the key column: pushed down
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, pct, sbucket, dstore, nothing, standby->>'name' AS standby_name
  FROM types_paths WHERE id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT id, pct, sbucket, dstore, nothing, standby->>'name' AS standby_name
  FROM types_paths WHERE id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT id, pct FROM types_paths WHERE id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
-- a null standby_cluster object: NULL
SELECT id, pct, sbucket, standby FROM types_paths
 WHERE id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

-- a column named like no field, without a field option: an error with a hint
CREATE FOREIGN TABLE types_typo (
  dr_id  text,
  statsu text
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, statsu FROM types_typo WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT dr_id FROM types_typo WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- the hint's remedy works
ALTER FOREIGN TABLE types_typo ALTER COLUMN statsu OPTIONS (ADD field 'status');
SELECT dr_id, statsu FROM types_typo WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- ---------------------------------------------------------------------
-- times: no offset means UTC; Z, +08:00, fractions and a space accepted;
-- the instant does not depend on the session's TimeZone
-- ---------------------------------------------------------------------
CREATE FOREIGN TABLE types_times (
  dr_id        text,
  start_time   timestamptz,
  start_raw    text OPTIONS (field 'start_time'),
  start_local  timestamp OPTIONS (field 'start_time'),
  p_success    timestamptz OPTIONS (field 'primary_cluster.last_success_time'),
  s_success    timestamptz OPTIONS (field 'standby_cluster.last_success_time'),
  s_success_raw text OPTIONS (field 'standby_cluster.last_success_time'),
  s_success_local timestamp OPTIONS (field 'standby_cluster.last_success_time'),
  last_disaster_time timestamptz
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');

-- the published example (no offset), 6d2f4c1a (Z, +08:00 and a fraction)
-- and 9a8b7c6d (a space instead of T)
SET TimeZone = 'UTC';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, start_raw, start_time, start_local, s_success_raw, s_success, s_success_local
  FROM types_times
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a',
                 '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d')
 ORDER BY dr_id;
SELECT dr_id, start_raw, start_time, start_local, s_success_raw, s_success, s_success_local
  FROM types_times
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a',
                 '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d')
 ORDER BY dr_id;
SET TimeZone = 'Asia/Shanghai';
SELECT dr_id, start_raw, start_time, start_local, s_success_raw, s_success, s_success_local
  FROM types_times
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a',
                 '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d')
 ORDER BY dr_id;
SET TimeZone = 'America/New_York';
SELECT dr_id, start_raw, start_time, start_local, s_success_raw, s_success, s_success_local
  FROM types_times
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a',
                 '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d')
 ORDER BY dr_id;

-- the same instants, compared with UTC literals, in each time zone
CREATE FUNCTION types_check_times() RETURNS TABLE (zone text, dr_id text, ok boolean)
LANGUAGE sql AS $$
  SELECT current_setting('TimeZone'), t.dr_id,
         CASE t.dr_id
           WHEN 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' THEN
             t.start_time = '2023-04-28 09:23:38+00'
             AND t.p_success = '2023-04-29 06:39:56+00'
             AND t.s_success = '2023-04-29 06:39:56+00'
             AND t.start_local = '2023-04-28 09:23:38'
             AND t.last_disaster_time IS NULL
           WHEN '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a' THEN
             t.start_time = '2024-02-01 08:00:00+00'
             AND t.p_success = '2024-03-01 10:00:00+00'
             AND t.s_success = '2024-03-01 10:30:00.25+00'
             AND t.s_success_local = '2024-03-01 10:30:00.25'
             AND t.last_disaster_time = '2024-02-20 03:04:05+00'
           WHEN '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' THEN
             t.start_time = '2024-01-05 07:30:00+00'
             AND t.p_success = '2024-01-05 08:00:00+00'
             AND t.start_local = '2024-01-05 07:30:00'
             AND t.s_success IS NULL
         END
    FROM types.types_times t
   WHERE t.dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6',
                     '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a',
                     '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d')
$$;
SET TimeZone = 'UTC';
SELECT * FROM types_check_times() ORDER BY dr_id;
SET TimeZone = 'Asia/Shanghai';
SELECT * FROM types_check_times() ORDER BY dr_id;
SET TimeZone = 'America/New_York';
SELECT * FROM types_check_times() ORDER BY dr_id;
-- the UTC wall time of a timestamptz, whatever the zone
SELECT dr_id, start_time AT TIME ZONE 'UTC' AS start_utc, s_success AT TIME ZONE 'UTC' AS s_success_utc
  FROM types_times WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
-- a time from the list call (full scan, no detail call) is UTC too
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, start_time, last_disaster_time FROM types_times ORDER BY dr_id;
SELECT dr_id, start_time, last_disaster_time FROM types_times ORDER BY dr_id;
SELECT dr_id, start_time = '2024-01-05 07:30:00+00' AS space_form_ok
  FROM types_times WHERE start_raw = '2024-01-05 07:30:00';
-- the imported table's timestamptz columns
SELECT dr_id, side, last_success_time, dr_start_time, dr_create_time
  FROM dr_clusters
 WHERE dr_id IN ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d')
 ORDER BY dr_id, side;
SET TimeZone = 'UTC';
SELECT dr_id, side, last_success_time, dr_start_time, dr_create_time
  FROM dr_clusters
 WHERE dr_id IN ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d')
 ORDER BY dr_id, side;

-- ---------------------------------------------------------------------
-- raw: the task exactly as the API returned it
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT raw FROM disaster_recoveries WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT raw = '{
    "id" : "b303b78d-438c-41dd-aaf6-c98eea1fc2a6",
    "name" : "dws-it-02",
    "status" : "running",
    "dr_type" : "region",
    "primary_cluster" : {
      "id" : "3de21046-e65e-4fcf-86bf-583115b39c27",
      "name" : "dws-203-primary",
      "cluster_az" : "cn-north-7c",
      "role" : "primary",
      "region" : "cn-north-7",
      "status" : "waiting",
      "progress" : "100",
      "last_success_time" : "2023-04-29T06:39:56",
      "obs_bucket_name" : null
    },
    "standby_cluster" : {
      "id" : "5d946c51-9ffa-49e3-9129-2bea4d23d3fd",
      "name" : "dws-205-standby",
      "cluster_az" : null,
      "role" : "standby",
      "region" : "cn-north-208",
      "status" : "waiting",
      "progress" : "100",
      "last_success_time" : "2023-04-29T06:39:56",
      "obs_bucket_name" : null
    },
    "dr_sync_period" : "3H",
    "start_time" : "2023-04-28T09:23:38",
    "create_time" : "2023-04-28T08:51:54"
  }'::jsonb AS published_example
  FROM disaster_recoveries WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT raw->'primary_cluster'->>'cluster_az' AS primary_az,
       raw->'standby_cluster'->'cluster_az' AS standby_az_json,
       raw->'standby_cluster'->>'cluster_az' IS NULL AS standby_az_null,
       jsonb_typeof(raw->'primary_cluster'->'obs_bucket_name') AS bucket_type,
       raw->'primary_cluster'->>'progress' AS progress,
       jsonb_typeof(raw->'primary_cluster'->'progress') AS progress_type,
       raw ? 'project_id' AS has_project_id
  FROM disaster_recoveries WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- 87.5 stays a JSON number in raw
SELECT raw->'primary_cluster'->'progress' AS progress,
       jsonb_typeof(raw->'primary_cluster'->'progress') AS progress_type,
       raw->'standby_cluster'->>'last_success_time' AS standby_success
  FROM types_tasks WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
-- raw needs the detail call, even without a dr_id
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, raw->>'dr_sync_period' AS period FROM disaster_recoveries ORDER BY dr_id;
SELECT dr_id, raw->>'dr_sync_period' AS period FROM disaster_recoveries ORDER BY dr_id;
-- raw as json keeps the API's text (key order)
CREATE FOREIGN TABLE types_rawjson (
  dr_id text,
  raw   json
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
SELECT raw FROM types_rawjson WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

-- ---------------------------------------------------------------------
-- dr_clusters: a null standby_cluster gives no row; primary first
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, cluster_id, role, cluster_az FROM dr_clusters
 WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' ORDER BY side;
SELECT dr_id, side, cluster_id, role, cluster_az FROM dr_clusters
 WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' ORDER BY side;
-- the same from the list call (no detail call)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, cluster_id, role FROM dr_clusters
 WHERE dr_name = 'dr-abnormal-02' ORDER BY side;
SELECT dr_id, side, cluster_id, role FROM dr_clusters
 WHERE dr_name = 'dr-abnormal-02' ORDER BY side;
-- primary first: the rows of one task come in that order (row_number()
-- OVER () numbers the rows as the scan returns them)
SELECT side, cluster_name, row_number() OVER () AS n FROM dr_clusters
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
-- from the list call alone, and from list then detail
WITH s AS (SELECT dr_id, side, row_number() OVER () AS n FROM dr_clusters)
SELECT dr_id, string_agg(side, ',' ORDER BY n) AS sides FROM s GROUP BY dr_id ORDER BY dr_id;
WITH s AS (SELECT dr_id, side, cluster_az, row_number() OVER () AS n FROM dr_clusters)
SELECT dr_id, string_agg(side || ':' || coalesce(cluster_az, '-'), ',' ORDER BY n) AS sides
  FROM s GROUP BY dr_id ORDER BY dr_id;
-- a task being created: both clusters present, most fields null
SELECT dr_id, side, cluster_id, cluster_name, region, status, progress, last_success_time
  FROM dr_clusters WHERE dr_id = 'f0e1d2c3-b4a5-4968-8776-655443322110' ORDER BY side;

-- ---------------------------------------------------------------------
-- JSON values of unexpected types (fault-wrongtypes): numbers and
-- booleans read as their text; objects and arrays as compact JSON;
-- what a type cannot read is an error naming the value
-- ---------------------------------------------------------------------
CREATE FOREIGN TABLE types_wrong_text (
  dr_id          text,
  name           text,
  status         text,
  dr_type        text,
  dr_sync_period text,
  primary_id     text,
  standby_id     text,
  standby_name   text,
  standby_az     text,
  standby_role   text,
  standby_region text,
  standby_status text,
  standby_progress numeric,
  standby_obs_bucket_name text
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name, status, dr_type, dr_sync_period FROM types_wrong_text
 WHERE dr_id = 'fault-wrongtypes';
SELECT dr_id, name, status, dr_type, dr_sync_period FROM types_wrong_text
 WHERE dr_id = 'fault-wrongtypes';
-- primary_cluster is "oops", not an object: its fields are NULL
SELECT primary_id, standby_id, standby_name, standby_az, standby_role,
       standby_region, standby_status, standby_progress, standby_obs_bucket_name
  FROM types_wrong_text WHERE dr_id = 'fault-wrongtypes';
-- into other types
CREATE FOREIGN TABLE types_wrong_typed (
  dr_id   text,
  name    int,
  status  boolean,
  standby_progress numeric(4,1),
  s_id    int OPTIONS (field 'standby_cluster.id'),
  s_az    boolean OPTIONS (field 'standby_cluster.cluster_az'),
  s_role  jsonb OPTIONS (field 'standby_cluster.role'),
  s_region jsonb OPTIONS (field 'standby_cluster.region'),
  dr_type jsonb
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM types_wrong_typed WHERE dr_id = 'fault-wrongtypes';
SELECT * FROM types_wrong_typed WHERE dr_id = 'fault-wrongtypes';
-- an object where a time is expected
CREATE FOREIGN TABLE types_wrong_start (dr_id text, start_time timestamptz)
  SERVER types_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, start_time FROM types_wrong_start WHERE dr_id = 'fault-wrongtypes';
-- a time string with impossible fields
CREATE FOREIGN TABLE types_wrong_create (dr_id text, create_time timestamptz)
  SERVER types_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, create_time FROM types_wrong_create WHERE dr_id = 'fault-wrongtypes';
-- a JSON number where a time is expected
CREATE FOREIGN TABLE types_wrong_success (dr_id text, standby_last_success_time timestamptz)
  SERVER types_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, standby_last_success_time FROM types_wrong_success WHERE dr_id = 'fault-wrongtypes';
-- a JSON number where a sync period is expected, into an interval
CREATE FOREIGN TABLE types_wrong_period (dr_id text, dr_sync_period interval)
  SERVER types_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, dr_sync_period FROM types_wrong_period WHERE dr_id = 'fault-wrongtypes';
-- the imported table: the columns a query reads convert; start_time, an
-- object, is not read here and must not fail the query
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name, status, dr_type FROM disaster_recoveries WHERE dr_id = 'fault-wrongtypes';
SELECT dr_id, name, status, dr_type FROM disaster_recoveries WHERE dr_id = 'fault-wrongtypes';
-- dr_clusters cannot make a row of a cluster that is not an object
SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'fault-wrongtypes';

-- ---------------------------------------------------------------------
-- numbers as the API wrote them (the stand-in's fault-digits): raw holds
-- what jsonb reads from the answer's bytes, and numeric and text columns
-- the digits written, however a double would print them
-- ---------------------------------------------------------------------
CREATE FOREIGN TABLE types_digits (
  dr_id           text,
  primary_progress numeric,
  progress_text   text OPTIONS (field 'primary_cluster.progress'),
  trailing_zero   numeric OPTIONS (field 'digits.trailing_zero'),
  exponent        numeric OPTIONS (field 'digits.exponent'),
  long_fraction   numeric OPTIONS (field 'digits.long_fraction'),
  huge_integer    numeric OPTIONS (field 'digits.huge_integer'),
  negative_zero   text OPTIONS (field 'digits.negative_zero'),
  small           text OPTIONS (field 'digits.small'),
  digits          jsonb OPTIONS (field 'digits'),
  raw             jsonb
) SERVER types_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, primary_progress, progress_text, trailing_zero, exponent,
       long_fraction, huge_integer, negative_zero, small
  FROM types_digits WHERE dr_id = 'fault-digits';
SELECT digits::text AS digits, (raw->'digits')::text AS raw_digits,
       raw->'primary_cluster'->'progress' AS raw_progress
  FROM types_digits WHERE dr_id = 'fault-digits';
-- the list's items keep their digits too (its status is the number 1e2)
SELECT dr_id, status FROM disaster_recoveries WHERE project_id = 'fault-digits';
-- and a record made of both calls: the detail's digits, and raw the
-- detail's object (no list-only field)
SELECT dr_id, primary_project_id IS NOT NULL AS merged, primary_progress,
       raw->'digits'->'long_fraction' AS long_fraction,
       raw ? 'project_id' AS raw_has_project
  FROM disaster_recoveries WHERE project_id = 'fault-digits';

-- clean up
RESET TimeZone;
RESET DateStyle;
RESET search_path;
SET client_min_messages = warning;
DROP SERVER types_dws CASCADE;
DROP SCHEMA types CASCADE;
RESET client_min_messages;
