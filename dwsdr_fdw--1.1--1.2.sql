/* dwsdr_fdw--1.1--1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dwsdr_fdw UPDATE TO '1.2'" to load this file. \quit

-- new in 1.2

CREATE FUNCTION dwsdr_activity(
    OUT pid integer,
    OUT server_name text,
    OUT user_name text,
    OUT calls_done bigint,
    OUT calls_total bigint,
    OUT in_flight integer,
    OUT waiting_for_budget boolean,
    OUT since timestamp with time zone)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION dwsdr_activity() IS
  'backends with calls to the DWS DR API in flight or waiting (only this one unless dwsdr_fdw is preloaded)';

-- end of new in 1.2
