/*-------------------------------------------------------------------------
 * dwsdr_fdw.c
 *	  Foreign data wrapper for the disaster-recovery tasks of Huawei Cloud
 *	  GaussDB(DWS): the FdwRoutine callbacks.
 *
 * Thin on purpose: planning asks pushdown.c which clauses name tasks,
 * schema.c which fields the columns need, and plan.c which calls the scan
 * makes (one DwsScanPlan, read by the costs, the executor and EXPLAIN);
 * execution hands that to fetch.c and turns its records into rows with
 * schema.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "src/dwsdr.h"
#include "src/msgtext.h"
#include "src/shared.h"

#include <math.h>

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
#include "utils/ruleutils.h"
#include "utils/sampling.h"
#include "access/htup_details.h"
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
/* ANALYZE: at most this many per-task calls for its sample */
#define DWS_ANALYZE_MAX_CALLS 300

/* Plan-time facts of a foreign table (baserel->fdw_private). */
typedef struct DwsPlanInfo
{
	ForeignServer *server;
	DwsTableOptions topts;
	DwsTableDesc *desc;
	int			max_concurrency;
	Bitmapset  *attrs;			/* columns read, by the scan or joins */
	DwsScanPlan *plan;			/* the calls without a join's ids */
	double		ids;			/* ids named by the WHERE clause, -1: none */
	double		ntasks;			/* tasks of the project(s), estimated */
} DwsPlanInfo;

/* Indexes into ForeignScan.fdw_private */
enum
{
	PRIV_FLAGS,					/* bit set below */
	PRIV_NIDS,					/* known number of ids, -1 unknown */
	PRIV_NPROJECTS,				/* known number of project values, -1 */
	PRIV_USED_ATTRS				/* integer list: the attnums to fill */
};

/*
 * The DwsScanPlan of a ForeignScan.  fdw_exprs holds the id expression
 * first (FLAG_IDS), then the project expression (FLAG_PROJ);
 * fdw_recheck_quals holds their conditions, in the same order.
 */
#define FLAG_IDS		0x01
#define FLAG_IDS_ARRAY	0x02
#define FLAG_PROJ		0x04
#define FLAG_PROJ_ARRAY 0x08
#define FLAG_LIST_FIELDS 0x10
#define FLAG_PER_ID		0x20	/* per-task calls */
#define FLAG_PARAM		0x40	/* parameterized by an outer relation */
#define FLAG_LIST		0x80	/* the list call */

typedef struct DwsScanState
{
	DwsTableDesc *desc;
	ForeignServer *server;
	DwsTableOptions topts;
	DwsConn    *conn;
	int			flags;
	DwsScanPlan calls;			/* the plan's decision, from flags */
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
	dws_http_init();
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
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(DescCacheEntry);
		ctl.hcxt = CacheMemoryContext;
		desc_cache = hash_create("dwsdr_fdw table descriptions", 16, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
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

/* The project option a table reads (the table's, else the server's), as stored. */
static char *
project_option(ForeignServer *server, DwsTableOptions *topts)
{
	DwsServerOptions sopts;

	if (topts->project_id)
		return topts->project_id;
	dws_server_options(server, &sopts);
	return sopts.project_id;
}

/*
 * The project a scan reads when no condition names one, or NULL.  Options
 * are stored in the database encoding; the API's text is UTF-8, as the
 * projects and ids taken from WHERE are (pushdown.c), so that what is
 * sent, compared with answers and shown in rows is the same text.
 */
static char *
default_project(ForeignServer *server, DwsTableOptions *topts)
{
	char	   *project = project_option(server, topts);

	if (project == NULL)
		return NULL;
	return pg_server_to_any(project, strlen(project), PG_UTF8);
}

/*
 * Tasks of the project a scan reads: what ANALYZE stored (reltuples), else
 * what this backend last saw in the project's list answer, else a guess.
 * Projects named by a condition are guessed.
 */
static double
estimate_tasks(RelOptInfo *baserel, DwsPlanInfo *info, double per_task)
{
	double		known;

	if (info->plan->pq != NULL)
		return DWS_DEFAULT_TASKS * Max(info->plan->pq->nvalues, 1);
	if (baserel->tuples >= 0)
		return baserel->tuples / per_task;
	if (info->topts.resource == DWS_RES_EVENTS)
		known = dws_events_known(info->server->serverid,
								 default_project(info->server, &info->topts));
	else
		known = dws_plan_known_tasks(info->server->serverid,
									 default_project(info->server, &info->topts));
	return known >= 0 ? known : DWS_DEFAULT_TASKS;
}

/* The clauses of a list that the scan does not guarantee. */
static List *
unpushed_clauses(List *clauses, DwsScanPlan *plan)
{
	List	   *rest = NIL;
	ListCell   *lc;

	foreach(lc, clauses)
	{
		if ((plan->idq && lfirst(lc) == plan->idq->clause) ||
			(plan->pq && lfirst(lc) == plan->pq->clause))
			continue;
		rest = lappend(rest, lfirst(lc));
	}
	return rest;
}

static void
dwsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	DwsPlanInfo *info = palloc0(sizeof(DwsPlanInfo));
	Relation	rel;
	DwsServerOptions sopts;
	double		per_task;
	DwsKeyQual *idq;
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
							   baserel->baserestrictinfo, NULL);
	baserel->fdw_private = info;

	idq = info->plan->idq;
	info->ids = idq == NULL ? -1 : idq->nvalues >= 0 ? idq->nvalues :
		(idq->is_array ? DWS_DEFAULT_ARRAY_VALUES : 1);
	info->ntasks = estimate_tasks(baserel, info, per_task);

	/* the conditions that became calls select exactly their rows */
	baserel->rows = (info->ids >= 0 ? info->ids : info->ntasks) * per_task *
		clauselist_selectivity(root,
							   unpushed_clauses(baserel->baserestrictinfo,
												info->plan),
							   baserel->relid, JOIN_INNER, NULL);
	baserel->rows = clamp_row_est(baserel->rows);
}

/*
 * Cost of a scan's calls: the list call first, then the per-task calls
 * concurrently, max_concurrency at a time: latency per wave, plus handling
 * each answer.
 */
static Cost
scan_calls_cost(DwsScanPlan *plan, double nids, double ntasks,
				int max_concurrency)
{
	double		per_id = dws_plan_ncalls(plan, nids, ntasks) -
		(plan->list ? 1 : 0);
	Cost		cost = 0;

	/* a list answer holds the project's tasks, handled one by one */
	if (plan->list)
		cost += DWS_CALL_COST + DWS_CALL_CPU_COST * Max(ntasks, 1);
	if (per_id > 0)
		cost += ceil(per_id / max_concurrency) * DWS_CALL_COST +
			per_id * DWS_CALL_CPU_COST;
	return cost;
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
 * of the size ANALYZE (or the last list answer) gave.
 */
static void
dwsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	DwsPlanInfo *info = (DwsPlanInfo *) baserel->fdw_private;
	double		per_task = info->topts.resource == DWS_RES_CLUSTERS ? 2 : 1;
	List	   *candidates = NIL;
	List	   *seen_outer = NIL;
	ListCell   *lc;

	add_path(baserel, (Path *)
			 dws_create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 DWS_CALL_COST,
									 DWS_CALL_COST + scan_calls_cost(info->plan, info->ids,
																	 info->ntasks,
																	 info->max_concurrency),
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
		DwsScanPlan *plan;
		double		ids;

		outer = bms_union(ri->clause_relids, baserel->lateral_relids);
		outer = bms_del_member(outer, baserel->relid);
		if (bms_is_empty(outer) || outer_seen(seen_outer, outer))
			continue;
		plan = dws_plan_scan(root, baserel, info->desc, info->attrs,
							 list_make1(ri), outer);
		if (plan->idq == NULL)
			continue;
		seen_outer = lappend(seen_outer, outer);

		/* create_foreignscan_path finds the ParamPathInfo of outer itself */
		ids = plan->idq->is_array ? DWS_DEFAULT_ARRAY_VALUES : 1;
		add_path(baserel, (Path *)
				 dws_create_foreignscan_path(root, baserel, NULL,
										 clamp_row_est(per_task * ids),
										 DWS_CALL_COST,
										 scan_calls_cost(plan, ids, info->ntasks,
														 info->max_concurrency),
										 NIL, outer, NULL, NIL));
	}
}

/*
 * The plan of the chosen path.  The conditions that became calls (the ids,
 * the projects) are guaranteed by the scan (fetch.c checks each answer's
 * id), so they leave the per-row filter; they stay in fdw_recheck_quals
 * for EvalPlanQual rechecks, which see a row from elsewhere.  Every other
 * condition stays a filter.
 */
static ForeignScan *
dwsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				  ForeignPath *best_path, List *tlist, List *scan_clauses,
				  Plan *outer_plan)
{
	DwsPlanInfo *info = (DwsPlanInfo *) baserel->fdw_private;
	Relids		outer = PATH_REQ_OUTER(&best_path->path);
	List	   *local;
	List	   *exprs = NIL;
	List	   *recheck = NIL;
	DwsScanPlan *plan;
	int			flags = 0;
	Bitmapset  *attrs;
	List	   *used = NIL;
	int			i;

	attrs = used_attrs(baserel, (List *) best_path->path.pathtarget->exprs,
					   scan_clauses);
	plan = dws_plan_scan(root, baserel, info->desc, attrs, scan_clauses, outer);
	local = extract_actual_clauses(unpushed_clauses(scan_clauses, plan), false);
	if (plan->idq)
	{
		flags |= FLAG_IDS | (plan->idq->is_array ? FLAG_IDS_ARRAY : 0);
		exprs = lappend(exprs, plan->idq->expr);
		recheck = lappend(recheck,
						  ((RestrictInfo *) plan->idq->clause)->clause);
	}
	if (plan->pq)
	{
		flags |= FLAG_PROJ | (plan->pq->is_array ? FLAG_PROJ_ARRAY : 0);
		exprs = lappend(exprs, plan->pq->expr);
		recheck = lappend(recheck,
						  ((RestrictInfo *) plan->pq->clause)->clause);
	}
	if (!bms_is_empty(outer))
		flags |= FLAG_PARAM;
	if (plan->list)
		flags |= FLAG_LIST;
	if (plan->list_fields)
		flags |= FLAG_LIST_FIELDS;
	if (plan->per_id)
		flags |= FLAG_PER_ID;

	/* the columns to fill: others stay NULL, so their values are never read */
	for (i = 0; i < info->desc->ncolumns; i++)
	{
		AttrNumber	attnum = info->desc->columns[i].attnum;

		if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs) ||
			bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			used = lappend_int(used, attnum);
	}

	return make_foreignscan(tlist, local, baserel->relid, exprs,
							list_make4(makeInteger(flags),
									   makeInteger(plan->idq ? plan->idq->nvalues : -1),
									   makeInteger(plan->pq ? plan->pq->nvalues : -1),
									   used),
							NIL, recheck, outer_plan);
}

/* ---- execution ---- */

static void start_fetch(ForeignScanState *node);
static void start_early(ForeignScanState *node);

/* The plan's decision, as dws_plan_scan made it. */
static void
plan_from_flags(int flags, DwsResource res, DwsScanPlan *plan)
{
	memset(plan, 0, sizeof(DwsScanPlan));
	plan->list = (flags & FLAG_LIST) != 0;
	plan->list_fields = (flags & FLAG_LIST_FIELDS) != 0;
	plan->per_id = (flags & FLAG_PER_ID) != 0;
	plan->per_id_kind = dws_per_id_call(res);
}

static void
dwsBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Oid			userid = dws_scan_user(plan, estate);
	Relation	rel = node->ss.ss_currentRelation;
	DwsScanState *st = palloc0(sizeof(DwsScanState));
	List	   *exprs = plan->fdw_exprs;
	int			i = 0;
	Oid			serverid;

	node->fdw_state = st;
	st->flags = intVal(list_nth(plan->fdw_private, PRIV_FLAGS));
	table_facts(rel, &st->desc, &st->topts, &serverid);
	st->server = GetForeignServer(serverid);
	plan_from_flags(st->flags, st->topts.resource, &st->calls);
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
		foreach(lc, dws_key_values(st->proj_state, st->flags & FLAG_PROJ_ARRAY,
								   econtext, st->proj_type))
		{
			const char *p = (const char *) lfirst(lc);

			if (*p != '\0' && !dws_has_control_char(p))
				projects = lappend(projects, (char *) p);
		}
		return projects;
	}
	dflt = default_project(st->server, &st->topts);
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
		(st->proj_state == NULL && default_project(st->server, &st->topts) == NULL))
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

	spec->resource = st->topts.resource;
	spec->serverid = st->server->serverid;
	spec->projects = scan_projects(st, econtext);
	spec->need_list = st->calls.list;
	spec->list_fields = st->calls.list_fields;
	spec->need_per_id = st->calls.per_id;
	spec->page_size = st->topts.page_size;
	if (st->id_state)
	{
		ListCell   *lc;

		spec->ids_given = true;
		/* an empty id names no task: asking for it would name another path */
		foreach(lc, dws_key_values(st->id_state, st->flags & FLAG_IDS_ARRAY,
								   econtext, st->id_type))
			if (((char *) lfirst(lc))[0] != '\0')
				spec->ids = lappend(spec->ids, lfirst(lc));
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

/* What the scan asks, with the projects when the WHERE clause names several. */
static char *
calls_description(DwsScanState *st, int nids, int nprojects)
{
	char	   *ids = NULL;
	char	   *desc;

	if (st->flags & FLAG_PARAM)
		ids = "each outer row's id";
	else if ((st->flags & FLAG_IDS) &&
			 (nids >= 0 || !(st->flags & FLAG_IDS_ARRAY)))
	{
		nids = nids >= 0 ? nids : 1;
		ids = psprintf("%d id%s", nids, nids == 1 ? "" : "s");
	}
	else if (st->flags & FLAG_IDS)
		ids = "each id of the parameter";
	if (st->topts.resource == DWS_RES_EVENTS)
		desc = dws_events_describe(st->server->serverid,
								   (st->flags & FLAG_PROJ) ? NULL :
								   default_project(st->server, &st->topts),
								   st->topts.page_size);
	else
		desc = dws_plan_describe(&st->calls, ids);

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
	int			i = 0;

	ExplainPropertyText("DWS Calls", calls_description(st, nids, nprojects), es);

	/*
	 * The conditions the calls guarantee (no Filter re-checks them), shown
	 * as EXPLAIN shows a Filter.  EXPLAIN set the context of this node when
	 * it showed its target list (VERBOSE) or Filter; else it may be another
	 * node's, and the ancestors of this one are not known here: an outer
	 * row's value then shows as its parameter, $n.
	 */
	if ((st->flags & (FLAG_IDS | FLAG_PROJ)) && !es->verbose &&
		plan->scan.plan.qual == NIL)
		set_deparse_context_plan(es->deparse_cxt, &plan->scan.plan, NIL);
	if (st->flags & FLAG_IDS)
		ExplainPropertyText("DWS Task IDs",
							deparse_expression(list_nth(plan->fdw_recheck_quals, i++),
											   es->deparse_cxt, es->verbose, false),
							es);
	if (st->flags & FLAG_PROJ)
		ExplainPropertyText("DWS Projects",
							deparse_expression(list_nth(plan->fdw_recheck_quals, i++),
											   es->deparse_cxt, es->verbose, false),
							es);
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

		if (st->topts.resource == DWS_RES_EVENTS)
			ExplainPropertyText("DWS Requests",
								psprintf("events %lld, retries %lld, errors %lld",
										 (long long) s->calls[DWS_CALL_EVENTS],
										 (long long) s->retries,
										 (long long) s->errors),
								es);
		else
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

/* ---- ANALYZE ---- */

/* A reservoir sample (Vitter's algorithm, utils/sampling.h) of n slots. */
typedef struct Reservoir
{
	ReservoirStateData rs;
	void	  **items;
	int			size;			/* slots */
	int			n;				/* filled */
	double		seen;			/* items offered */
	double		skip;			/* items still to skip, -1: draw anew */
} Reservoir;

static void
reservoir_start(Reservoir *r, void **slots, int size)
{
	reservoir_init_selection_state(&r->rs, size);
	r->items = slots;
	r->size = size;
	r->n = 0;
	r->seen = 0;
	r->skip = -1;
}

/*
 * Offers an item; returns the slot it takes (the caller frees what was
 * there when it returns a filled slot), or -1 when it is not kept.
 */
static int
reservoir_offer(Reservoir *r)
{
	int			k = -1;

	if (r->n < r->size)
		k = r->n++;
	else
	{
		if (r->skip < 0)
			r->skip = reservoir_get_next_S(&r->rs, r->seen, r->size);
		if (r->skip <= 0)
			k = (int) (r->size * sampler_random_fract(&r->rs.randstate));
		r->skip -= 1;
	}
	r->seen += 1;
	return k;
}

/* The rows of a record as heap tuples of rel, into the sample. */
static void
sample_record(Relation rel, DwsTableDesc *desc, json_t *rec,
			  const DwsSource *src, Reservoir *r, MemoryContext rowcxt)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * tupdesc->natts);
	bool	   *nulls = palloc(sizeof(bool) * tupdesc->natts);
	int			nrows = dws_record_rows(desc, rec);
	int			i;

	for (i = 0; i < nrows; i++)
	{
		int			k = reservoir_offer(r);
		MemoryContext old;

		if (k < 0)
			continue;
		old = MemoryContextSwitchTo(rowcxt);
		dws_build_row(desc, rec, src, i, values, nulls);
		MemoryContextSwitchTo(old);
		if (r->items[k] != NULL)
			heap_freetuple((HeapTuple) r->items[k]);
		r->items[k] = heap_form_tuple(tupdesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	pfree(values);
	pfree(nulls);
}

/*
 * ANALYZE's sample of a table: the list call of its project gives the
 * number of tasks.  When every column comes from the list, its items are
 * the sample.  Otherwise a sample of at most DWS_ANALYZE_MAX_CALLS tasks,
 * drawn from the list, gets its per-task calls (as a query naming those
 * ids would), so the figures of every column come from real values;
 * the table's row count is the number of tasks times the rows per task
 * seen.
 */
static int
dws_acquire_sample_rows(Relation rel, int elevel, HeapTuple *rows,
						int targrows, double *totalrows, double *totaldeadrows)
{
	Oid			relid = RelationGetRelid(rel);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "dwsdr_fdw analyze",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext rowcxt = AllocSetContextCreate(cxt, "dwsdr_fdw analyze row",
												 ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	ForeignServer *server = GetForeignServer(GetForeignTable(relid)->serverid);
	DwsTableOptions topts;
	DwsTableDesc *desc;
	DwsConn    *conn;
	DwsStats	stats = {0};
	DwsFetchSpec *spec;
	DwsFetch   *fetch;
	DwsScanPlan whole;
	Bitmapset  *all = bms_make_singleton(0 - FirstLowInvalidHeapAttributeNumber);
	bool		list_fields,
				per_id_fields;
	List	   *used = NIL;
	Reservoir	sample;
	json_t	   *rec;
	DwsSource	src;
	double		ntasks = 0;
	double		nrecords = 0;
	int			i;

	dws_table_options(relid, &topts);
	desc = dws_table_desc(rel, topts.resource);
	for (i = 0; i < desc->ncolumns; i++)
		used = lappend_int(used, desc->columns[i].attnum);
	dws_table_desc_restrict(desc, used);
	dws_columns_needs(desc, all, &list_fields, &per_id_fields);
	dws_plan_decide(topts.resource, list_fields, per_id_fields, true, &whole);

	conn = dws_get_conn(server, GetUserMapping(GetUserId(), server->serverid));
	dws_conn_pin(conn, cxt);

	/* the list: every task once */
	old = MemoryContextSwitchTo(cxt);
	spec = palloc0(sizeof(DwsFetchSpec));
	spec->resource = topts.resource;
	spec->serverid = server->serverid;
	spec->projects = list_make1(pstrdup(default_project(server, &topts)));
	spec->need_list = spec->list_fields = true;
	spec->page_size = topts.page_size;
	spec->unreachable_is_error = true;	/* no statistics of an empty table */
	fetch = dws_fetch_begin(conn, spec, desc, &stats, NULL);
	MemoryContextSwitchTo(old);

	if (!whole.per_id)
		reservoir_start(&sample, (void **) rows, targrows);
	else
		reservoir_start(&sample,
						MemoryContextAllocZero(cxt, sizeof(char *) *
											   Min(targrows, DWS_ANALYZE_MAX_CALLS)),
						Min(targrows, DWS_ANALYZE_MAX_CALLS));
	memset(sample.items, 0, sizeof(void *) * sample.size);
	while ((rec = dws_fetch_next(fetch, &src)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		ntasks += 1;
		if (!whole.per_id)
		{
			nrecords += 1;
			sample_record(rel, desc, rec, &src, &sample, rowcxt);
		}
		else
		{
			int			k = reservoir_offer(&sample);
			const char *id = json_string_value(json_object_get(rec, "id"));

			if (k >= 0)
				sample.items[k] = MemoryContextStrdup(cxt, id ? id : "");
		}
	}

	if (whole.per_id && sample.n > 0)
	{
		Reservoir	rowsample;

		/* the sampled tasks, as "dr_id = ANY(...)" would fetch them */
		old = MemoryContextSwitchTo(cxt);
		spec = palloc0(sizeof(DwsFetchSpec));
		spec->resource = topts.resource;
		spec->serverid = server->serverid;
		spec->projects = list_make1(pstrdup(default_project(server, &topts)));
		spec->ids_given = true;
		for (i = 0; i < sample.n; i++)
			if (((char *) sample.items[i])[0] != '\0')
				spec->ids = lappend(spec->ids, sample.items[i]);
		spec->need_list = whole.list;
		spec->list_fields = whole.list_fields;
		spec->need_per_id = whole.per_id;
		spec->unreachable_is_error = true;
		fetch = dws_fetch_begin(conn, spec, desc, &stats, NULL);
		MemoryContextSwitchTo(old);

		reservoir_start(&rowsample, (void **) rows, targrows);
		memset(rows, 0, sizeof(HeapTuple) * targrows);
		while ((rec = dws_fetch_next(fetch, &src)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			nrecords += 1;
			sample_record(rel, desc, rec, &src, &rowsample, rowcxt);
		}
		sample = rowsample;
	}

	/* rows per task as sampled (dr_clusters: one per cluster) */
	*totalrows = nrecords > 0 ? rint(ntasks * sample.seen / nrecords) : 0;
	*totaldeadrows = 0;
	dws_msg_prepare();
	ereport(elevel,
			(errmsg("\"%s\": %.0f DR tasks in project \"%s\", %d rows sampled from %s",
					RelationGetRelationName(rel), ntasks,
					dws_msg_text(linitial(spec->projects),
								 strlen(linitial(spec->projects)), 100),
					sample.n,
					whole.per_id ? "per-task calls" : "the list"),
			 errdetail("%lld list and %lld per-task calls.",
					   (long long) stats.calls[DWS_CALL_LIST],
					   (long long) (stats.calls[DWS_CALL_DETAIL] +
									stats.calls[DWS_CALL_PROGRESS]))));
	MemoryContextDelete(cxt);
	return sample.n;
}

/*
 * ANALYZE works on a table whose project is known (the table's or the
 * server's): the planner then sizes a full scan from reltuples.
 */
static bool
dwsAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
					   BlockNumber *totalpages)
{
	Oid			relid = RelationGetRelid(relation);
	DwsTableOptions topts;

	dws_table_options(relid, &topts);
	/* only whether there is one: no conversion that could throw here */
	if (project_option(GetForeignServer(GetForeignTable(relid)->serverid),
					   &topts) == NULL)
		return false;
	*func = dws_acquire_sample_rows;
	*totalpages = 1;
	return true;
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
	r->AnalyzeForeignTable = dwsAnalyzeForeignTable;
	r->ImportForeignSchema = dwsImportForeignSchema;
	PG_RETURN_POINTER(r);
}
