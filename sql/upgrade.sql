-- Extension versions: CREATE EXTENSION dwsdr_fdw VERSION '1.0' followed by
-- ALTER EXTENSION dwsdr_fdw UPDATE must give exactly the objects of a fresh
-- install of the default version.  Runs in a database of its own (the test
-- database has the extension already).  Each member object is described by
-- one line: its identity, its comment, and for functions the signature,
-- result, body, language, volatility, strictness, parallel safety,
-- security, cost, rows, settings and privileges (and a digest of
-- pg_get_functiondef for anything else); for the wrapper its handler,
-- validator, options and privileges.
SET client_min_messages = warning;
CREATE DATABASE dwsdr_upgrade;
\c dwsdr_upgrade
SET client_min_messages = warning;
CREATE FUNCTION ext_members() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
         || ' | comment: ' || coalesce(obj_description(d.objid, d.classid::regclass::name), '-')
         || coalesce(' | ' || (
              SELECT format('%s returns %s | src %s bin %s lang %s | vol %s strict %s '
                            'parallel %s secdef %s leakproof %s cost %s rows %s | config %s '
                            '| acl %s | def %s',
                            p.oid::regprocedure, pg_get_function_result(p.oid),
                            p.prosrc, p.probin, l.lanname, p.provolatile, p.proisstrict,
                            p.proparallel, p.prosecdef, p.proleakproof, p.procost, p.prorows,
                            p.proconfig, p.proacl, md5(pg_get_functiondef(p.oid)))
              FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
              WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid), '')
         || coalesce(' | ' || (
              SELECT format('handler %s validator %s options %s acl %s',
                            w.fdwhandler::regproc, w.fdwvalidator::regproc,
                            w.fdwoptions, w.fdwacl)
              FROM pg_foreign_data_wrapper w
              WHERE d.classid = 'pg_foreign_data_wrapper'::regclass AND w.oid = d.objid), '')
  FROM pg_depend d
  WHERE d.refclassid = 'pg_extension'::regclass
    AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dwsdr_fdw')
    AND d.deptype = 'e'
$$;
-- the old version, then the update to the default one
CREATE EXTENSION dwsdr_fdw VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'dwsdr_fdw';
SELECT count(*) AS objects_in_1_0 FROM ext_members();
ALTER EXTENSION dwsdr_fdw UPDATE;
SELECT extversion, extrelocatable FROM pg_extension WHERE extname = 'dwsdr_fdw';
CREATE TABLE updated AS SELECT ext_members() AS m;
-- a fresh install of the default version
DROP EXTENSION dwsdr_fdw;
CREATE EXTENSION dwsdr_fdw;
SELECT extversion, extrelocatable FROM pg_extension WHERE extname = 'dwsdr_fdw';
CREATE TABLE fresh AS SELECT ext_members() AS m;
-- the objects (their identities)
SELECT split_part(m, ' | ', 1) AS object FROM fresh ORDER BY 1;
-- no difference, either way
CREATE VIEW differences AS
  (SELECT 'only after the update' AS side, m FROM updated EXCEPT SELECT 'only after the update', m FROM fresh)
  UNION ALL
  (SELECT 'only in a fresh install', m FROM fresh EXCEPT SELECT 'only in a fresh install', m FROM updated);
SELECT count(*) AS differences FROM differences;
-- the comparison sees a change of volatility, of privileges, of a comment,
-- and a missing object (each made on the fresh install, then undone)
BEGIN;
ALTER FUNCTION dwsdr_cache_clear() STABLE;
GRANT EXECUTE ON FUNCTION dwsdr_stats_reset() TO PUBLIC;
COMMENT ON FUNCTION dwsdr_stats() IS NULL;
ALTER EXTENSION dwsdr_fdw DROP FUNCTION dwsdr_fdw_validator(text[], oid);
TRUNCATE fresh;
INSERT INTO fresh SELECT ext_members();
SELECT side, split_part(m, ' | ', 1) AS object,
       substring(m from ' vol (.) ') AS vol,
       m ~ ' acl [^|]*[{,]=X' AS public_execute,
       m LIKE '%| comment: - |%' AS no_comment
FROM differences ORDER BY 2, 1;
ROLLBACK;
\c contrib_regression
DROP DATABASE dwsdr_upgrade;
