/*-------------------------------------------------------------------------
 * dwsdr_fdw.c
 *	  Foreign data wrapper for the disaster-recovery tasks of Huawei Cloud
 *	  GaussDB(DWS): the FdwRoutine callbacks.
 *
 * Thin on purpose: planning asks pushdown.c which clauses name tasks and
 * schema.c which calls the columns need; execution hands that to fetch.c
 * and turns its records into rows with schema.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "src/dwsdr.h"

#include <math.h>

#include "access/table.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "funcapi.h"
#include "utils/tuplestore.h"


PG_MODULE_MAGIC;

/* Planner's guess of the tasks of a project when nothing says. */
#define DWS_DEFAULT_TASKS 100
/* Guess of the values of an array parameter ($1 = ANY). */
#define DWS_DEFAULT_ARRAY_VALUES 10
/* Cost of one call's latency, and of handling its answer. */
#define DWS_CALL_COST 50.0
#define DWS_CALL_CPU_COST 0.5

/* Plan-time facts of a foreign table (baserel->fdw_private). */
typedef struct DwsPlanInfo
{
	ForeignServer *server;
	DwsTableOptions topts;
	DwsTableDesc *desc;
	int			max_concurrency;
	bool		list_fields;
	bool		per_id_fields;
	double		ids;			/* ids named by the WHERE clause, -1: none */
} DwsPlanInfo;

/* Indexes into ForeignScan.fdw_private */
enum
{
	PRIV_FLAGS,					/* bit set below */
	PRIV_NIDS,					/* known number of ids, -1 unknown */
	PRIV_NPROJECTS,				/* known number of project values, -1 */
	PRIV_USED_ATTRS				/* integer list: the attnums to fill */
};

#define FLAG_IDS		0x01	/* fdw_exprs has the id expression first */
#define FLAG_IDS_ARRAY	0x02
#define FLAG_PROJ		0x04	/* fdw_exprs has a project expression */
#define FLAG_PROJ_ARRAY 0x08
#define FLAG_LIST_FIELDS 0x10
#define FLAG_PER_ID_FIELDS 0x20
#define FLAG_PARAM		0x40	/* parameterized by an outer relation */

typedef struct DwsScanState
{
	DwsTableDesc *desc;
	ForeignServer *server;
	DwsTableOptions topts;
	DwsConn    *conn;
	int			flags;
	ExprState  *id_state;
	Oid			id_type;
	ExprState  *proj_state;
	Oid			proj_type;
	MemoryContext scan_cxt;		/* reset on rescan: frees the fetch */
	DwsCache   *query_cache;	/* answers of this scan, kept across rescans */
	DwsFetch   *fetch;
	json_t	   *record;
	json_t	   *raw;
	int			nrows;
	int			rowno;
	DwsStats	stats;
} DwsScanState;

PG_FUNCTION_INFO_V1(dwsdr_fdw_handler);

void		_PG_init(void);

void
_PG_init(void)
{
	dws_http_init();
	dws_options_init();
}

/* ---- planning ---- */

static Bitmapset *
used_attrs(RelOptInfo *baserel, List *exprs, List *clauses)
{
	Bitmapset  *attrs = NULL;
	ListCell   *lc;

	pull_varattnos((Node *) exprs, baserel->relid, &attrs);
	foreach(lc, clauses)
	{
		Node	   *c = (Node *) lfirst(lc);

		if (IsA(c, RestrictInfo))
			c = (Node *) ((RestrictInfo *) c)->clause;
		pull_varattnos(c, baserel->relid, &attrs);
	}
	return attrs;
}

static void
dwsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	DwsPlanInfo *info = palloc0(sizeof(DwsPlanInfo));
	Relation	rel;
	DwsKeyQual *idq;
	DwsServerOptions sopts;

	info->server = GetForeignServer(GetForeignTable(foreigntableid)->serverid);
	dws_table_options(foreigntableid, &info->topts);
	dws_server_options(info->server, &sopts);
	info->max_concurrency = sopts.max_concurrency;

	rel = table_open(foreigntableid, NoLock);
	info->desc = dws_table_desc(rel, info->topts.resource);
	table_close(rel, NoLock);

	dws_columns_needs(info->desc,
					  used_attrs(baserel, baserel->reltarget->exprs,
								 list_concat_copy(baserel->baserestrictinfo,
												  baserel->joininfo)),
					  &info->list_fields, &info->per_id_fields);
	baserel->fdw_private = info;

	idq = dws_find_key_qual(root, baserel, baserel->baserestrictinfo,
							info->desc->id_attnum, NULL);
	info->ids = idq == NULL ? -1 : idq->nvalues >= 0 ? idq->nvalues :
		(idq->is_array ? DWS_DEFAULT_ARRAY_VALUES : 1);
	if (info->ids >= 0)
		baserel->rows = info->ids;
	else
		baserel->rows = DWS_DEFAULT_TASKS *
			clauselist_selectivity(root, baserel->baserestrictinfo, 0,
								   JOIN_INNER, NULL);
	if (info->topts.resource == DWS_RES_CLUSTERS)
		baserel->rows *= 2;
	baserel->rows = clamp_row_est(baserel->rows);
}

/*
 * Cost of n calls made concurrently, max_concurrency at a time: latency
 * per wave, plus handling each answer.
 */
static Cost
calls_cost(double n, int max_concurrency)
{
	if (n <= 0)
		return 0;
	return ceil(n / max_concurrency) * DWS_CALL_COST + n * DWS_CALL_CPU_COST;
}

/* Callback of generate_implied_equalities_for_column: our id column? */
static bool
ec_matches_id(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
			  EquivalenceMember *em, void *arg)
{
	Expr	   *e = em->em_expr;
	AttrNumber	attnum = *(AttrNumber *) arg;

	while (IsA(e, RelabelType))
		e = ((RelabelType *) e)->arg;
	return IsA(e, Var) && ((Var *) e)->varno == rel->relid &&
		((Var *) e)->varattno == attnum && ((Var *) e)->varlevelsup == 0;
}

/*
 * One unparameterized path, plus one parameterized path per outer relation
 * joined on the task id: a nested loop then costs one call per outer row,
 * which the planner weighs against one concurrent full scan.
 */
static void
dwsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	DwsPlanInfo *info = (DwsPlanInfo *) baserel->fdw_private;
	double		calls;
	double		per_task = info->topts.resource == DWS_RES_CLUSTERS ? 2 : 1;
	List	   *candidates = NIL;
	List	   *seen_outer = NIL;
	ListCell   *lc;
	bool		per_id = info->per_id_fields ||
		info->topts.resource == DWS_RES_PROGRESS;

	if (info->ids >= 0)
		calls = (info->list_fields ? 1 : 0) +
			((per_id || !info->list_fields) ? info->ids : 0);
	else
		calls = 1 + (per_id ? DWS_DEFAULT_TASKS : 0);

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 DWS_CALL_COST,
									 DWS_CALL_COST + calls_cost(calls, info->max_concurrency),
									 NIL, baserel->lateral_relids, NULL, NIL));

	if (info->desc->id_attnum == 0)
		return;

	/* join clauses on the id, written or implied by equivalence classes */
	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *ri = (RestrictInfo *) lfirst(lc);

		if (join_clause_is_movable_to(ri, baserel))
			candidates = lappend(candidates, ri);
	}
	candidates = list_concat(candidates,
							 generate_implied_equalities_for_column(root, baserel,
																	ec_matches_id,
																	&info->desc->id_attnum,
																	baserel->lateral_referencers));

	foreach(lc, candidates)
	{
		RestrictInfo *ri = (RestrictInfo *) lfirst(lc);
		Relids		outer;
		DwsKeyQual *q;
		double		ids;

		outer = bms_union(ri->clause_relids, baserel->lateral_relids);
		outer = bms_del_member(outer, baserel->relid);
		if (bms_is_empty(outer) || list_member(seen_outer, outer))
			continue;
		q = dws_find_key_qual(root, baserel, list_make1(ri),
							  info->desc->id_attnum, outer);
		if (q == NULL)
			continue;
		seen_outer = lappend(seen_outer, outer);

		/* create_foreignscan_path finds the ParamPathInfo of outer itself */
		ids = q->is_array ? DWS_DEFAULT_ARRAY_VALUES : 1;
		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL,
										 clamp_row_est(per_task * ids),
										 DWS_CALL_COST,
										 calls_cost(ids, info->max_concurrency) +
										 (info->list_fields ? DWS_CALL_COST : 0),
										 NIL, outer, NULL, NIL));
	}
}

static ForeignScan *
dwsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				  ForeignPath *best_path, List *tlist, List *scan_clauses,
				  Plan *outer_plan)
{
	DwsPlanInfo *info = (DwsPlanInfo *) baserel->fdw_private;
	Relids		outer = PATH_REQ_OUTER(&best_path->path);
	List	   *local = extract_actual_clauses(scan_clauses, false);
	List	   *exprs = NIL;
	DwsKeyQual *idq;
	DwsKeyQual *pq;
	int			flags = 0;
	bool		list_fields,
				per_id_fields;
	Bitmapset  *attrs;
	List	   *used = NIL;
	int			i;

	/* every clause is checked locally: pushdown only chooses the calls */
	idq = dws_find_key_qual(root, baserel, scan_clauses,
							info->desc->id_attnum, outer);
	/*
	 * Projects come from constants and parameters only, never from a join:
	 * a join on project_id gives the same rows whatever its plan (the
	 * default project's, filtered), as a hash join over a full scan would.
	 */
	pq = dws_find_key_qual(root, baserel, scan_clauses,
						   info->desc->project_attnum, NULL);
	if (idq)
	{
		flags |= FLAG_IDS | (idq->is_array ? FLAG_IDS_ARRAY : 0);
		exprs = lappend(exprs, idq->expr);
	}
	if (pq)
	{
		flags |= FLAG_PROJ | (pq->is_array ? FLAG_PROJ_ARRAY : 0);
		exprs = lappend(exprs, pq->expr);
	}
	if (!bms_is_empty(outer))
		flags |= FLAG_PARAM;

	attrs = used_attrs(baserel, (List *) best_path->path.pathtarget->exprs,
					   scan_clauses);
	dws_columns_needs(info->desc, attrs, &list_fields, &per_id_fields);

	/* the columns to fill: others stay NULL, so their values are never read */
	for (i = 0; i < info->desc->ncolumns; i++)
	{
		AttrNumber	attnum = info->desc->columns[i].attnum;

		if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs) ||
			bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			used = lappend_int(used, attnum);
	}
	if (list_fields)
		flags |= FLAG_LIST_FIELDS;
	if (per_id_fields)
		flags |= FLAG_PER_ID_FIELDS;

	return make_foreignscan(tlist, local, baserel->relid, exprs,
							list_make4(makeInteger(flags),
									   makeInteger(idq ? idq->nvalues : -1),
									   makeInteger(pq ? pq->nvalues : -1),
									   used),
							NIL, NIL, outer_plan);
}

/* ---- execution ---- */

static void
dwsBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	RangeTblEntry *rte = exec_rt_fetch(plan->scan.scanrelid, estate);
	Oid			userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	Relation	rel = node->ss.ss_currentRelation;
	DwsScanState *st = palloc0(sizeof(DwsScanState));
	List	   *exprs = plan->fdw_exprs;
	int			i = 0;

	node->fdw_state = st;
	st->flags = intVal(list_nth(plan->fdw_private, PRIV_FLAGS));
	st->server = GetForeignServer(GetForeignTable(RelationGetRelid(rel))->serverid);
	dws_table_options(RelationGetRelid(rel), &st->topts);
	st->desc = dws_table_desc(rel, st->topts.resource);
	dws_table_desc_restrict(st->desc,
							(List *) list_nth(plan->fdw_private, PRIV_USED_ATTRS));

	if (st->flags & FLAG_IDS)
	{
		Expr	   *e = (Expr *) list_nth(exprs, i++);

		st->id_state = ExecInitExpr(e, &node->ss.ps);
		st->id_type = exprType((Node *) e);
	}
	if (st->flags & FLAG_PROJ)
	{
		Expr	   *e = (Expr *) list_nth(exprs, i++);

		st->proj_state = ExecInitExpr(e, &node->ss.ps);
		st->proj_type = exprType((Node *) e);
	}

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	st->conn = dws_get_conn(st->server, GetUserMapping(userid, st->server->serverid));
	/* the scan keeps its connection even if an ALTER drops it meanwhile */
	dws_conn_pin(st->conn, estate->es_query_cxt);
	st->scan_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "dwsdr_fdw scan",
										 ALLOCSET_DEFAULT_SIZES);
	/* answers are kept for rescans only when ids come from the quals */
	if (st->flags & FLAG_IDS)
		st->query_cache = dws_cache_create(estate->es_query_cxt, 0);
}

/* The projects of this scan: from the WHERE clause, the table or the server. */
static List *
scan_projects(DwsScanState *st, ExprContext *econtext)
{
	const char *dflt;

	if (st->proj_state)
	{
		List	   *projects = NIL;
		ListCell   *lc;

		/*
		 * A project id travels in the X-Project-Id header: one with a control
		 * character names no project and gets no call (and no rows).
		 */
		foreach(lc, dws_key_values(st->proj_state, st->flags & FLAG_PROJ_ARRAY,
								   econtext, st->proj_type))
		{
			const char *p = (const char *) lfirst(lc);
			const char *c;

			for (c = p; *c; c++)
				if ((unsigned char) *c < 0x20 || *c == 0x7f)
					break;
			if (*c == '\0' && *p != '\0')
				projects = lappend(projects, (char *) p);
		}
		return projects;
	}
	dflt = st->topts.project_id;
	if (dflt == NULL)
	{
		DwsServerOptions sopts;

		dws_server_options(st->server, &sopts);
		dflt = sopts.project_id;
	}
	if (dflt == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("no project_id for foreign table \"%s\"",
						st->desc->relname),
				 errhint("Set project_id on the server or the table, or write WHERE project_id = '...'.")));
	return list_make1(pstrdup(dflt));
}

/* Builds the fetch of this scan from the values its clauses have now. */
static void
start_fetch(ForeignScanState *node)
{
	DwsScanState *st = (DwsScanState *) node->fdw_state;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext old = MemoryContextSwitchTo(st->scan_cxt);
	DwsFetchSpec *spec = palloc0(sizeof(DwsFetchSpec));
	bool		list_fields = (st->flags & FLAG_LIST_FIELDS) != 0;
	bool		per_id_fields = (st->flags & FLAG_PER_ID_FIELDS) != 0;

	spec->resource = st->topts.resource;
	spec->projects = scan_projects(st, econtext);
	if (st->id_state)
	{
		ListCell   *lc;

		spec->ids_given = true;
		/* an empty id names no task: asking for it would name another path */
		foreach(lc, dws_key_values(st->id_state, st->flags & FLAG_IDS_ARRAY,
								   econtext, st->id_type))
			if (((char *) lfirst(lc))[0] != '\0')
				spec->ids = lappend(spec->ids, lfirst(lc));
		spec->need_list = list_fields;
		spec->list_fields = list_fields;
		spec->need_per_id = per_id_fields || !list_fields ||
			spec->resource == DWS_RES_PROGRESS;
	}
	else
	{
		spec->need_list = true;
		spec->list_fields = list_fields;
		spec->need_per_id = per_id_fields || spec->resource == DWS_RES_PROGRESS;
	}
	/* nothing to ask: no ids or no projects */
	if (spec->projects == NIL || (spec->ids_given && spec->ids == NIL))
		spec->need_list = spec->need_per_id = false;

	st->fetch = dws_fetch_begin(st->conn, spec, st->desc, &st->stats,
								st->query_cache);
	MemoryContextSwitchTo(old);
}

static TupleTableSlot *
dwsIterateForeignScan(ForeignScanState *node)
{
	DwsScanState *st = (DwsScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	ExecClearTuple(slot);
	if (st->fetch == NULL)
		start_fetch(node);

	while (st->rowno >= st->nrows)
	{
		if (!st->fetch)
			return slot;
		st->record = dws_fetch_next(st->fetch, &st->raw);
		if (st->record == NULL)
			return slot;
		st->nrows = dws_record_rows(st->desc, st->record);
		st->rowno = 0;
	}
	dws_build_row(st->desc, st->record, st->raw, st->rowno++,
				  slot->tts_values, slot->tts_isnull);
	ExecStoreVirtualTuple(slot);
	return slot;
}

static void
dwsReScanForeignScan(ForeignScanState *node)
{
	DwsScanState *st = (DwsScanState *) node->fdw_state;

	MemoryContextReset(st->scan_cxt);
	st->fetch = NULL;
	st->record = NULL;
	st->nrows = st->rowno = 0;
}

static void
dwsEndForeignScan(ForeignScanState *node)
{
	DwsScanState *st = (DwsScanState *) node->fdw_state;

	if (st && st->scan_cxt)
	{
		MemoryContextDelete(st->scan_cxt);
		st->scan_cxt = NULL;
		st->fetch = NULL;
	}
}

/* ---- EXPLAIN ---- */

/* What the scan asks, for a given number of ids (-1: unknown). */
static char *
calls_description_ids(DwsScanState *st, int nids)
{
	const char *per = st->topts.resource == DWS_RES_PROGRESS ? "progress" : "detail";
	bool		list_fields = (st->flags & FLAG_LIST_FIELDS) != 0;
	bool		per_id = (st->flags & FLAG_PER_ID_FIELDS) != 0 ||
		st->topts.resource == DWS_RES_PROGRESS;

	if (st->flags & FLAG_IDS)
	{
		char	   *ids;

		if (st->flags & FLAG_PARAM)
			ids = pstrdup("each outer row's id");
		else if (nids >= 0 || !(st->flags & FLAG_IDS_ARRAY))
		{
			nids = nids >= 0 ? nids : 1;
			ids = psprintf("%d id%s", nids, nids == 1 ? "" : "s");
		}
		else
			ids = pstrdup("each id of the parameter");

		if (list_fields && !per_id)
			return psprintf("list (for %s)", ids);
		if (list_fields)
			return psprintf("list, then %s for %s", per, ids);
		return psprintf("%s for %s", per, ids);
	}
	if (per_id)
		return psprintf("list, then %s per task", per);
	return pstrdup("list");
}

/* What the scan asks, with the projects when the WHERE clause names several. */
static char *
calls_description(DwsScanState *st, int nids, int nprojects)
{
	char	   *desc = calls_description_ids(st, nids);

	if ((st->flags & FLAG_PROJ) && nprojects > 1)
		return psprintf("%s, in %d projects", desc, nprojects);
	if ((st->flags & FLAG_PROJ) && nprojects < 0 && (st->flags & FLAG_PROJ_ARRAY))
		return psprintf("%s, in each project of the parameter", desc);
	return desc;
}

static void
dwsExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	DwsScanState *st = (DwsScanState *) node->fdw_state;
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	int			nids = intVal(list_nth(plan->fdw_private, PRIV_NIDS));
	int			nprojects = intVal(list_nth(plan->fdw_private, PRIV_NPROJECTS));

	ExplainPropertyText("DWS Calls", calls_description(st, nids, nprojects), es);
	if (es->verbose)
	{
		DwsServerOptions sopts;

		dws_server_options(st->server, &sopts);
		ExplainPropertyText("DWS Endpoint", sopts.endpoint, es);
		if (st->flags & FLAG_PROJ)
			ExplainPropertyText("DWS Project", "from the WHERE clause", es);
		else
			ExplainPropertyText("DWS Project",
								st->topts.project_id ? st->topts.project_id :
								sopts.project_id ? sopts.project_id : "(none)",
								es);
	}
	if (es->analyze)
	{
		DwsStats   *s = &st->stats;

		ExplainPropertyText("DWS Requests",
							psprintf("list %lld, %s %lld, retries %lld, errors %lld, cache hits %lld",
									 (long long) s->calls[DWS_CALL_LIST],
									 st->topts.resource == DWS_RES_PROGRESS ?
									 "progress" : "detail",
									 (long long) (s->calls[DWS_CALL_DETAIL] +
												  s->calls[DWS_CALL_PROGRESS]),
									 (long long) s->retries,
									 (long long) s->errors,
									 (long long) s->cache_hits),
							es);
		if (es->verbose)
			ExplainPropertyInteger("DWS Peak Concurrency", NULL,
								   s->peak_in_flight, es);
		if (es->timing)
		{
			ExplainPropertyInteger("DWS Bytes Received", NULL, s->bytes, es);
			ExplainPropertyFloat("DWS Wait Time", "ms", s->wait_ms, 1, es);
		}
	}
}

/* ---- helper functions ---- */

PG_FUNCTION_INFO_V1(dwsdr_stats);
PG_FUNCTION_INFO_V1(dwsdr_stats_reset);
PG_FUNCTION_INFO_V1(dwsdr_cache_clear);

#define DWSDR_STATS_COLS 16

static void
stats_row(Oid serverid, DwsStats *s, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[DWSDR_STATS_COLS];
	bool		nulls[DWSDR_STATS_COLS] = {0};
	ForeignServer *server = GetForeignServerExtended(serverid, FSV_MISSING_OK);
	int			i = 0;

	if (server == NULL)
		return;					/* dropped since */
	values[i++] = CStringGetTextDatum(server->servername);	/* text */
	values[i++] = Int64GetDatum(s->calls[DWS_CALL_LIST] + s->calls[DWS_CALL_DETAIL] +
								s->calls[DWS_CALL_PROGRESS]);
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
	InitMaterializedSRF(fcinfo, 0);
	dws_stats_foreach(stats_row, fcinfo->resultinfo);
	return (Datum) 0;
}

static void
stats_zero(Oid serverid, DwsStats *s, void *arg)
{
	memset(s, 0, sizeof(DwsStats));
}

Datum
dwsdr_stats_reset(PG_FUNCTION_ARGS)
{
	dws_stats_foreach(stats_zero, NULL);
	PG_RETURN_VOID();
}

/* dwsdr_cache_clear(): forgets the answers kept for cache_ttl. */
Datum
dwsdr_cache_clear(PG_FUNCTION_ARGS)
{
	dws_cache_clear_all();
	PG_RETURN_VOID();
}

/* ---- IMPORT FOREIGN SCHEMA ---- */

static List *
dwsImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	return dws_import_statements(stmt, GetForeignServer(serverOid));
}

Datum
dwsdr_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *r = makeNode(FdwRoutine);

	r->GetForeignRelSize = dwsGetForeignRelSize;
	r->GetForeignPaths = dwsGetForeignPaths;
	r->GetForeignPlan = dwsGetForeignPlan;
	r->BeginForeignScan = dwsBeginForeignScan;
	r->IterateForeignScan = dwsIterateForeignScan;
	r->ReScanForeignScan = dwsReScanForeignScan;
	r->EndForeignScan = dwsEndForeignScan;
	r->ExplainForeignScan = dwsExplainForeignScan;
	r->ImportForeignSchema = dwsImportForeignSchema;
	PG_RETURN_POINTER(r);
}
