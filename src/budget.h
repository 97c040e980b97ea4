/*-------------------------------------------------------------------------
 * budget.h
 *	  The API budget of each (endpoint host, credential): rate_limit's
 *	  token bucket and what a 429 taught, shared by every session when
 *	  dwsdr_fdw is preloaded, else each backend's own.  See budget.c.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_BUDGET_H
#define DWSDR_BUDGET_H

#include "storage/lwlock.h"

struct DwsShared;				/* shared.h: a connection's identity */

/* the budget: 0 = start the call now, else the milliseconds to wait first */
extern long dws_budget_take(struct DwsShared *s);
extern void dws_budget_answer(struct DwsShared *s, long status,
							  long retry_after_s);

/* for shared.c: the setting, and the budgets' part of shared memory */
extern void dws_budget_define_settings(void);
extern Size dws_budget_shmem_size(void);
extern void dws_budget_shmem_startup(LWLock *lock);

#endif							/* DWSDR_BUDGET_H */
