/*-------------------------------------------------------------------------
 * dwsdr.h
 *	  What every PostgreSQL-side module of dwsdr_fdw shares: the tables
 *	  (resources), the calls, and the one way to include jansson next to
 *	  PostgreSQL's headers.  Each module declares its functions in its own
 *	  header.
 *
 * The flow of a query: options.c reads the catalogs, schema.c knows the
 * API's fields, pushdown.c finds the WHERE clauses that name tasks, plan.c
 * decides the calls, fetch.c makes them and gives records, api.c makes
 * them DWS calls on a connection (connection.c) and transport.c runs them
 * on libcurl.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_H
#define DWSDR_H

#include "postgres.h"

#include "access/attnum.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "nodes/pathnodes.h"
#include "nodes/execnodes.h"
#include "utils/hsearch.h"

#include <jansson.h>

/*
 * PostgreSQL's SQL-callable json_object() and json_typeof()
 * (utils/fmgrprotos.h) have the names of jansson's constructor and macro.  Declare PostgreSQL's under another name, once,
 * before anything includes utils/builtins.h; so every .c file includes this
 * header right after postgres.h.
 */
#pragma push_macro("json_typeof")
#undef json_typeof
#define json_object dws_pg_sql_json_object
#define json_typeof dws_pg_sql_json_typeof
#include "utils/fmgrprotos.h"
#undef json_object
#undef json_typeof
#pragma pop_macro("json_typeof")

#include "compat.h"

/* ---- resources (foreign tables) ---- */
typedef enum DwsResource
{
	DWS_RES_CLUSTERS,			/* dr_clusters: a row per cluster of a task */
	DWS_RES_RECOVERIES,			/* disaster_recoveries: a row per task */
	DWS_RES_PROGRESS,			/* dr_progress: a row per task's progress */
	DWS_RES_EVENTS				/* dr_events: a row per DR event (events.c) */
} DwsResource;

#define DWS_NUM_RESOURCES 4

/* ---- which call provides a field (bit set) ---- */
#define DWS_SRC_LIST		0x01	/* GET /v2/{p}/disaster-recoveries */
#define DWS_SRC_DETAIL		0x02	/* GET /v2/{p}/disaster-recovery/{id} */
#define DWS_SRC_PROGRESS	0x04	/* GET /v1/{p}/disaster-recovery/{id}/show-progress */
#define DWS_SRC_ANY			0x07	/* synthetic: known whatever call was made */

typedef enum DwsCallKind
{
	DWS_CALL_LIST,
	DWS_CALL_DETAIL,
	DWS_CALL_PROGRESS,
	DWS_CALL_EVENTS				/* GET /v2/{p}/events, one page */
} DwsCallKind;

#define DWS_NUM_CALL_KINDS 4

/*
 * A hash table of fixed-size binary keys in cxt: the tables a backend
 * keeps for its life (connections, figures, table descriptions, project
 * sizes), each made on first use.
 */
static inline HTAB *
dws_backend_hash(const char *name, long nelem, Size keysize, Size entrysize,
				 MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = cxt;
	return hash_create(name, nelem, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

#endif							/* DWSDR_H */
