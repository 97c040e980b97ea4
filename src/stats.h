/*-------------------------------------------------------------------------
 * stats.h
 *	  The figures of this backend's calls, per foreign server and per scan:
 *	  dwsdr_stats(), dwsdr_stats_reset() and EXPLAIN ANALYZE read them.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_STATS_H
#define DWSDR_STATS_H

#include "dwsdr.h"

typedef struct DwsStats
{
	int64		calls[DWS_NUM_CALL_KINDS];	/* list, detail, progress, events:
											 * requests sent */
	int64		retries;		/* further attempts of those */
	int64		bytes;			/* body bytes received */
	double		wait_ms;		/* time spent waiting on the API */
	int64		cache_hits;		/* answers taken from a cache */
	int			peak_in_flight; /* most calls in flight at once (per scan) */
	int64		errors;			/* calls that failed for good: */
	int64		err_auth;		/* 401, 403 */
	int64		err_throttled;	/* 429 */
	int64		err_client;		/* other 4xx (not "no such task") */
	int64		err_server;		/* 5xx */
	int64		err_network;	/* no answer: connection, timeout */
	int64		err_too_large;	/* over max_response_bytes */
} DwsStats;

extern DwsStats *dws_server_stats(Oid serverid);

#endif							/* DWSDR_STATS_H */
