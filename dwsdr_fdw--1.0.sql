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

CREATE FUNCTION dwsdr_stats(
    OUT server text,
    OUT calls bigint,
    OUT list_calls bigint,
    OUT detail_calls bigint,
    OUT progress_calls bigint,
    OUT retries bigint,
    OUT errors bigint,
    OUT auth_errors bigint,
    OUT throttled bigint,
    OUT client_errors bigint,
    OUT server_errors bigint,
    OUT network_errors bigint,
    OUT too_large bigint,
    OUT bytes_received bigint,
    OUT wait_ms double precision,
    OUT cache_hits bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION dwsdr_stats() IS
  'calls to the DWS DR API made by this backend, per foreign server';

CREATE FUNCTION dwsdr_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION dwsdr_cache_clear()
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION dwsdr_cache_clear() IS
  'forgets the answers this backend keeps for servers with cache_ttl';

REVOKE ALL ON FUNCTION dwsdr_stats_reset() FROM PUBLIC;

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
