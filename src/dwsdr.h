/*-------------------------------------------------------------------------
 * dwsdr.h
 *	  Declarations shared by the PostgreSQL-side modules of dwsdr_fdw.
 *
 * The flow of a query: options.c reads the catalogs, schema.c knows the
 * API's fields, pushdown.c finds the WHERE clauses that name tasks, fetch.c
 * turns a scan into calls and records, http.c runs the calls on libcurl.
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

/* ---- options.c ---- */

/* What a scan does when the API cannot be reached (when_unreachable) */
typedef enum DwsUnreachable
{
	DWS_UNREACHABLE_ERROR,		/* the statement fails (the default) */
	DWS_UNREACHABLE_SKIP,		/* the scan returns no rows, with a WARNING */
	DWS_UNREACHABLE_STALE		/* the last kept answers, else as skip */
} DwsUnreachable;

typedef struct DwsServerOptions
{
	char	   *endpoint;		/* base URL, no trailing '/' */
	char	   *project_id;		/* default project, or NULL */
	int			max_concurrency;
	int			connect_timeout_ms;
	int			timeout_ms;
	int			max_retries;
	int			max_retry_time_ms;
	int			cache_ttl;		/* seconds; 0 = no cache across queries */
	int			rate_limit;		/* calls per second of the budget; 0 = none */
	int64		max_response_bytes;
	char	   *ca_file;
	char	   *proxy;
	const char *endpoint_option;	/* "endpoint" or "region": names it */
	DwsUnreachable when_unreachable;
} DwsServerOptions;

typedef struct DwsUserOptions
{
	char	   *access_key;
	char	   *secret_key;
	char	   *security_token;
	char	   *auth_token;
} DwsUserOptions;

typedef struct DwsTableOptions
{
	DwsResource resource;
	char	   *project_id;		/* overrides the server's, or NULL */
	int			page_size;		/* dr_events: events per page (limit) */
} DwsTableOptions;

extern void dws_server_options(ForeignServer *server, DwsServerOptions *opts);
extern void dws_check_hosts(ForeignServer *server, const DwsServerOptions *opts);
extern void dws_user_options(UserMapping *um, ForeignServer *server,
							 DwsUserOptions *opts);
extern void dws_table_options(Oid relid, DwsTableOptions *opts);
extern char *dws_column_field(Oid relid, AttrNumber attnum);
extern const char *dws_resource_name(DwsResource res);
extern bool dws_resource_from_name(const char *name, DwsResource *res);
extern char *dws_region_endpoint(const char *region);
extern bool dws_has_control_char(const char *value);

/* a base URL (endpoint, proxy) as libcurl reads it; see dws_parse_url */
typedef struct DwsUrl
{
	char	   *scheme;			/* "http" or "https" */
	char	   *host;			/* as libcurl connects to it */
	char	   *port;			/* as written, or NULL */
	char	   *origin;			/* scheme://host[:port] */
	char	   *host_header;	/* host[:port], as sent and signed */
	char	   *base_path;		/* the path without trailing '/' ("" for none) */
} DwsUrl;

extern const char *dws_parse_url(const char *value, DwsUrl *url, bool *secret);
extern void dws_options_init(void);

/* ---- msgtext.c ---- */
extern void dws_msg_prepare(void);
extern char *dws_msg_text(const char *s, size_t len, size_t maxbytes);
extern char *dws_text_to_server(const char *s, size_t len, size_t *outlen,
								int32 *badchar);

/* ---- schema.c ---- */
typedef enum DwsColKind
{
	DWS_COL_PATH,				/* a JSON path of the canonical record */
	DWS_COL_SIDE,				/* dr_clusters.side */
	DWS_COL_RAW,				/* the record as the API returned it */
	DWS_COL_FETCHED				/* when its answer came from the API */
} DwsColKind;

/* How one attribute of a foreign table is filled */
typedef struct DwsColumn
{
	AttrNumber	attnum;
	char	   *name;
	DwsColKind	kind;
	char	   *path;			/* DWS_COL_PATH: dotted JSON path */
	bool		cluster_relative;	/* path starts at the row's cluster */
	int			sources;		/* DWS_SRC_* that provide it */
	bool		unused;			/* the plan never reads it: left NULL */
	bool		epoch_ms;		/* an integer of epoch milliseconds (a
								 * time column reads it as an instant) */
	Oid			typid;
	int32		typmod;
	Oid			basetypid;		/* typid, or a domain's base type */
	int32		basetypmod;
	Oid			typioparam;
	FmgrInfo	typinput;
} DwsColumn;

/* All attributes of a foreign table, resolved */
typedef struct DwsTableDesc
{
	Oid			relid;
	char	   *relname;
	DwsResource resource;
	int			ncolumns;		/* = relation's natts; dropped ones kind PATH
								 * with path NULL */
	DwsColumn  *columns;		/* indexed by attnum - 1 */
	AttrNumber	id_attnum;		/* column holding the task id, or 0 */
	AttrNumber	project_attnum; /* column holding the project id, or 0 */
} DwsTableDesc;

extern DwsTableDesc *dws_table_desc(Relation rel, DwsResource res);
extern void dws_table_desc_restrict(DwsTableDesc *desc, List *used_attnums);
extern void dws_columns_needs(DwsTableDesc *desc, Bitmapset *attrs_used,
							  bool *list_fields, bool *per_id_fields);
extern List *dws_import_statements(ImportForeignSchemaStmt *stmt,
								   ForeignServer *server);
/*
 * The bytes a record was read from, for the API's own text of its values
 * (jsonsource.c): a per-task answer, whose record is its member "member",
 * or a list item (member NULL), whose primary_cluster.X is its flat key
 * primary_cluster_X.  body is NULL when there are none (a record read from
 * a whole list parsed at once); it need not be NUL-terminated.
 */
typedef struct DwsSource
{
	const char *body;
	size_t		len;
	const char *member;
	bool		list_item;
	TimestampTz fetched_at;		/* when the oldest answer behind the
								 * record was received, or 0 */
} DwsSource;

extern int	dws_record_rows(DwsTableDesc *desc, json_t *record);
extern void dws_build_row(DwsTableDesc *desc, json_t *record,
						  const DwsSource *src, int rowno, Datum *values,
						  bool *nulls);

/* ---- jsonsource.c ---- */
extern void dws_source_texts(const DwsSource *src, int n,
							 const char *const *paths, json_t *const *values,
							 char **texts);
extern DwsCallKind dws_per_id_call(DwsResource res);

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

/* ---- http.c ---- */
typedef struct DwsConn DwsConn;
typedef struct DwsBatch DwsBatch;

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

/* ---- cache.c ---- */
#include "cache.h"


/*
 * Where the body of a call goes: the caller's (fetch.c's), so that the
 * transport knows nothing of what bodies hold.  reset runs at the start of
 * every attempt (a retry starts from nothing, whatever the last attempt
 * sent); write gets each piece received, with the length the answer
 * announced (Content-Length) or 0, and returns false to stop the transfer
 * (no memory).  Both run inside libcurl: neither may throw.
 */
typedef struct DwsSink
{
	void		(*reset) (void *arg);
	bool		(*write) (void *arg, const char *data, size_t len,
						  size_t expected);
	void	   *arg;
} DwsSink;

typedef struct DwsRequest
{
	/* set by the caller */
	DwsCallKind kind;
	char	   *project_id;
	char	   *dr_id;			/* detail/progress: the task; list: NULL */
	char	   *list_filter_id; /* list: the `id` query filter, or NULL */
	int64		page;			/* events: the page index (offset) */
	int			page_size;		/* events: the page size (limit) */
	void	   *arg;			/* caller's */
	DwsSink		sink;			/* receives the body */

	/* the body, kept by the caller's sink (http.c never reads it) */
	char	   *body;			/* palloc'd, NUL-terminated */
	size_t		body_len;

	/* results */
	long		status;			/* HTTP status; 0 when no answer */
	int			curl_code;		/* CURLcode of the last attempt */
	char		curl_error[256];
	bool		too_large;		/* body exceeded max_response_bytes */
	int64		body_limit;		/* max_response_bytes of the attempt: set
								 * before its first write, and no body
								 * grows past it */
	bool		sink_failed;	/* the sink refused bytes (no memory) */
	char		request_id[80];
	char		location[256];	/* Location of a redirect, not followed */
	int			attempts;

	/* private to http.c */
	struct DwsTransfer *xfer;
	TimestampTz not_before;
	TimestampTz first_start;
	DwsBatch   *batch;
} DwsRequest;

extern DwsConn *dws_get_conn(ForeignServer *server, UserMapping *um);
extern void dws_conn_invalidate_all(void);
extern void dws_conn_pin(DwsConn *conn, MemoryContext owner);
extern DwsCache *dws_conn_cache(DwsConn *conn);
extern const DwsServerOptions *dws_conn_options(DwsConn *conn);
extern Oid	dws_conn_serverid(DwsConn *conn);
extern DwsStats *dws_server_stats(Oid serverid);
extern DwsStats *dws_conn_stats(DwsConn *conn);
extern void dws_cache_clear_all(void);
extern void dws_stats_foreach(void (*fn) (Oid serverid, DwsStats *stats,
										  void *arg), void *arg);
extern int	dws_conn_max_concurrency(DwsConn *conn);
extern DwsBatch *dws_batch_create(DwsConn *conn, DwsStats *stats);
extern void dws_batch_add(DwsBatch *batch, DwsRequest *req);
extern DwsRequest *dws_batch_next(DwsBatch *batch);
extern int	dws_batch_outstanding(DwsBatch *batch);
extern void dws_batch_set_advance(DwsBatch *batch,
								  void (*advance) (void *arg), void *arg);
extern DwsRequest *dws_batch_peek(DwsBatch *batch);
extern DwsRequest *dws_batch_take(DwsBatch *batch);
extern int	dws_batch_held(DwsBatch *batch);
extern void dws_http_init(void);
extern const char *dws_call_name(DwsCallKind kind);

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
