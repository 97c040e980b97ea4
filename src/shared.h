/*-------------------------------------------------------------------------
 * shared.h
 *	  What the sessions of one instance share when dwsdr_fdw is in
 *	  shared_preload_libraries: the API budget of each (endpoint host,
 *	  credential), the answers kept for cache_ttl, and what each backend is
 *	  calling (dwsdr_activity()).  See shared.c and docs/design.md.
 *
 * Every function here works without preloading too: the budget is then
 * the backend's own, the cache is not shared, and the activity is only
 * this backend's.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_SHARED_H
#define DWSDR_SHARED_H

#include "dwsdr.h"

/* A connection's identity in shared memory; backend-local, in the conn's context */
typedef struct DwsShared DwsShared;

extern void dws_shared_init(void);
extern bool dws_shared_ready(void);

extern DwsShared *dws_shared_conn(MemoryContext cxt, const char *host,
								  const char *endpoint,
								  const DwsUserOptions *creds,
								  int rate_limit, Oid serverid, Oid umid,
								  Oid owner, Oid role);

/* the budget: 0 = start the call now, else the milliseconds to wait first */
extern long dws_budget_take(DwsShared *s);
extern void dws_budget_answer(DwsShared *s, long status, long retry_after_s);

/* the answer cache (only when preloaded; false / nothing otherwise) */
extern bool dws_shared_cache_get(DwsShared *s, const char *key, int ttl_s,
								 long *status, char **body, size_t *len,
								 TimestampTz *fetched_at);
extern void dws_shared_cache_put(DwsShared *s, const char *key, int ttl_s,
								 long status, const char *body, size_t len);
extern void dws_shared_cache_forget(DwsShared *s);
extern void dws_cache_set_shared(DwsCache *c, DwsShared *shared);	/* cache.c */

/* the activity of this backend (dwsdr_activity()) */
extern void dws_activity_begin(Oid serverid, Oid userid);
extern void dws_activity_count(int total, int done, int in_flight);
extern void dws_activity_waiting(bool waiting);
extern void dws_activity_end(int total, int done);

/* wait events: the API answer, the budget */
extern uint32 dws_wait_event_api(void);
extern uint32 dws_wait_event_budget(void);

#endif							/* DWSDR_SHARED_H */
