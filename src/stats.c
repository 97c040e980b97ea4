/*-------------------------------------------------------------------------
 * stats.c
 *	  This backend's figures per foreign server, and the SQL functions
 *	  dwsdr_stats(), dwsdr_stats_reset() and dwsdr_cache_clear().
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "foreign/foreign.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/tuplestore.h"

#include "connection.h"
#include "stats.h"

/* Per-server figures of this backend, for dwsdr_stats(); never dropped. */
typedef struct ServerStatsEntry
{
	Oid			serverid;
	DwsStats	stats;
} ServerStatsEntry;

static HTAB *ServerStatsHash = NULL;

/* The figures of a server, made on first use. */
DwsStats *
dws_server_stats(Oid serverid)
{
	ServerStatsEntry *e;
	bool		found;

	if (ServerStatsHash == NULL)
		ServerStatsHash = dws_backend_hash("dwsdr_fdw server stats", 8,
										   sizeof(Oid),
										   sizeof(ServerStatsEntry),
										   TopMemoryContext);
	e = hash_search(ServerStatsHash, &serverid, HASH_ENTER, &found);
	if (!found)
		memset(&e->stats, 0, sizeof(DwsStats));
	return &e->stats;
}

PG_FUNCTION_INFO_V1(dwsdr_stats);
PG_FUNCTION_INFO_V1(dwsdr_stats_reset);
PG_FUNCTION_INFO_V1(dwsdr_cache_clear);

#define DWSDR_STATS_COLS 16

static void
stats_row(ReturnSetInfo *rsinfo, Oid serverid, DwsStats *s)
{
	Datum		values[DWSDR_STATS_COLS];
	bool		nulls[DWSDR_STATS_COLS] = {0};
	ForeignServer *server = GetForeignServerExtended(serverid, FSV_MISSING_OK);
	int			i = 0;

	if (server == NULL)
		return;					/* dropped since */
	values[i++] = CStringGetTextDatum(server->servername);	/* text */
	values[i++] = Int64GetDatum(s->calls[DWS_CALL_LIST] + s->calls[DWS_CALL_DETAIL] +
								s->calls[DWS_CALL_PROGRESS] +
								s->calls[DWS_CALL_EVENTS]);
	values[i++] = Int64GetDatum(s->calls[DWS_CALL_LIST]);
	values[i++] = Int64GetDatum(s->calls[DWS_CALL_DETAIL]);
	values[i++] = Int64GetDatum(s->calls[DWS_CALL_PROGRESS]);
	values[i++] = Int64GetDatum(s->retries);
	values[i++] = Int64GetDatum(s->errors);
	values[i++] = Int64GetDatum(s->err_auth);
	values[i++] = Int64GetDatum(s->err_throttled);
	values[i++] = Int64GetDatum(s->err_client);
	values[i++] = Int64GetDatum(s->err_server);
	values[i++] = Int64GetDatum(s->err_network);
	values[i++] = Int64GetDatum(s->err_too_large);
	values[i++] = Int64GetDatum(s->bytes);
	values[i++] = Float8GetDatum(s->wait_ms);
	values[i++] = Int64GetDatum(s->cache_hits);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * dwsdr_stats(): this backend's figures per server since it started (or
 * since dwsdr_stats_reset()).
 */
Datum
dwsdr_stats(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS scan;
	ServerStatsEntry *e;

	InitMaterializedSRF(fcinfo, 0);
	if (ServerStatsHash == NULL)
		return (Datum) 0;
	hash_seq_init(&scan, ServerStatsHash);
	while ((e = (ServerStatsEntry *) hash_seq_search(&scan)) != NULL)
		stats_row((ReturnSetInfo *) fcinfo->resultinfo, e->serverid, &e->stats);
	return (Datum) 0;
}

Datum
dwsdr_stats_reset(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS scan;
	ServerStatsEntry *e;

	if (ServerStatsHash == NULL)
		PG_RETURN_VOID();
	hash_seq_init(&scan, ServerStatsHash);
	while ((e = (ServerStatsEntry *) hash_seq_search(&scan)) != NULL)
		memset(&e->stats, 0, sizeof(DwsStats));
	PG_RETURN_VOID();
}

/* dwsdr_cache_clear(): forgets the answers kept for cache_ttl. */
Datum
dwsdr_cache_clear(PG_FUNCTION_ARGS)
{
	dws_cache_clear_all();
	PG_RETURN_VOID();
}
