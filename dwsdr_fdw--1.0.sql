/* dwsdr_fdw--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dwsdr_fdw" to load this file. \quit

CREATE FUNCTION dwsdr_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION dwsdr_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER dwsdr_fdw
  HANDLER dwsdr_fdw_handler
  VALIDATOR dwsdr_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER dwsdr_fdw IS
  'reads Huawei Cloud GaussDB(DWS) disaster-recovery tasks through the DWS DR API';
