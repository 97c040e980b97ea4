/*-------------------------------------------------------------------------
 * explain.c
 *	  What EXPLAIN shows of a foreign scan: its plan's calls (the same
 *	  DwsScanPlan the executor runs), the conditions they guarantee, and
 *	  with ANALYZE the calls made.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "events.h"
#include "explain.h"

#include "commands/explain.h"
#include "utils/ruleutils.h"

/* The DWS lines of a foreign scan's EXPLAIN; stats when it ran (ANALYZE). */
void
dws_explain_scan(ForeignScanState *node, const DwsScanPlan *dplan,
				 ForeignServer *server, DwsTableOptions *topts,
				 const DwsStats *s, ExplainState *es)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	char	   *events = NULL;
	int			i = 0;

	if (dplan->resource == DWS_RES_EVENTS)
		events = dws_events_describe(server->serverid,
									 dplan->projects ? NULL :
									 dws_default_project(server, topts),
									 dplan->page_size);
	ExplainPropertyText("DWS Calls", dws_plan_describe(dplan, events), es);

	/*
	 * The conditions the calls guarantee (no Filter re-checks them), shown
	 * as EXPLAIN shows a Filter.  EXPLAIN set the context of this node when
	 * it showed its target list (VERBOSE) or Filter; else it may be another
	 * node's, and the ancestors of this one are not known here: an outer
	 * row's value then shows as its parameter, $n.
	 */
	if ((dplan->ids || dplan->projects) && !es->verbose &&
		plan->scan.plan.qual == NIL)
		set_deparse_context_plan(es->deparse_cxt, &plan->scan.plan, NIL);
	if (dplan->ids)
		ExplainPropertyText("DWS Task IDs",
							deparse_expression(list_nth(plan->fdw_recheck_quals, i++),
											   es->deparse_cxt, es->verbose, false),
							es);
	if (dplan->projects)
		ExplainPropertyText("DWS Projects",
							deparse_expression(list_nth(plan->fdw_recheck_quals, i++),
											   es->deparse_cxt, es->verbose, false),
							es);
	if (es->verbose)
	{
		DwsServerOptions sopts;

		dws_server_options(server, &sopts);
		ExplainPropertyText("DWS Endpoint", sopts.endpoint, es);
		if (dplan->projects)
			ExplainPropertyText("DWS Project", "from the WHERE clause", es);
		else
			ExplainPropertyText("DWS Project",
								topts->project_id ? topts->project_id :
								sopts.project_id ? sopts.project_id : "(none)",
								es);
	}
	if (es->analyze)
	{
		if (dplan->resource == DWS_RES_EVENTS)
			ExplainPropertyText("DWS Requests",
								psprintf("%s %lld, retries %lld, errors %lld",
										 dws_call_name(DWS_CALL_EVENTS),
										 (long long) s->calls[DWS_CALL_EVENTS],
										 (long long) s->retries,
										 (long long) s->errors),
								es);
		else
			ExplainPropertyText("DWS Requests",
								psprintf("%s %lld, %s %lld, retries %lld, errors %lld, cache hits %lld",
										 dws_call_name(DWS_CALL_LIST),
										 (long long) s->calls[DWS_CALL_LIST],
										 dws_call_name(dws_per_id_call(dplan->resource)),
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
