/*-------------------------------------------------------------------------
 * cache.h
 *	  Answers of calls kept by (call, project, task): within a query, for
 *	  cache_ttl, and for when_unreachable 'stale'.  See cache.c, whose
 *	  header comment has the contract of lookup and store.
 *
 * Included by dwsdr.h (after DwsCallKind), as every module that reads
 * answers includes that header.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_CACHE_H
#define DWSDR_CACHE_H

#include "utils/timestamp.h"

#include "dwsdr.h"

typedef struct DwsCache DwsCache;
struct DwsShared;				/* shared.h */

extern DwsCache *dws_cache_create(MemoryContext parent, int ttl_s);
extern void dws_cache_reset(DwsCache *c);
extern bool dws_cache_lookup(DwsCache *c, DwsCallKind kind,
							 const char *project_id, const char *id,
							 int64 max_age_ms, long *status, char **body,
							 size_t *len, TimestampTz *fetched_at);
extern void dws_cache_store(DwsCache *c, DwsCallKind kind,
							const char *project_id, const char *id,
							long status, const char *body, size_t len,
							TimestampTz fetched_at);
extern void dws_cache_keep_stale(DwsCache *c);
/* when preloaded: the answers all sessions share, behind this cache */
extern void dws_cache_set_shared(DwsCache *c, struct DwsShared *shared);

/* the bound of every cache: past either, the oldest answers go first */
#define DWS_CACHE_MAX_ENTRIES 10000
#define DWS_CACHE_MAX_BYTES ((int64) 128 * 1024 * 1024)

#endif							/* DWSDR_CACHE_H */
