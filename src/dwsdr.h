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

/* ---- cache.c ---- */
typedef struct DwsCache DwsCache;

extern DwsCache *dws_cache_create(MemoryContext parent, int ttl_s);
extern void dws_cache_reset(DwsCache *c);
/* the contract of these two is in cache.c's header comment */
extern bool dws_cache_lookup(DwsCache *c, DwsCallKind kind,
							 const char *project_id, const char *id,
							 int64 max_age_ms, long *status, char **body,
							 size_t *len, TimestampTz *fetched_at);
extern void dws_cache_store(DwsCache *c, DwsCallKind kind,
							const char *project_id, const char *id,
							long status, const char *body, size_t len,
							TimestampTz fetched_at);
extern void dws_cache_keep_stale(DwsCache *c);

/* the bound of every cache: past either, the oldest answers go first */
#define DWS_CACHE_MAX_ENTRIES 10000
#define DWS_CACHE_MAX_BYTES ((int64) 128 * 1024 * 1024)


/* ---- connection.c, api.c, stats.c (until each file includes them) ---- */
#include "stats.h"
#include "connection.h"
#include "api.h"

/* ---- fetch.c ---- */
typedef struct DwsFetchSpec
{
	DwsResource resource;
	bool		need_list;		/* the list call is made */
	bool		list_fields;	/* list items are merged into records */
	bool		need_per_id;	/* the per-task call is made */
	List	   *projects;		/* char *, distinct, non-empty */
	bool		ids_given;		/* task ids come from quals */
	List	   *ids;			/* char *, distinct */
	Oid			serverid;		/* for dws_plan_note_tasks, or InvalidOid */
	int			page_size;		/* dr_events: events per page */
	bool		unreachable_is_error;	/* ANALYZE: when_unreachable is
										 * ignored, an outage fails it */
} DwsFetchSpec;

typedef struct DwsFetch DwsFetch;

/* ---- plan.c ---- */

/*
 * The calls of a scan, decided once by dws_plan_scan from its columns and
 * conditions; costing, execution and EXPLAIN read this decision.
 */
typedef struct DwsScanPlan
{
	DwsKeyQual *idq;			/* the condition whose values are the ids, or
								 * NULL: the list call names the tasks */
	DwsKeyQual *pq;				/* the condition naming the projects, or NULL:
								 * the table's (or server's) project */
	bool		list;			/* the list call of each project is made */
	bool		list_fields;	/* ... and its items feed the rows */
	bool		per_id;			/* a per-task call per id */
	DwsCallKind per_id_kind;	/* detail or show-progress */
} DwsScanPlan;

extern DwsScanPlan *dws_plan_scan(PlannerInfo *root, RelOptInfo *baserel,
								  DwsTableDesc *desc, Bitmapset *attrs,
								  List *clauses, Relids outer);
extern void dws_plan_decide(DwsResource res, bool list_fields,
							bool per_id_fields, bool ids_given,
							DwsScanPlan *plan);
extern double dws_plan_ncalls(const DwsScanPlan *plan, double nids,
							  double ntasks);
extern char *dws_plan_describe(const DwsScanPlan *plan, const char *ids);
extern void dws_plan_note_tasks(Oid serverid, const char *project_id,
								double ntasks);
extern double dws_plan_known_tasks(Oid serverid, const char *project_id);

extern DwsFetch *dws_fetch_begin(DwsConn *conn, DwsFetchSpec *spec,
								 DwsTableDesc *desc, DwsStats *stats,
								 DwsCache *query_cache);
extern void dws_fetch_start(DwsFetch *fetch);
extern json_t *dws_fetch_next(DwsFetch *fetch, DwsSource *src);

/*
 * What events.c borrows from fetch.c: a request whose body the scan keeps,
 * the batch of the scan, and the one place an API failure is reported.
 */
extern DwsRequest *dws_fetch_new_request(DwsCallKind kind, char *project_id);
extern void dws_fetch_free_request(DwsRequest *req);
extern void dws_fetch_send(DwsFetch *f, DwsRequest *req);
extern DwsRequest *dws_fetch_answer(DwsFetch *f);
extern json_t *dws_fetch_parse(DwsFetch *f, DwsRequest *req, bool must_parse);
extern void dws_fetch_call_error(DwsFetch *f, DwsRequest *req, json_t *root,
								 const char *problem);
extern bool dws_fetch_skip_unreachable(DwsFetch *f, DwsRequest *req);
extern TimestampTz dws_fetch_answered_at(DwsRequest *req);

/* ---- events.c ---- */
#define DWS_EVENTS_PAGE_SIZE 1000	/* the API's default and largest limit */

typedef struct DwsEvents DwsEvents;

extern DwsEvents *dws_events_begin(DwsFetch *f, DwsFetchSpec *spec,
								   DwsTableDesc *desc, int window);
extern json_t *dws_events_next(DwsEvents *ev, MemoryContext rowcxt,
							   TimestampTz *fetched_at);
extern char *dws_events_describe(Oid serverid, const char *project_id,
								 int page_size);
extern double dws_events_known(Oid serverid, const char *project_id);

#endif							/* DWSDR_H */
