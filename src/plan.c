/*-------------------------------------------------------------------------
 * plan.c
 *	  Which calls a scan makes: one DwsScanPlan per path.
 *
 * From the columns a scan reads and its conditions, dws_plan_scan decides
 * the list call or not, a per-task call or not (detail, or show-progress
 * for dr_progress), where the ids come from (a condition, or the list) and
 * the projects (a condition, or the table's).  The planner prices that
 * plan (dws_plan_cost) and keeps it with its path; the path chosen puts it
 * in the ForeignScan (dws_plan_to_private), where the executor, EXPLAIN
 * and EXPLAIN ANALYZE read it back (dws_plan_from_private).  ANALYZE makes
 * its plans here too (dws_plan_analyze).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "pushdown.h"
#include "api.h"
#include "plan.h"

#include <math.h>

#include "access/sysattr.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"

/* Indexes into the ForeignScan's fdw_private (each an Integer, but one). */
enum DwsPlanPrivate
{
	PLAN_RESOURCE,
	PLAN_IDS_GIVEN,
	PLAN_IDS_ARRAY,
	PLAN_IDS_OUTER,
	PLAN_NIDS,
	PLAN_HAS_PROJECTS,
	PLAN_PROJECTS_ARRAY,
	PLAN_NPROJECTS,
	PLAN_LIST,
	PLAN_LIST_FIELDS,
	PLAN_PER_ID,
	PLAN_PAGE_SIZE,
	PLAN_ATTNUMS,				/* integer list */
	PLAN_NITEMS
};

/*
 * The calls for a scan that reads columns needing list fields and/or
 * per-task fields, with or without ids from a condition.  With ids, the
 * list call is made only for the fields it alone gives (filtered to the
 * ids), and the per-task call for its own fields, or when nothing else
 * would name the tasks.  Without ids, the list names the tasks.
 * dr_progress rows always come from show-progress.
 */
static void
decide_calls(DwsScanPlan *plan, bool list_fields, bool per_id_fields)
{
	bool		per_id = per_id_fields || plan->resource == DWS_RES_PROGRESS;

	plan->list_fields = list_fields;
	plan->per_id_kind = dws_per_id_call(plan->resource);
	if (plan->ids_given)
	{
		plan->list = list_fields;
		plan->per_id = per_id || !list_fields;
	}
	else
	{
		plan->list = true;
		plan->per_id = per_id;
	}
}

/* The columns of desc that attrs (as pull_varattnos) reads. */
static List *
used_attnums(DwsTableDesc *desc, Bitmapset *attrs)
{
	List	   *used = NIL;
	int			i;

	for (i = 0; i < desc->ncolumns; i++)
	{
		AttrNumber	attnum = desc->columns[i].attnum;

		if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs) ||
			bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			used = lappend_int(used, attnum);
	}
	return used;
}

/*
 * The plan of a path of baserel reading attrs (offset as in
 * pull_varattnos) under clauses (RestrictInfos: those the path enforces);
 * ids may come from columns of outer (a parameterized path).  Projects
 * come from constants and parameters only, never from a join: a join on
 * project_id gives the same rows whatever its plan (the default project's,
 * filtered), as a hash join over a full scan would.
 */
DwsScanPlan *
dws_plan_scan(PlannerInfo *root, RelOptInfo *baserel, DwsTableDesc *desc,
			  Bitmapset *attrs, List *clauses, Relids outer, int page_size)
{
	DwsScanPlan *plan = palloc0(sizeof(DwsScanPlan));
	DwsKeyQual *idq,
			   *pq;
	bool		list_fields,
				per_id_fields;

	plan->resource = desc->resource;
	plan->page_size = page_size;
	plan->nids = plan->nprojects = -1;
	idq = dws_find_key_qual(root, baserel, clauses, desc->id_attnum, outer);
	pq = dws_find_key_qual(root, baserel, clauses, desc->project_attnum, NULL);
	if (idq)
	{
		plan->ids_given = true;
		plan->ids = idq->expr;
		plan->ids_array = idq->is_array;
		plan->ids_outer = !bms_is_empty(outer);
		plan->nids = idq->nvalues;
		plan->ids_clause = idq->clause;
	}
	if (pq)
	{
		plan->projects = pq->expr;
		plan->projects_array = pq->is_array;
		plan->nprojects = pq->nvalues;
		plan->projects_clause = pq->clause;
	}
	dws_columns_needs(desc, attrs, &list_fields, &per_id_fields);
	decide_calls(plan, list_fields, per_id_fields);
	plan->attnums = used_attnums(desc, attrs);
	return plan;
}

/*
 * ANALYZE's plans, every column read: with ids_only, the project's list
 * for its ids (and its items, when they are the sample); else the calls
 * that a condition naming the sampled ids would make.
 */
DwsScanPlan *
dws_plan_analyze(DwsTableDesc *desc, int page_size, bool ids_only)
{
	DwsScanPlan *plan = palloc0(sizeof(DwsScanPlan));
	Bitmapset  *all = bms_make_singleton(0 - FirstLowInvalidHeapAttributeNumber);
	bool		list_fields,
				per_id_fields;

	plan->resource = desc->resource;
	plan->page_size = page_size;
	plan->nids = plan->nprojects = -1;
	plan->attnums = used_attnums(desc, all);
	dws_columns_needs(desc, all, &list_fields, &per_id_fields);
	plan->ids_given = !ids_only;
	decide_calls(plan, list_fields, per_id_fields);
	if (ids_only)
	{
		plan->list = plan->list_fields = true;
		plan->per_id = false;
	}
	return plan;
}

/* The clauses of a list that the plan's calls do not guarantee. */
List *
dws_plan_local_clauses(const DwsScanPlan *plan, List *clauses)
{
	List	   *rest = NIL;
	ListCell   *lc;

	foreach(lc, clauses)
	{
		if (lfirst(lc) == plan->ids_clause ||
			lfirst(lc) == plan->projects_clause)
			continue;
		rest = lappend(rest, lfirst(lc));
	}
	return rest;
}

/* ---- the plan as nodes ---- */

/*
 * The plan as the ForeignScan carries it: fdw_private (returned) holds
 * integers only, so that it survives copyObject and outfuncs (plan
 * caching, parallel workers); *exprs gets fdw_exprs, the ids' expression
 * first, then the projects', each only when the plan has it.
 */
List *
dws_plan_to_private(const DwsScanPlan *plan, List **exprs)
{
	List	   *priv = NIL;
	int			i;

	*exprs = NIL;
	if (plan->ids)
		*exprs = lappend(*exprs, plan->ids);
	if (plan->projects)
		*exprs = lappend(*exprs, plan->projects);
	for (i = 0; i < PLAN_NITEMS; i++)
	{
		int			v = 0;

		switch ((enum DwsPlanPrivate) i)
		{
			case PLAN_RESOURCE:
				v = plan->resource;
				break;
			case PLAN_IDS_GIVEN:
				v = plan->ids_given;
				break;
			case PLAN_IDS_ARRAY:
				v = plan->ids_array;
				break;
			case PLAN_IDS_OUTER:
				v = plan->ids_outer;
				break;
			case PLAN_NIDS:
				v = plan->nids;
				break;
			case PLAN_HAS_PROJECTS:
				v = plan->projects != NULL;
				break;
			case PLAN_PROJECTS_ARRAY:
				v = plan->projects_array;
				break;
			case PLAN_NPROJECTS:
				v = plan->nprojects;
				break;
			case PLAN_LIST:
				v = plan->list;
				break;
			case PLAN_LIST_FIELDS:
				v = plan->list_fields;
				break;
			case PLAN_PER_ID:
				v = plan->per_id;
				break;
			case PLAN_PAGE_SIZE:
				v = plan->page_size;
				break;
			case PLAN_ATTNUMS:
				priv = lappend(priv, list_copy(plan->attnums));
				continue;
			case PLAN_NITEMS:
				break;
		}
		priv = lappend(priv, makeInteger(v));
	}
	return priv;
}

/* The plan of a ForeignScan, from its fdw_private and fdw_exprs. */
DwsScanPlan *
dws_plan_from_private(List *priv, List *exprs)
{
	DwsScanPlan *plan = palloc0(sizeof(DwsScanPlan));
	int			e = 0;

#define PRIV_INT(i) intVal(list_nth(priv, (i)))
	Assert(list_length(priv) == PLAN_NITEMS);
	plan->resource = (DwsResource) PRIV_INT(PLAN_RESOURCE);
	plan->ids_given = PRIV_INT(PLAN_IDS_GIVEN) != 0;
	plan->ids_array = PRIV_INT(PLAN_IDS_ARRAY) != 0;
	plan->ids_outer = PRIV_INT(PLAN_IDS_OUTER) != 0;
	plan->nids = PRIV_INT(PLAN_NIDS);
	plan->projects_array = PRIV_INT(PLAN_PROJECTS_ARRAY) != 0;
	plan->nprojects = PRIV_INT(PLAN_NPROJECTS);
	plan->list = PRIV_INT(PLAN_LIST) != 0;
	plan->list_fields = PRIV_INT(PLAN_LIST_FIELDS) != 0;
	plan->per_id = PRIV_INT(PLAN_PER_ID) != 0;
	plan->page_size = PRIV_INT(PLAN_PAGE_SIZE);
	plan->attnums = (List *) list_nth(priv, PLAN_ATTNUMS);
	if (plan->ids_given)
		plan->ids = (Expr *) list_nth(exprs, e++);
	if (PRIV_INT(PLAN_HAS_PROJECTS))
		plan->projects = (Expr *) list_nth(exprs, e++);
#undef PRIV_INT
	plan->per_id_kind = dws_per_id_call(plan->resource);
	return plan;
}

/*
 * The plan as its ForeignPath keeps it until the path is chosen: the same
 * nodes, and the clauses that became calls (RestrictInfos of the path's
 * own clauses), which the ForeignScan leaves out of its filter.
 */
List *
dws_plan_to_path(const DwsScanPlan *plan)
{
	List	   *exprs;
	List	   *priv = dws_plan_to_private(plan, &exprs);

	return list_make3(priv, exprs,
					  list_make2(plan->ids_clause, plan->projects_clause));
}

DwsScanPlan *
dws_plan_from_path(List *path_private)
{
	DwsScanPlan *plan = dws_plan_from_private(linitial(path_private),
											  lsecond(path_private));
	List	   *clauses = lthird(path_private);

	plan->ids_clause = linitial(clauses);
	plan->projects_clause = lsecond(clauses);
	return plan;
}

/* ---- what the plan costs ---- */

/* The ids the plan names per scan (the one guess when unknown), or -1. */
double
dws_plan_ids_estimate(const DwsScanPlan *plan)
{
	DwsKeyQual	q;

	if (!plan->ids_given)
		return -1;
	q.is_array = plan->ids_array;
	q.nvalues = plan->nids;
	return dws_key_guess(&q);
}

/* The projects a scan reads: those named, else one. */
static double
projects_estimate(const DwsScanPlan *plan)
{
	return plan->projects && plan->nprojects > 1 ? plan->nprojects : 1;
}

/*
 * The per-task calls of one scan in projects of ntasks tasks in all: one
 * per id and project, or one per task.
 */
static double
per_id_calls(const DwsScanPlan *plan, double ntasks)
{
	if (!plan->per_id)
		return 0;
	if (plan->ids_given)
		return dws_plan_ids_estimate(plan) * projects_estimate(plan);
	return ntasks;
}

/*
 * Cost of a scan's calls: the list calls first, concurrently, then the
 * per-task calls concurrently, max_concurrency at a time: latency per
 * wave, plus handling each answer (a list answer holds the project's
 * tasks, handled one by one).
 */
Cost
dws_plan_cost(const DwsScanPlan *plan, double ntasks, int max_concurrency)
{
	double		per_id = per_id_calls(plan, ntasks);
	Cost		cost = 0;

	if (plan->list)
		cost += ceil(projects_estimate(plan) / max_concurrency) * DWS_CALL_COST +
			DWS_CALL_CPU_COST * Max(ntasks, 1);
	if (per_id > 0)
		cost += ceil(per_id / max_concurrency) * DWS_CALL_COST +
			per_id * DWS_CALL_CPU_COST;
	return cost;
}

/*
 * What the scan asks, in words (EXPLAIN's DWS Calls); events is the text
 * of dr_events' pages (events.c), used in place of the calls'.
 */
char *
dws_plan_describe(const DwsScanPlan *plan, const char *events)
{
	const char *per = dws_call_name(plan->per_id_kind);
	char	   *ids = NULL;
	char	   *desc;

	if (plan->ids_outer)
		ids = "each outer row's id";
	else if (plan->ids_given && (plan->nids >= 0 || !plan->ids_array))
	{
		int			n = plan->nids >= 0 ? plan->nids : 1;

		ids = psprintf("%d id%s", n, n == 1 ? "" : "s");
	}
	else if (plan->ids_given)
		ids = "each id of the parameter";

	if (events != NULL)
		desc = pstrdup(events);
	else if (ids != NULL)
	{
		if (!plan->per_id)
			desc = psprintf("list (for %s)", ids);
		else if (plan->list)
			desc = psprintf("list, then %s for %s", per, ids);
		else
			desc = psprintf("%s for %s", per, ids);
	}
	else if (plan->per_id)
		desc = psprintf("list, then %s per task", per);
	else
		desc = pstrdup(dws_call_name(DWS_CALL_LIST));

	if (plan->projects && plan->nprojects > 1)
		return psprintf("%s, in %d projects", desc, plan->nprojects);
	if (plan->projects && plan->nprojects < 0 && plan->projects_array)
		return psprintf("%s, in each project of the parameter", desc);
	return desc;
}

/* ---- the project a scan reads by default ---- */

/* The project option a table reads (the table's, else the server's), as stored. */
char *
dws_project_option(ForeignServer *server, const DwsTableOptions *topts)
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
char *
dws_default_project(ForeignServer *server, const DwsTableOptions *topts)
{
	char	   *project = dws_project_option(server, topts);

	if (project == NULL)
		return NULL;
	return pg_server_to_any(project, strlen(project), PG_UTF8);
}
