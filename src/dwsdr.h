/*-------------------------------------------------------------------------
 * dwsdr.h
 *	  Declarations shared by the PostgreSQL-side modules of dwsdr_fdw.
 *
 * The flow of a query: options.c reads the catalogs, schema.c knows the
 * API's fields, pushdown.c finds the WHERE clauses that name tasks, fetch.c
 * turns a scan into calls and records, api.c makes them DWS calls on a
 * connection (connection.c) and transport.c runs them on libcurl.
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
 * The modules' own headers whose types the declarations below use; they
 * include this one, so a .c file includes this header first.
 */
#include "options.h"
#include "schema.h"
#include "row.h"

/* ---- pushdown.c ---- */
typedef struct DwsKeyQual
{
	Expr	   *expr;			/* the non-Var side */
	Node	   *clause;			/* the clause, as found in the list given */
	bool		is_array;		/* = ANY(expr) */
	int			nvalues;		/* known number of values, -1 if unknown */
} DwsKeyQual;

extern DwsKeyQual *dws_find_key_qual(PlannerInfo *root, RelOptInfo *baserel,
									 List *clauses, AttrNumber attnum,
									 Relids allowed_outer);
extern List *dws_key_values(ExprState *state, bool is_array,
							ExprContext *econtext, Oid typid);

/* the guess of the values of an array parameter (= ANY($1)) */
#define DWS_ARRAY_GUESS 10
extern double dws_key_guess(const DwsKeyQual *q);

/* ---- cache.c ---- */
#include "cache.h"


/* ---- connection.c, api.c, stats.c (until each file includes them) ---- */
#include "stats.h"
#include "connection.h"
#include "api.h"

#endif							/* DWSDR_H */
