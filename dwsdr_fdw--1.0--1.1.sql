/* dwsdr_fdw--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dwsdr_fdw UPDATE TO '1.1'" to load this file. \quit

-- new in 1.1

CREATE FUNCTION dwsdr_get_connections(
    OUT server_name text,
    OUT user_name text,
    OUT valid boolean,
    OUT in_use boolean,
    OUT idle_handles integer,
    OUT in_flight integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION dwsdr_get_connections() IS
  'the connections to the DWS DR API this backend keeps open, per user mapping';

CREATE FUNCTION dwsdr_disconnect(text)
RETURNS boolean
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION dwsdr_disconnect(text) IS
  'closes the connections this backend keeps to the given foreign server';

CREATE FUNCTION dwsdr_disconnect_all()
RETURNS boolean
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION dwsdr_disconnect_all() IS
  'closes every connection to the DWS DR API this backend keeps';

-- end of new in 1.1
