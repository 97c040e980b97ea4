/*-------------------------------------------------------------------------
 * shared.h
 *	  What the sessions of one instance share when dwsdr_fdw is in
 *	  shared_preload_libraries: the shared memory segment, each
 *	  connection's identity in it, and the answers kept for cache_ttl and
 *	  for when_unreachable 'stale'.  See shared.c and docs/design.md.
 *	  The API budget is budget.c's, what each backend is calling
 *	  activity.c's; their headers come with this one.
 *
 * Every function here works without preloading too: the budget is then
 * the backend's own, the cache is not shared, and the activity is only
 * this backend's.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_SHARED_H
#define DWSDR_SHARED_H

#include "dwsdr.h"
#include "options.h"

#include "common/sha2.h"

#include "activity.h"
#include "budget.h"

#define DWS_DIGEST_LEN PG_SHA256_DIGEST_LENGTH

/* A connection's identity in shared memory; backend-local, in the conn's context */
typedef struct DwsShared
{
	uint8		ident[DWS_DIGEST_LEN];	/* SHA-256 of salt, host, credential */
	char	   *endpoint;		/* origin and base path, and the versions of
								 * the server and user mapping: part of a
								 * cache key */
	int			rate_limit;		/* calls/s, 0: none */
	int			slot;			/* the budget's index when last found, or -1 */
	struct DwsBudget *local;	/* without preloading: this backend's budget */
} DwsShared;

extern void dws_shared_init(void);
extern bool dws_shared_ready(void);

extern DwsShared *dws_shared_conn(MemoryContext cxt, const char *host,
								  const char *endpoint,
								  const DwsUserOptions *creds,
								  int rate_limit, Oid serverid, Oid umid,
								  Oid owner, Oid role);

/*
 * The answer cache (only when preloaded; false / nothing otherwise).  get:
 * an answer fetched at most max_age_ms ago (and within the ttl it was kept
 * for), or, max_age_ms negative, one kept for 'stale', of any age.  put:
 * kept for ttl_s seconds, and past them too when keep ('stale').
 */
extern bool dws_shared_cache_get(DwsShared *s, const char *key,
								 int64 max_age_ms, long *status, char **body,
								 size_t *len, TimestampTz *fetched_at);
extern void dws_shared_cache_put(DwsShared *s, const char *key, int ttl_s,
								 bool keep, long status, const char *body,
								 size_t len, TimestampTz fetched_at);
extern void dws_shared_cache_forget(DwsShared *s);

#endif							/* DWSDR_SHARED_H */
