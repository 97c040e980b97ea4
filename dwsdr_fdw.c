/*-------------------------------------------------------------------------
 * dwsdr_fdw.c
 *	  Foreign data wrapper for the disaster-recovery tasks of Huawei Cloud
 *	  GaussDB(DWS): the FdwRoutine callbacks.
 *
 * Thin on purpose: planning asks plan.c which calls each path makes (one
 * DwsScanPlan per path, priced here and carried in the ForeignScan);
 * execution reads that plan back, hands it to fetch.c and turns its
 * records into rows with schema.c.  EXPLAIN is explain.c, ANALYZE
 * analyze.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "src/dwsdr.h"
#include "src/analyze.h"
#include "src/estimate.h"
#include "src/events.h"
#include "src/explain.h"
#include "src/fetch.h"
#include "src/msgtext.h"
#include "src/plan.h"
#include "src/pushdown.h"
#include "src/shared.h"

#include "access/table.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
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
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/rel.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/tuplestore.h"


PG_MODULE_MAGIC;

/* Planner's guess of the tasks of a project when nothing says. */
#define DWS_DEFAULT_TASKS 100

/* Plan-time facts of a foreign table (baserel->fdw_private). */
typedef struct DwsPlanInfo
{
	ForeignServer *server;
	DwsTableOptions topts;
	DwsTableDesc *desc;
	int			max_concurrency;
	Bitmapset  *attrs;			/* columns read, by the scan or joins */
	DwsScanPlan *plan;			/* the plan without a join's ids */
	double		ntasks;			/* tasks of the project(s), estimated */
} DwsPlanInfo;

typedef struct DwsScanState
{
	DwsScanPlan *plan;			/* from the ForeignScan */
	DwsTableDesc *desc;
	ForeignServer *server;
	DwsTableOptions topts;
	DwsConn    *conn;
	ExprState  *id_state;
	Oid			id_type;
	ExprState  *proj_state;
	Oid			proj_type;
	MemoryContext scan_cxt;		/* reset on rescan: frees the fetch */
	DwsCache   *query_cache;	/* answers of this scan, kept across rescans */
	DwsFetch   *fetch;
	json_t	   *record;
	DwsSource	src;			/* the bytes it was read from */
	int			nrows;
	int			rowno;
	DwsStats	stats;
} DwsScanState;

PG_FUNCTION_INFO_V1(dwsdr_fdw_handler);

void		_PG_init(void);

void
_PG_init(void)
{
	dws_api_init();
	dws_options_init();
	dws_shared_init();			/* shared.c: settings; hooks when preloaded */
}

/* ---- table descriptions, kept per relation ---- */

/*
 * Every query reads the foreign table's options and resolves each column
 * to its field (a catalog lookup and a search of the field table per
 * column), once when planning and once when the scan starts.  The result
 * depends only on the catalogs, so it is kept per relation for the
 * session, and dropped when the relation (relcache: columns, their
 * options, types) or any foreign table's options (pg_foreign_table
 * syscache) change.  Callers get a copy, so an invalidation arriving while
 * one is in use frees nothing it holds.
 */
typedef struct DescCacheEntry
{
	Oid			relid;			/* hash key */
	bool		valid;
	MemoryContext cxt;			/* holds desc and topts' strings */
	DwsTableDesc *desc;
	DwsTableOptions topts;
	Oid			serverid;
} DescCacheEntry;

static HTAB *desc_cache = NULL;

static void
desc_cache_inval_rel(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	DescCacheEntry *e;

	if (OidIsValid(relid))
	{
		e = hash_search(desc_cache, &relid, HASH_FIND, NULL);
		if (e)
			e->valid = false;
		return;
	}
	hash_seq_init(&seq, desc_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
		e->valid = false;
}

static void
desc_cache_inval_all(Datum arg, int cacheid, uint32 hashvalue)
{
	desc_cache_inval_rel(arg, InvalidOid);
}

/* A copy of a cached description, in the current memory context. */
static DwsTableDesc *
copy_desc(DwsTableDesc *src)
{
	DwsTableDesc *d = palloc(sizeof(DwsTableDesc));
	int			i;

	*d = *src;
	d->relname = pstrdup(src->relname);
	d->columns = palloc(sizeof(DwsColumn) * Max(src->ncolumns, 1));
	memcpy(d->columns, src->columns, sizeof(DwsColumn) * src->ncolumns);
	for (i = 0; i < d->ncolumns; i++)
	{
		DwsColumn  *c = &d->columns[i];

		c->name = pstrdup(c->name);
		if (c->path)
			c->path = pstrdup(c->path);
		/*
		 * The input function's lookup is the cached one; what it caches
		 * for itself while reading values (fn_extra) belongs to this copy
		 * and goes with the scan, never into the session's cache.
		 */
		c->typinput.fn_mcxt = CurrentMemoryContext;
		c->typinput.fn_extra = NULL;
	}
	return d;
}

/*
 * The description, options and server of foreign table rel, from the cache
 * (built on first use); *desc and *topts are the caller's copies.
 */
static void
table_facts(Relation rel, DwsTableDesc **desc, DwsTableOptions *topts,
			Oid *serverid)
{
	Oid			relid = RelationGetRelid(rel);
	DescCacheEntry *e;
	bool		found;

	if (desc_cache == NULL)
	{
		desc_cache = dws_backend_hash("dwsdr_fdw table descriptions", 16,
									  sizeof(Oid), sizeof(DescCacheEntry),
									  CacheMemoryContext);
		CacheRegisterRelcacheCallback(desc_cache_inval_rel, (Datum) 0);
		CacheRegisterSyscacheCallback(FOREIGNTABLEREL, desc_cache_inval_all,
									  (Datum) 0);
		/* descriptions hold input functions (CREATE OR REPLACE FUNCTION) */
		CacheRegisterSyscacheCallback(PROCOID, desc_cache_inval_all,
									  (Datum) 0);
	}
	e = hash_search(desc_cache, &relid, HASH_ENTER, &found);
	if (!found)
	{
		e->valid = false;
		e->cxt = NULL;
	}
	if (!e->valid)
	{
		MemoryContext cxt = AllocSetContextCreate(CacheMemoryContext,
												  "dwsdr_fdw table description",
												  ALLOCSET_SMALL_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		DwsTableOptions t;
		DwsTableDesc *d;
		Oid			sid;

		/* an invalidation while building (catalog reads) sets it back */
		e->valid = true;
		PG_TRY();
		{
			dws_table_options(relid, &t);
			if (t.project_id)
				t.project_id = pstrdup(t.project_id);
			sid = GetForeignTable(relid)->serverid;
			d = dws_table_desc(rel, t.resource);
		}
		PG_CATCH();
		{
			e->valid = false;
			MemoryContextSwitchTo(old);
			MemoryContextDelete(cxt);
			PG_RE_THROW();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(old);
		if (e->cxt)
			MemoryContextDelete(e->cxt);
		e->cxt = cxt;
		e->desc = d;
		e->topts = t;
		e->serverid = sid;
	}
	*desc = copy_desc(e->desc);
	*topts = e->topts;
	if (topts->project_id)
		topts->project_id = pstrdup(topts->project_id);
	*serverid = e->serverid;
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

/*
 * Tasks of the project a scan reads: what ANALYZE stored (reltuples), else
 * what this backend last saw in the project's list answer, else a guess.
 * Projects named by a condition are guessed.
 */
static double
estimate_tasks(RelOptInfo *baserel, DwsPlanInfo *info, double per_task)
{
	char	   *project;
	double		known;

	if (info->plan->projects != NULL)
		return DWS_DEFAULT_TASKS * Max(info->plan->nprojects, 1);
	if (baserel->tuples >= 0)
		return baserel->tuples / per_task;
	project = dws_default_project(info->server, &info->topts);
	if (info->topts.resource == DWS_RES_EVENTS)
		known = dws_events_known(info->server->serverid, project);
	else
		known = dws_estimate_get(info->server->serverid, project);
	return known >= 0 ? known : DWS_DEFAULT_TASKS;
}

/*
 * The clauses a path of baserel enforces: its restrictions, and with outer
 * the join clauses of that parameterization (the RestrictInfos that
 * GetForeignPlan gets back as scan_clauses).
 */
static List *
path_clauses(PlannerInfo *root, RelOptInfo *baserel, Relids outer)
{
	ParamPathInfo *ppi;

	if (bms_is_empty(outer))
		return baserel->baserestrictinfo;
	ppi = get_baserel_parampathinfo(root, baserel, outer);
	return list_concat_copy(baserel->baserestrictinfo, ppi->ppi_clauses);
}

static void
dwsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	DwsPlanInfo *info = palloc0(sizeof(DwsPlanInfo));
	Relation	rel;
	DwsServerOptions sopts;
	double		per_task;
	double		ids;
	Oid			serverid;

	rel = table_open(foreigntableid, NoLock);
	table_facts(rel, &info->desc, &info->topts, &serverid);
	table_close(rel, NoLock);
	info->server = GetForeignServer(serverid);
	dws_server_options(info->server, &sopts);
	info->max_concurrency = sopts.max_concurrency;
	per_task = info->topts.resource == DWS_RES_CLUSTERS ? 2 : 1;

	info->attrs = used_attrs(baserel, baserel->reltarget->exprs,
							 list_concat_copy(baserel->baserestrictinfo,
											  baserel->joininfo));
	info->plan = dws_plan_scan(root, baserel, info->desc, info->attrs,
							   baserel->baserestrictinfo, NULL,
							   info->topts.page_size);
	baserel->fdw_private = info;
	info->ntasks = estimate_tasks(baserel, info, per_task);
	ids = dws_plan_ids_estimate(info->plan);

	/* the conditions that became calls select exactly their rows */
	baserel->rows = (ids >= 0 ? ids : info->ntasks) * per_task *
		clauselist_selectivity(root,
							   dws_plan_local_clauses(info->plan,
													  baserel->baserestrictinfo),
							   baserel->relid, JOIN_INNER, NULL);
	baserel->rows = clamp_row_est(baserel->rows);
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
 * Whether outer is already among the sets in seen.  A Bitmapset is not a
 * Node before PostgreSQL 16, so list_member (which calls equal()) cannot
 * compare them there; bms_equal can on every version.
 */
static bool
outer_seen(List *seen, Relids outer)
{
	ListCell   *lc;

	foreach(lc, seen)
	{
		if (bms_equal((Relids) lfirst(lc), outer))
			return true;
	}
	return false;
}

/*
 * One unparameterized path, plus one parameterized path per outer relation
 * joined on the task id: a nested loop then costs one call per outer row,
 * which the planner weighs against one concurrent full scan of a project
 * of the size ANALYZE (or the last list answer) gave.  Each path keeps its
 * plan (fdw_private): the one priced is the one GetForeignPlan carries out.
 */
static void
dwsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	DwsPlanInfo *info = (DwsPlanInfo *) baserel->fdw_private;
	double		per_task = info->topts.resource == DWS_RES_CLUSTERS ? 2 : 1;
	DwsScanPlan *plan = info->plan;
	List	   *candidates = NIL;
	List	   *seen_outer = NIL;
	ListCell   *lc;

	/* a LATERAL reference may name the ids, as the plan would find */
	if (!bms_is_empty(baserel->lateral_relids))
		plan = dws_plan_scan(root, baserel, info->desc, info->attrs,
							 path_clauses(root, baserel, baserel->lateral_relids),
							 baserel->lateral_relids, info->topts.page_size);
	add_path(baserel, (Path *)
			 dws_create_foreignscan_path(root, baserel, NULL, baserel->rows,
										 DWS_CALL_COST,
										 DWS_CALL_COST +
										 dws_plan_cost(plan, info->ntasks,
													   info->max_concurrency),
										 NIL, baserel->lateral_relids, NULL,
										 dws_plan_to_path(plan)));

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
		ParamPathInfo *ppi;
		Relids		outer;

		outer = bms_union(ri->clause_relids, baserel->lateral_relids);
		outer = bms_del_member(outer, baserel->relid);
		if (bms_is_empty(outer) || outer_seen(seen_outer, outer))
			continue;
		seen_outer = lappend(seen_outer, outer);

		/* the path's own clauses: those of its ParamPathInfo */
		ppi = get_baserel_parampathinfo(root, baserel, outer);
		plan = dws_plan_scan(root, baserel, info->desc, info->attrs,
							 path_clauses(root, baserel, outer), outer,
							 info->topts.page_size);
		/* only ids from the outer rows make this path worth having */
		if (plan->ids_clause == NULL ||
			!list_member_ptr(ppi->ppi_clauses, plan->ids_clause))
			continue;

		add_path(baserel, (Path *)
				 dws_create_foreignscan_path(root, baserel, NULL,
											 clamp_row_est(per_task *
														   dws_plan_ids_estimate(plan)),
											 DWS_CALL_COST,
											 dws_plan_cost(plan, info->ntasks,
														   info->max_concurrency),
											 NIL, outer, NULL,
											 dws_plan_to_path(plan)));
	}
}

/*
 * The plan of the chosen path, as the path was priced.  The conditions
 * that became calls (the ids, the projects) are guaranteed by the scan
 * (fetch.c checks each answer's id), so they leave the per-row filter;
 * they stay in fdw_recheck_quals for EvalPlanQual rechecks, which see a
 * row from elsewhere.  Every other condition stays a filter.
 */
static ForeignScan *
dwsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				  ForeignPath *best_path, List *tlist, List *scan_clauses,
				  Plan *outer_plan)
{
	DwsScanPlan *plan = dws_plan_from_path(best_path->fdw_private);
	List	   *local;
	List	   *exprs;
	List	   *priv;
	List	   *recheck = NIL;

	local = extract_actual_clauses(dws_plan_local_clauses(plan, scan_clauses),
								   false);
	if (plan->ids_clause)
		recheck = lappend(recheck, ((RestrictInfo *) plan->ids_clause)->clause);
	if (plan->projects_clause)
		recheck = lappend(recheck,
						  ((RestrictInfo *) plan->projects_clause)->clause);
	priv = dws_plan_to_private(plan, &exprs);
	return make_foreignscan(tlist, local, baserel->relid, exprs, priv,
							NIL, recheck, outer_plan);
}

/* ---- execution ---- */

static void start_fetch(ForeignScanState *node);
static void start_early(ForeignScanState *node);

static void
dwsBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Oid			userid = dws_scan_user(plan, estate);
	Relation	rel = node->ss.ss_currentRelation;
	DwsScanState *st = palloc0(sizeof(DwsScanState));
	Oid			serverid;

	node->fdw_state = st;
	st->plan = dws_plan_from_private(plan->fdw_private, plan->fdw_exprs);
	table_facts(rel, &st->desc, &st->topts, &serverid);
	st->server = GetForeignServer(serverid);
	dws_table_desc_restrict(st->desc, st->plan->attnums);

	if (st->plan->ids)
	{
		st->id_state = ExecInitExpr(st->plan->ids, &node->ss.ps);
		st->id_type = exprType((Node *) st->plan->ids);
	}
	if (st->plan->projects)
	{
		st->proj_state = ExecInitExpr(st->plan->projects, &node->ss.ps);
		st->proj_type = exprType((Node *) st->plan->projects);
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
	if (st->plan->ids_given)
		st->query_cache = dws_cache_create(estate->es_query_cxt, 0);
	start_early(node);
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
		foreach(lc, dws_key_values(st->proj_state, st->plan->projects_array,
								   econtext, st->proj_type))
		{
			const char *p = (const char *) lfirst(lc);

			if (*p != '\0' && !dws_has_control_char(p))
				projects = lappend(projects, (char *) p);
		}
		return projects;
	}
	dflt = dws_default_project(st->server, &st->topts);
	if (dflt == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("no project_id for foreign table \"%s\"",
						st->desc->relname),
				 errhint("Set project_id on the server or the table, or write WHERE project_id = '...'.")));
	return list_make1(pstrdup(dflt));
}

/*
 * Sends the scan's first calls now, before its first row is asked for,
 * when everything they need is known already: no value of the executor's
 * run time (an outer row's, a subquery's: PARAM_EXEC), and a project.
 * Every scan of a query so has its calls in flight from the start: the
 * servers of a UNION ALL view are asked at the same time, whichever one
 * the executor reads first (how the calls then move on: batch.c,
 * dws_batch_next).  Only queued here: they go out at the first wait of any
 * scan, and a scan ended unread (a LIMIT met before it) drops them.
 */
static void
start_early(ForeignScanState *node)
{
	DwsScanState *st = (DwsScanState *) node->fdw_state;

	if (!bms_is_empty(node->ss.ps.plan->allParam) ||
		st->topts.resource == DWS_RES_EVENTS ||
		(st->proj_state == NULL && dws_default_project(st->server, &st->topts) == NULL))
		return;
	start_fetch(node);
	dws_fetch_start(st->fetch);
}

/* Builds the fetch of this scan from the values its clauses have now. */
static void
start_fetch(ForeignScanState *node)
{
	DwsScanState *st = (DwsScanState *) node->fdw_state;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext old = MemoryContextSwitchTo(st->scan_cxt);
	DwsFetchSpec *spec = palloc0(sizeof(DwsFetchSpec));

	spec->plan = st->plan;
	spec->serverid = st->server->serverid;
	spec->projects = scan_projects(st, econtext);
	if (st->id_state)
	{
		ListCell   *lc;

		/* an empty id names no task: asking for it would name another path */
		foreach(lc, dws_key_values(st->id_state, st->plan->ids_array,
								   econtext, st->id_type))
			if (((char *) lfirst(lc))[0] != '\0')
				spec->ids = lappend(spec->ids, lfirst(lc));
	}

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
		st->record = dws_fetch_next(st->fetch, &st->src);
		if (st->record == NULL)
			return slot;
		st->nrows = dws_record_rows(st->desc, st->record);
		st->rowno = 0;
	}
	dws_build_row(st->desc, st->record, &st->src, st->rowno++,
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
	start_early(node);
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

static void
dwsExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	DwsScanState *st = (DwsScanState *) node->fdw_state;

	dws_explain_scan(node, st->plan, st->server, &st->topts, &st->stats, es);
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
	r->AnalyzeForeignTable = dws_analyze_foreign_table;
	r->ImportForeignSchema = dwsImportForeignSchema;
	PG_RETURN_POINTER(r);
}
