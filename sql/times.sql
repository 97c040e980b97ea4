-- Times and numbers: API times are read by PostgreSQL's own input, a time
-- without a zone as UTC, so that no value depends on the session's
-- TimeZone; integers beyond 64 bits neither fail a query that does not
-- read them nor lose digits where one does (a real beyond a double is
-- refused).  The stand-in's tasks "fault-times", "fault-bignum" and
-- "fault-hugereal" carry such values.
SET client_min_messages = warning;
CREATE SERVER times_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER times_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA times;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries)
  FROM SERVER times_dws INTO times;
RESET client_min_messages;
SET search_path = times, public;
SET DateStyle = 'ISO, YMD';

-- ---------------------------------------------------------------------
-- times: the same stand-in times as timestamptz, timestamp and date
-- ---------------------------------------------------------------------
CREATE FOREIGN TABLE times_tz (
  dr_id          text,
  t_plain        timestamptz OPTIONS (field 'times.t_plain'),
  t_space        timestamptz OPTIONS (field 'times.t_space'),
  t_z            timestamptz OPTIONS (field 'times.t_z'),
  t_lower_z      timestamptz OPTIONS (field 'times.t_lower_z'),
  t_plus         timestamptz OPTIONS (field 'times.t_plus'),
  t_plus_compact timestamptz OPTIONS (field 'times.t_plus_compact'),
  t_plus_hour    timestamptz OPTIONS (field 'times.t_plus_hour'),
  t_minus        timestamptz OPTIONS (field 'times.t_minus'),
  t_frac10       timestamptz OPTIONS (field 'times.t_frac10'),
  t_frac10_zone  timestamptz OPTIONS (field 'times.t_frac10_zone'),
  t_frac_up      timestamptz OPTIONS (field 'times.t_frac_up'),
  t_day_back     timestamptz OPTIONS (field 'times.t_day_back'),
  t_frac10_p2    timestamptz(2) OPTIONS (field 'times.t_frac10')
) SERVER times_dws OPTIONS (resource 'disaster_recoveries');
CREATE FOREIGN TABLE times_wall (
  dr_id          text,
  t_plain        timestamp OPTIONS (field 'times.t_plain'),
  t_z            timestamp OPTIONS (field 'times.t_z'),
  t_plus         timestamp OPTIONS (field 'times.t_plus'),
  t_minus        timestamp OPTIONS (field 'times.t_minus'),
  t_frac10       timestamp OPTIONS (field 'times.t_frac10'),
  t_frac10_zone  timestamp OPTIONS (field 'times.t_frac10_zone'),
  t_frac_up      timestamp OPTIONS (field 'times.t_frac_up'),
  t_day_back     timestamp OPTIONS (field 'times.t_day_back'),
  t_frac10_p0    timestamp(0) OPTIONS (field 'times.t_frac10')
) SERVER times_dws OPTIONS (resource 'disaster_recoveries');
CREATE FOREIGN TABLE times_day (
  dr_id          text,
  t_plain        date OPTIONS (field 'times.t_plain'),
  t_plus         date OPTIONS (field 'times.t_plus'),
  t_day_back     date OPTIONS (field 'times.t_day_back')
) SERVER times_dws OPTIONS (resource 'disaster_recoveries');

-- each table's values, read once in each of three time zones
CREATE TEMP TABLE seen (zone text, tz times_tz, wall times_wall, day times_day);
CREATE FUNCTION times_read() RETURNS void LANGUAGE sql AS $$
  INSERT INTO seen
  SELECT current_setting('TimeZone'), tz, wall, day
    FROM times.times_tz tz, times.times_wall wall, times.times_day day
   WHERE tz.dr_id = 'fault-times' AND wall.dr_id = 'fault-times'
     AND day.dr_id = 'fault-times'
$$;
SET TimeZone = 'UTC';
SELECT times_read();
SET TimeZone = 'Asia/Shanghai';
SELECT times_read();
SET TimeZone = 'America/St_Johns';
SELECT times_read();

-- one instant, one wall time, one date per column, whatever the zone
SELECT count(*) AS zones, count(DISTINCT tz) AS instants,
       count(DISTINCT wall) AS wall_times, count(DISTINCT day) AS dates
  FROM seen;

-- what was read in America/St_Johns, shown in UTC: every spelling of
-- 06:39:56 UTC is that instant; ten fraction digits round to
-- microseconds as PostgreSQL rounds them (.1234567890 -> .123457,
-- 55.9999996 -> 56); a timestamp is the UTC wall time, a date the UTC date
SET TimeZone = 'UTC';
SELECT key, value FROM seen, jsonb_each_text(to_jsonb(tz))
 WHERE zone = 'America/St_Johns' AND key <> 'dr_id' ORDER BY key;
SELECT key, value FROM seen, jsonb_each_text(to_jsonb(wall))
 WHERE zone = 'America/St_Johns' AND key <> 'dr_id' ORDER BY key;
SELECT key, value FROM seen, jsonb_each_text(to_jsonb(day))
 WHERE zone = 'America/St_Johns' AND key <> 'dr_id' ORDER BY key;

-- the same checked against UTC literals, in each zone
SELECT zone,
       (tz).t_plain = '2023-04-29 06:39:56+00'
       AND (tz).t_space = (tz).t_plain AND (tz).t_z = (tz).t_plain
       AND (tz).t_lower_z = (tz).t_plain AND (tz).t_plus = (tz).t_plain
       AND (tz).t_plus_compact = (tz).t_plain
       AND (tz).t_plus_hour = (tz).t_plain AND (tz).t_minus = (tz).t_plain
       AND (tz).t_frac_up = (tz).t_plain AS same_instant,
       (tz).t_frac10 = '2023-04-29 06:39:56.123457+00'
       AND (tz).t_frac10_zone = (tz).t_frac10 AS frac10_utc,
       (tz).t_frac10_p2 = '2023-04-29 06:39:56.12+00' AS typmod_rounds,
       (wall).t_frac10 = '2023-04-29 06:39:56.123457'
       AND (wall).t_frac10_zone = (wall).t_frac10
       AND (wall).t_frac10_p0 = '2023-04-29 06:39:56' AS wall_utc,
       (day).t_day_back = '2024-02-29' AS day_utc
  FROM seen ORDER BY zone;

-- a time the input cannot read is an error naming the value, as before
CREATE FOREIGN TABLE times_bad (dr_id text, t timestamptz OPTIONS (field 'name'))
  SERVER times_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, t FROM times_bad WHERE dr_id = 'fault-times';
-- and the session's zone is back after it
SELECT current_setting('TimeZone') AS zone,
       '2023-04-29 06:39:56'::timestamptz = '2023-04-29 06:39:56+00' AS utc_session;
SET TimeZone = 'Asia/Shanghai';
SELECT dr_id, t FROM times_bad WHERE dr_id = 'fault-times';
SELECT current_setting('TimeZone') AS zone,
       '2023-04-29 14:39:56'::timestamptz = '2023-04-29 06:39:56+00' AS shanghai_session;
SET TimeZone = 'UTC';

-- domains over timestamptz and timestamp read as their base types (UTC,
-- ten fraction digits rounded, the domain's typmod), in any zone, and
-- their constraints hold
CREATE DOMAIN api_time AS timestamptz CHECK (VALUE > '2000-01-01');
CREATE DOMAIN api_wall AS timestamp(0);
CREATE DOMAIN api_future AS timestamptz CHECK (VALUE > '2030-01-01');
CREATE FOREIGN TABLE times_domain (
  dr_id  text,
  t      api_time OPTIONS (field 'times.t_frac10'),
  w      api_wall OPTIONS (field 'times.t_frac10'),
  d      api_wall OPTIONS (field 'times.t_day_back')
) SERVER times_dws OPTIONS (resource 'disaster_recoveries');
SET TimeZone = 'Asia/Shanghai';
CREATE TEMP TABLE seen_domain AS
  SELECT current_setting('TimeZone') AS zone, t, w, d FROM times_domain
   WHERE dr_id = 'fault-times';
SET TimeZone = 'UTC';
INSERT INTO seen_domain
  SELECT current_setting('TimeZone'), t, w, d FROM times_domain
   WHERE dr_id = 'fault-times';
SELECT zone, t, w, d, t = '2023-04-29 06:39:56.123457+00' AS frac10_utc
  FROM seen_domain ORDER BY zone;
CREATE FOREIGN TABLE times_domain_bad (dr_id text,
  t api_future OPTIONS (field 'times.t_frac10'))
  SERVER times_dws OPTIONS (resource 'disaster_recoveries');
SELECT t FROM times_domain_bad WHERE dr_id = 'fault-times';
-- the session keeps a table's description with its input functions; what
-- an input function caches while reading (a domain's constraints) stays
-- with each scan: the kept descriptions do not grow, query after query
CREATE DOMAIN api_name AS text CHECK (VALUE <> '');
CREATE FOREIGN TABLE times_name (dr_id text, name api_name)
  SERVER times_dws OPTIONS (resource 'disaster_recoveries');
SELECT name FROM times_name WHERE dr_id = 'fault-times';
SELECT sum(total_bytes - free_bytes) AS kept_bytes FROM pg_backend_memory_contexts
 WHERE name = 'dwsdr_fdw table description' \gset
DO $$
BEGIN
  FOR i IN 1..50 LOOP
    PERFORM name FROM times_name WHERE dr_id = 'fault-times';
  END LOOP;
END $$;
SELECT sum(total_bytes - free_bytes) - :kept_bytes AS growth FROM pg_backend_memory_contexts
 WHERE name = 'dwsdr_fdw table description';

-- ---------------------------------------------------------------------
-- numbers beyond 64 bits: 2^64 in big_int and primary_cluster.disk_used,
-- -(2^64)-1 in big_negative
-- ---------------------------------------------------------------------
-- not read: the query works
SELECT dr_id, name, status, primary_name FROM disaster_recoveries
 WHERE dr_id = 'fault-bignum';
-- also from the list call (a project whose list answer holds them)
SELECT dr_id, name FROM disaster_recoveries WHERE project_id = 'fault-bignum';
-- read: exact digits in numeric, text and jsonb
CREATE FOREIGN TABLE times_numbers (
  dr_id         text,
  big_int       numeric OPTIONS (field 'big_int'),
  big_negative  numeric OPTIONS (field 'big_negative'),
  big_text      text OPTIONS (field 'big_int'),
  disk_used     numeric OPTIONS (field 'primary_cluster.disk_used'),
  primary_json  jsonb OPTIONS (field 'primary_cluster'),
  raw           jsonb
) SERVER times_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, big_int, big_negative, big_text, disk_used,
       big_int = 18446744073709551616 AS exact,
       big_negative = -18446744073709551617 AS exact_negative
  FROM times_numbers WHERE dr_id = 'fault-bignum';
SELECT primary_json->'disk_used' AS disk_used_json,
       jsonb_typeof(primary_json->'disk_used') AS json_type,
       raw->'big_int' AS raw_big,
       jsonb_typeof(raw->'big_negative') AS raw_type
  FROM times_numbers WHERE dr_id = 'fault-bignum';
-- an integer column cannot hold it: an error naming the value
CREATE FOREIGN TABLE times_bigint (dr_id text, big_int bigint OPTIONS (field 'big_int'))
  SERVER times_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, big_int FROM times_bigint WHERE dr_id = 'fault-bignum';
-- a real beyond a double (1e400) is more than jansson reads: the answer is
-- refused, whatever the query reads
\set VERBOSITY terse
SELECT dr_id, name FROM disaster_recoveries WHERE dr_id = 'fault-hugereal';
\set VERBOSITY default

-- clean up
RESET TimeZone;
RESET DateStyle;
RESET search_path;
SET client_min_messages = warning;
DROP SERVER times_dws CASCADE;
DROP SCHEMA times CASCADE;
RESET client_min_messages;
