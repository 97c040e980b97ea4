/*-------------------------------------------------------------------------
 * plan.c
 *	  Which calls a scan makes, decided in one place.
 *
 * From the columns a scan reads and its conditions, dws_plan_scan decides:
 * the list call or not, a per-task call or not (detail, or show-progress
 * for dr_progress), the ids (from which condition, or from the list) and
 * the projects (from which condition, or the table's).  The planner costs
 * that decision, the executor carries it out and EXPLAIN describes it: the
 * three read the same DwsScanPlan, so they cannot disagree.
 *
 * Also here: the number of tasks this backend last saw in a project's list
 * answer, which sizes a table that has not been analyzed.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

/*
 * The calls for a scan that reads columns needing list fields and/or
 * per-task fields, with or without ids from a condition.  With ids, the
 * list call is made only for the fields it alone gives (filtered to the
 * ids), and the per-task call for its own fields, or when nothing else
 * would name the tasks.  Without ids, the list names the tasks.
 * dr_progress rows always come from show-progress.
 */
void
dws_plan_decide(DwsResource res, bool list_fields, bool per_id_fields,
				bool ids_given, DwsScanPlan *plan)
{
	bool		per_id = per_id_fields || res == DWS_RES_PROGRESS;

	plan->list_fields = list_fields;
	plan->per_id_kind = dws_per_id_call(res);
	if (ids_given)
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

/*
 * The decision for a scan of baserel reading attrs (offset as in
 * pull_varattnos) under clauses (RestrictInfos); ids may come from columns
 * of outer (a parameterized path).  Projects come from constants and
 * parameters only, never from a join: a join on project_id gives the same
 * rows whatever its plan (the default project's, filtered), as a hash join
 * over a full scan would.
 */
DwsScanPlan *
dws_plan_scan(PlannerInfo *root, RelOptInfo *baserel, DwsTableDesc *desc,
			  Bitmapset *attrs, List *clauses, Relids outer)
{
	DwsScanPlan *plan = palloc0(sizeof(DwsScanPlan));
	bool		list_fields,
				per_id_fields;

	plan->idq = dws_find_key_qual(root, baserel, clauses, desc->id_attnum,
								  outer);
	plan->pq = dws_find_key_qual(root, baserel, clauses,
								 desc->project_attnum, NULL);
	dws_columns_needs(desc, attrs, &list_fields, &per_id_fields);
	dws_plan_decide(desc->resource, list_fields, per_id_fields,
					plan->idq != NULL, plan);
	return plan;
}

/* The calls made for nids ids (< 0: none given) in a project of ntasks. */
double
dws_plan_ncalls(const DwsScanPlan *plan, double nids, double ntasks)
{
	double		n = plan->list ? 1 : 0;

	if (plan->per_id)
		n += nids >= 0 ? nids : ntasks;
	return n;
}

/* What the scan asks, in words; ids says which ids when they are given. */
char *
dws_plan_describe(const DwsScanPlan *plan, const char *ids)
{
	const char *per = plan->per_id_kind == DWS_CALL_PROGRESS ?
		"progress" : "detail";

	if (ids != NULL)
	{
		if (!plan->per_id)
			return psprintf("list (for %s)", ids);
		if (plan->list)
			return psprintf("list, then %s for %s", per, ids);
		return psprintf("%s for %s", per, ids);
	}
	if (plan->per_id)
		return psprintf("list, then %s per task", per);
	return pstrdup("list");
}

/* ---- tasks seen in list answers ---- */

typedef struct SeenKey
{
	Oid			serverid;
	char		project_id[NAMEDATALEN * 2];
} SeenKey;

typedef struct SeenEntry
{
	SeenKey		key;
	double		ntasks;
} SeenEntry;

static HTAB *seen_tasks = NULL;

static void
seen_key(SeenKey *key, Oid serverid, const char *project_id)
{
	memset(key, 0, sizeof(SeenKey));
	key->serverid = serverid;
	strlcpy(key->project_id, project_id, sizeof(key->project_id));
}

/*
 * Remembers the number of tasks of a list answer, for the planner of later
 * queries of this backend.  A project id too long to be a key is ignored.
 */
void
dws_plan_note_tasks(Oid serverid, const char *project_id, double ntasks)
{
	SeenKey		key;
	SeenEntry  *e;

	if (!OidIsValid(serverid) || strlen(project_id) >= sizeof(key.project_id))
		return;
	if (seen_tasks == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(SeenKey);
		ctl.entrysize = sizeof(SeenEntry);
		ctl.hcxt = TopMemoryContext;
		seen_tasks = hash_create("dwsdr_fdw tasks seen", 16, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	seen_key(&key, serverid, project_id);
	e = hash_search(seen_tasks, &key, HASH_ENTER, NULL);
	e->ntasks = ntasks;
}

/* The tasks last seen in a list answer of that project, or -1. */
double
dws_plan_known_tasks(Oid serverid, const char *project_id)
{
	SeenKey		key;
	SeenEntry  *e;

	if (seen_tasks == NULL || project_id == NULL ||
		strlen(project_id) >= sizeof(key.project_id))
		return -1;
	seen_key(&key, serverid, project_id);
	e = hash_search(seen_tasks, &key, HASH_FIND, NULL);
	return e ? e->ntasks : -1;
}
