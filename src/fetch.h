/*-------------------------------------------------------------------------
 * fetch.h
 *	  The calls of one scan and the records they give (fetch.c).
 *-------------------------------------------------------------------------
 */
#ifndef DWS_FETCH_H
#define DWS_FETCH_H

#include "dwsdr.h"
#include "plan.h"
#include "api.h"
#include "cache.h"
#include "connection.h"
#include "row.h"
#include "stats.h"

/* A plan with the values its scan has now. */
typedef struct DwsFetchSpec
{
	const DwsScanPlan *plan;	/* the calls */
	List	   *projects;		/* char *, distinct */
	List	   *ids;			/* char *, distinct (when plan->ids_given) */
	Oid			serverid;		/* the sizes seen are kept under it */
	bool		unreachable_is_error;	/* ANALYZE: when_unreachable is
										 * ignored, an outage fails it */
} DwsFetchSpec;

typedef struct DwsFetch DwsFetch;

extern DwsFetch *dws_fetch_begin(DwsConn *conn, DwsFetchSpec *spec,
								 DwsTableDesc *desc, DwsStats *stats,
								 DwsCache *query_cache);
extern void dws_fetch_start(DwsFetch *fetch);
extern json_t *dws_fetch_next(DwsFetch *fetch, DwsSource *src);

/*
 * What events.c borrows from fetch.c: the batch of the scan, and the
 * reporting of a failure in the scan's figures (answer.c).
 */
extern void dws_fetch_send(DwsFetch *f, DwsRequest *req);
extern DwsRequest *dws_fetch_answer(DwsFetch *f);
extern json_t *dws_fetch_parse(DwsFetch *f, DwsRequest *req, bool must_parse);
extern void dws_fetch_call_error(DwsFetch *f, DwsRequest *req, json_t *root,
								 const char *problem);
extern bool dws_fetch_skip_unreachable(DwsFetch *f, DwsRequest *req);

#endif							/* DWS_FETCH_H */
