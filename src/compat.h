/*-------------------------------------------------------------------------
 * compat.h
 *	  The differences between the PostgreSQL releases dwsdr_fdw builds on
 *	  (15, 16, 17 and 18).
 *
 * What depends on PG_VERSION_NUM lives here, so the rest of the code is
 * written once against the names below; the one exception is jsonsource.c,
 * whose tests of PostgreSQL's JSON parser API (the semantic actions'
 * return type in 16, the lexer context in 17) stay in that file.  15 and
 * 18 are built and tested; 16 and 17 are covered by reading their headers:
 *
 *	- 16 moved the permission fields of RangeTblEntry (checkAsUser among
 *	  them) into RTEPermissionInfo and gave ForeignScan its own checkAsUser,
 *	  filled in by the planner.
 *	- 17 added fdw_restrictinfo to create_foreignscan_path().
 *	- 17 made a WaitEventSet belong to a resource owner instead of a memory
 *	  context, replaced MyBackendId (1-based) by MyProcNumber (0-based), and
 *	  added custom wait event names (WaitEventExtensionNew, in activity.c).
 *	- 18 added disabled_nodes to create_foreignscan_path(), and split
 *	  commands/explain.h: ExplainState is in commands/explain_state.h and the
 *	  ExplainProperty*() functions are in commands/explain_format.h.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_COMPAT_H
#define DWSDR_COMPAT_H

#include "postgres.h"

#include "commands/explain.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "optimizer/pathnode.h"
#include "storage/latch.h"

#if PG_VERSION_NUM < 150000
#error "dwsdr_fdw needs PostgreSQL 15 or later"
#endif

#if PG_VERSION_NUM >= 170000
#include "storage/procnumber.h"
#else
#include "storage/backendid.h"
#endif

#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#endif

/*
 * create_foreignscan_path() with the arguments every release has; the ones
 * added later (fdw_restrictinfo in 17, disabled_nodes in 18) are passed as
 * "none": this FDW keeps no restriction list on its paths and never
 * disables one.
 */
#if PG_VERSION_NUM >= 180000
#define dws_create_foreignscan_path(root, rel, target, rows, startup, total, \
									pathkeys, required_outer, outerpath, priv) \
	create_foreignscan_path((root), (rel), (target), (rows), 0, \
							(startup), (total), (pathkeys), (required_outer), \
							(outerpath), NIL, (priv))
#elif PG_VERSION_NUM >= 170000
#define dws_create_foreignscan_path(root, rel, target, rows, startup, total, \
									pathkeys, required_outer, outerpath, priv) \
	create_foreignscan_path((root), (rel), (target), (rows), \
							(startup), (total), (pathkeys), (required_outer), \
							(outerpath), NIL, (priv))
#else
#define dws_create_foreignscan_path(root, rel, target, rows, startup, total, \
									pathkeys, required_outer, outerpath, priv) \
	create_foreignscan_path((root), (rel), (target), (rows), \
							(startup), (total), (pathkeys), (required_outer), \
							(outerpath), (priv))
#endif

/*
 * The role a foreign scan runs as: the view owner for a scan through a view
 * (checkAsUser), otherwise the current user; the same role the executor
 * checks permissions for.  From 16 on the planner copies checkAsUser into
 * the ForeignScan node; before, it is on the range table entry.
 */
static inline Oid
dws_scan_user(ForeignScan *plan, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	Oid			user = plan->checkAsUser;
#else
	Oid			user = exec_rt_fetch(plan->scan.scanrelid, estate)->checkAsUser;
#endif

	return OidIsValid(user) ? user : GetUserId();
}

/*
 * A WaitEventSet for nevents events that the caller frees with
 * FreeWaitEventSet().  Before 17 it is allocated in cxt; from 17 on it is
 * made with no resource owner (a set kept across queries must not be
 * released at the end of the transaction that made it).
 */
static inline WaitEventSet *
dws_create_wait_event_set(MemoryContext cxt, int nevents)
{
#if PG_VERSION_NUM >= 170000
	return CreateWaitEventSet(NULL, nevents);
#else
	return CreateWaitEventSet(cxt, nevents);
#endif
}

/*
 * This backend's index among the MaxBackends regular backends (activity.c's
 * activity slots): -1 or past the end for a process that is not one.
 */
static inline int
dws_backend_index(void)
{
#if PG_VERSION_NUM >= 170000
	return (int) MyProcNumber;
#else
	return (int) MyBackendId - 1;
#endif
}

#endif							/* DWSDR_COMPAT_H */
