/*-------------------------------------------------------------------------
 * plan.h
 *	  The calls of one scan: decided once per path (plan.c), priced by the
 *	  planner, carried in the ForeignScan's fdw_private and fdw_exprs, and
 *	  read back by the executor, EXPLAIN and ANALYZE.
 *-------------------------------------------------------------------------
 */
#ifndef DWS_PLAN_H
#define DWS_PLAN_H

#include "dwsdr.h"
#include "options.h"
#include "schema.h"

#include "nodes/pathnodes.h"

/* Cost of one call's latency, and of handling its answer. */
#define DWS_CALL_COST 50.0
#define DWS_CALL_CPU_COST 0.5

typedef struct DwsScanPlan
{
	DwsResource resource;

	/* where the ids come from */
	bool		ids_given;		/* a condition (or ANALYZE) names the ids;
								 * else the list call names the tasks */
	Expr	   *ids;			/* the condition's value (fdw_exprs), or NULL */
	bool		ids_array;		/* = ANY(ids) */
	bool		ids_outer;		/* an outer row's value (parameterized path) */
	int			nids;			/* known number of ids, -1 unknown */

	/* where the projects come from */
	Expr	   *projects;		/* the condition's value, or NULL: the
								 * table's (or server's) project */
	bool		projects_array;
	int			nprojects;		/* known number, -1 unknown */

	/* the calls */
	bool		list;			/* the list call of each project */
	bool		list_fields;	/* ... and its items feed the rows */
	bool		per_id;			/* a per-task call per id (or task) */
	DwsCallKind per_id_kind;	/* detail or show-progress */
	int			page_size;		/* dr_events: events per page (0: default) */
	List	   *attnums;		/* integers: the columns to fill */

	/* planner only (not in fdw_private): the clauses that became calls */
	Node	   *ids_clause;		/* RestrictInfo, or NULL */
	Node	   *projects_clause;
} DwsScanPlan;

extern DwsScanPlan *dws_plan_scan(PlannerInfo *root, RelOptInfo *baserel,
								  DwsTableDesc *desc, Bitmapset *attrs,
								  List *clauses, Relids outer, int page_size);
extern DwsScanPlan *dws_plan_analyze(DwsTableDesc *desc, int page_size,
									 bool ids_only);
extern List *dws_plan_local_clauses(const DwsScanPlan *plan, List *clauses);

extern List *dws_plan_to_private(const DwsScanPlan *plan, List **exprs);
extern DwsScanPlan *dws_plan_from_private(List *priv, List *exprs);
extern List *dws_plan_to_path(const DwsScanPlan *plan);
extern DwsScanPlan *dws_plan_from_path(List *path_private);

extern double dws_plan_ids_estimate(const DwsScanPlan *plan);
extern Cost dws_plan_cost(const DwsScanPlan *plan, double ntasks,
						  int max_concurrency);
extern char *dws_plan_describe(const DwsScanPlan *plan, const char *events);

extern char *dws_project_option(ForeignServer *server,
								const DwsTableOptions *topts);
extern char *dws_default_project(ForeignServer *server,
								 const DwsTableOptions *topts);

#endif							/* DWS_PLAN_H */
