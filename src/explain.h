/*-------------------------------------------------------------------------
 * explain.h
 *	  EXPLAIN of a foreign scan (explain.c).
 *-------------------------------------------------------------------------
 */
#ifndef DWS_EXPLAIN_H
#define DWS_EXPLAIN_H

#include "dwsdr.h"
#include "plan.h"
#include "options.h"
#include "stats.h"

#include "commands/explain.h"

extern void dws_explain_scan(ForeignScanState *node, const DwsScanPlan *dplan,
							 ForeignServer *server, DwsTableOptions *topts,
							 const DwsStats *stats, ExplainState *es);

#endif							/* DWS_EXPLAIN_H */
