--
-- Regions: the DR estate as one foreign server per region, read through a
-- UNION ALL view.  Every scan of the view has its calls in flight from the
-- start, and any scan's wait moves them all on: the regions are asked at
-- the same time, list phases and detail phases alike.  The stand-in plays
-- three distant regions, each endpoint answering 300 ms late (/__delay300);
-- its own counters show whether the regions' requests overlapped
-- (max_in_flight), and each query is also timed against one region alone,
-- with a bound (2x) far from both sides: the regions read one after the
-- other take 3x.
--
SET client_min_messages = warning;
CREATE SERVER reg1 FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931/__delay300',
           project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE SERVER reg2 FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931/__delay300',
           project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE SERVER reg3 FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931/__delay300',
           project_id '0536cdee2200d5912f7cc00b877980f1');
-- a region that fails at once: not the API (a plain web server's 404),
-- in another project so that its message tells it apart
CREATE SERVER reg_bad FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931/__www',
           project_id 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER reg1
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE USER MAPPING FOR CURRENT_USER SERVER reg2
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE USER MAPPING FOR CURRENT_USER SERVER reg3
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE USER MAPPING FOR CURRENT_USER SERVER reg_bad
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA regions_s;
CREATE FOREIGN TABLE regions_s.r1 (dr_id text, name text, dr_sync_period text)
  SERVER reg1 OPTIONS (resource 'disaster_recoveries');
CREATE FOREIGN TABLE regions_s.r2 (dr_id text, name text, dr_sync_period text)
  SERVER reg2 OPTIONS (resource 'disaster_recoveries');
CREATE FOREIGN TABLE regions_s.r3 (dr_id text, name text, dr_sync_period text)
  SERVER reg3 OPTIONS (resource 'disaster_recoveries');
CREATE FOREIGN TABLE regions_s.r_bad (dr_id text, name text, dr_sync_period text)
  SERVER reg_bad OPTIONS (resource 'disaster_recoveries');
CREATE VIEW regions_s.estate AS
  SELECT 'r1' AS region, * FROM regions_s.r1
  UNION ALL SELECT 'r2', * FROM regions_s.r2
  UNION ALL SELECT 'r3', * FROM regions_s.r3;
-- region 2 fails, immediately, while region 1 waits for its answer
CREATE VIEW regions_s.estate_bad AS
  SELECT 'r1' AS region, * FROM regions_s.r1
  UNION ALL SELECT 'r2', * FROM regions_s.r_bad
  UNION ALL SELECT 'r3', * FROM regions_s.r3;

-- the stand-in's control routes (the server runs with proxy variables set,
-- which curl must not use)
CREATE TEMP TABLE mock_out (j text);
CREATE FUNCTION regions_s.mock(method text, route text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  s jsonb;
BEGIN
  TRUNCATE mock_out;
  EXECUTE format('COPY mock_out FROM PROGRAM %L WITH (FORMAT csv, QUOTE e''\x01'', DELIMITER e''\x02'')',
                 format('curl -s --noproxy 127.0.0.1 -X %s http://127.0.0.1:18931/__mock/%s',
                        method, route));
  SELECT j::jsonb INTO s FROM mock_out;
  RETURN s;
END $$;
-- run(q): runs q (one bigint) once to warm the connections, then again
-- with the stand-in's counters zeroed; its result, its time, and the most
-- requests the stand-in had in flight at once meanwhile
CREATE FUNCTION regions_s.run(q text, OUT result bigint, OUT ms float8,
                              OUT max_in_flight int)
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
BEGIN
  EXECUTE q INTO result;
  PERFORM pg_sleep(0.35);        -- nothing of an earlier query still in flight
  PERFORM regions_s.mock('POST', 'reset');
  t0 := clock_timestamp();
  EXECUTE q INTO result;
  ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
  max_in_flight := (regions_s.mock('GET', 'stats')->>'max_in_flight')::int;
END $$;
-- compare(one, view): the query over one region, then over the view of
-- three: their results, whether the view took less than twice one region's
-- time, and the view's requests in flight at once
CREATE FUNCTION regions_s.compare(one text, three text)
RETURNS TABLE (one_region bigint, three_regions bigint,
               under_2x bool, max_in_flight int)
LANGUAGE plpgsql AS $$
DECLARE
  a record;
  b record;
BEGIN
  SELECT * INTO a FROM regions_s.run(one);
  SELECT * INTO b FROM regions_s.run(three);
  RETURN QUERY SELECT a.result, b.result, b.ms < 2 * a.ms, b.max_in_flight;
END $$;
RESET client_min_messages;
SET search_path = regions_s, public;

-- the plan: an Append of the three regions' scans
EXPLAIN (COSTS OFF) SELECT count(*) FROM estate;

-- list only: the three list calls at once (one after the other: 1)
SELECT * FROM compare('SELECT count(*) FROM r1', 'SELECT count(*) FROM estate');
-- a detail column: the lists at once, then every region's 5 detail calls
-- at once (more than 10: the detail phases of all three overlapped, not
-- only that of the region being read)
SELECT one_region, three_regions, under_2x, max_in_flight > 10 AS details_overlapped
  FROM compare('SELECT count(dr_sync_period) FROM r1',
               'SELECT count(dr_sync_period) FROM estate');
-- by id: one detail call per region, the three at once
SELECT * FROM compare($$SELECT count(*) FROM r1 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$,
                      $$SELECT count(*) FROM estate WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
-- two scans of one server (one connection): both lists at once
SELECT result, max_in_flight
  FROM run('SELECT count(*) FROM (SELECT * FROM r1 UNION ALL SELECT * FROM r1) x');
-- the two sides of a join of two regions, a detail column on each: all
-- their calls at once (the lists, then 5 + 5 details: more than one
-- side's 5 in flight together)
SELECT result, max_in_flight > 5 AS sides_overlapped
  FROM run('SELECT count(*) FROM r1 JOIN r2 USING (dr_sync_period)');
-- the rows are each region's
SELECT region, count(*), count(dr_sync_period) FROM estate GROUP BY region ORDER BY region;

-- LIMIT 1: region 1's first row ends the query; the other regions' calls,
-- in flight, are dropped with their scans: no error, and nothing left in
-- flight in this backend afterwards
SELECT * FROM compare('SELECT count(*) FROM (SELECT * FROM r1 LIMIT 1) x',
                      'SELECT count(*) FROM (SELECT * FROM estate LIMIT 1) x');
SELECT region FROM estate LIMIT 1;
SELECT count(*) AS connections, sum(in_flight) AS in_flight
  FROM dwsdr_get_connections() WHERE server_name LIKE 'reg%';

-- rescans: the view in a subquery run again for each outer row (a scan
-- started before its first row starts again, cleanly: the same rows each
-- time), and LATERAL with each outer row's id (a scan that needs a value
-- of the outer row starts at its first row)
EXPLAIN (COSTS OFF)
SELECT g, (SELECT count(*) FROM estate WHERE g > 0) FROM generate_series(1, 3) g;
SELECT g, (SELECT count(*) FROM estate WHERE g > 0) FROM generate_series(1, 3) g;
SELECT v.id, e.region, e.name
  FROM (VALUES ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6'),
               ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'),
               ('no-such-task')) v(id)
  CROSS JOIN LATERAL (SELECT region, name FROM estate WHERE dr_id = v.id OFFSET 0) e
 ORDER BY 1, 2;

-- cancel: statement_timeout during the concurrent wait (a detail column
-- takes two 300 ms phases); the standard message, and the next query works
SET statement_timeout = '400ms';
SELECT count(dr_sync_period) FROM estate;
RESET statement_timeout;
SELECT count(*) AS connections, sum(in_flight) AS in_flight
  FROM dwsdr_get_connections() WHERE server_name LIKE 'reg%';
SELECT count(*) FROM estate;

-- an error in region 2 while region 1 is being read: region 2's failure
-- comes back first, stays with region 2's scan and fails the statement
-- when that scan is read, with region 2's own message
SELECT count(*) FROM estate_bad;
-- the same statement with a detail column
SELECT count(dr_sync_period) FROM estate_bad;
-- a region never read reports nothing: LIMIT 1 is met by region 1
SELECT region FROM estate_bad LIMIT 1;
-- and the session goes on: the next query is fine
SELECT region, count(*) FROM estate GROUP BY region ORDER BY region;
