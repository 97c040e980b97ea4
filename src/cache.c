/*-------------------------------------------------------------------------
 * cache.c
 *	  Answers of calls kept by (call, project, task), so that no call is
 *	  made twice: within a query (an id asked again, or again on a rescan)
 *	  and, when the server sets cache_ttl, across queries for that many
 *	  seconds.
 *
 * Only final answers that become rows or "no such task" are kept (HTTP 200
 * and the not-found answers); errors never are.  A cache lives in a memory
 * context and goes with it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "shared.h"

#define DWS_CACHE_KEYLEN 256	/* longer keys are simply not cached */
#define DWS_CACHE_SWEEP_AT 1024 /* entries before expired ones are swept */

typedef struct CacheEntry
{
	char		key[DWS_CACHE_KEYLEN];
	TimestampTz fetched;
	long		status;
	char	   *body;
	size_t		len;
} CacheEntry;

struct DwsCache
{
	MemoryContext cxt;			/* this struct */
	MemoryContext data;			/* the hash table and the bodies */
	HTAB	   *hash;
	int			ttl_s;			/* 0: entries never expire */
	int64		entries;
	int64		sweep_at;		/* entries that trigger the next sweep */
	DwsShared  *shared;			/* when preloaded: the answers all sessions
								 * share (shared.c), behind this one */
};

/*
 * The key of an answer: the call kind, then the project and the task id
 * each preceded by its length, so that no two (project, id) pairs share a
 * key whatever characters they hold (project "p" with id "a/x" and project
 * "p/a" with id "x" would both be "p/a/x" joined by a separator).  A list
 * call without an id filter has no id part at all, which no id can spell.
 * false when the key would not fit: such answers are not cached.
 */
static bool
make_key(char *key, DwsCallKind kind, const char *project_id, const char *id)
{
	int			n;

	if (id)
		n = snprintf(key, DWS_CACHE_KEYLEN, "%d:%zu:%s%zu:%s", (int) kind,
					 strlen(project_id), project_id, strlen(id), id);
	else
		n = snprintf(key, DWS_CACHE_KEYLEN, "%d:%zu:%s", (int) kind,
					 strlen(project_id), project_id);
	return n > 0 && n < DWS_CACHE_KEYLEN;
}

static void
cache_init_hash(DwsCache *c)
{
	HASHCTL		ctl;

	ctl.keysize = DWS_CACHE_KEYLEN;
	ctl.entrysize = sizeof(CacheEntry);
	ctl.hcxt = c->data;
	c->hash = hash_create("dwsdr_fdw answers", 64, &ctl,
						  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	c->entries = 0;
	c->sweep_at = DWS_CACHE_SWEEP_AT;
}

/* Whether key is in the cache (expired or not). */
static bool
found_key(DwsCache *c, const char *key)
{
	return hash_search(c->hash, key, HASH_FIND, NULL) != NULL;
}

/*
 * Drops every expired answer.  Run when a cache across queries grows past
 * DWS_CACHE_SWEEP_AT entries, so that ids asked once and never again do
 * not hold memory for the life of the backend.
 */
static void
sweep_expired(DwsCache *c)
{
	HASH_SEQ_STATUS scan;
	CacheEntry *e;
	TimestampTz now = GetCurrentTimestamp();

	hash_seq_init(&scan, c->hash);
	while ((e = (CacheEntry *) hash_seq_search(&scan)) != NULL)
	{
		if (TimestampDifferenceExceeds(e->fetched, now, c->ttl_s * 1000))
		{
			pfree(e->body);
			hash_search(c->hash, e->key, HASH_REMOVE, NULL);
			c->entries--;
		}
	}
}

/* A cache in a new context under parent; ttl_s 0 keeps entries for good. */
DwsCache *
dws_cache_create(MemoryContext parent, int ttl_s)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "dwsdr_fdw cache",
											  ALLOCSET_DEFAULT_SIZES);
	DwsCache   *c = MemoryContextAllocZero(cxt, sizeof(DwsCache));

	c->cxt = cxt;
	c->data = AllocSetContextCreate(cxt, "dwsdr_fdw cache entries",
									ALLOCSET_DEFAULT_SIZES);
	c->ttl_s = ttl_s;
	cache_init_hash(c);
	return c;
}

/*
 * A kept answer: its status and a copy of its body in the current memory
 * context.  false when absent or expired.
 */
bool
dws_cache_get(DwsCache *c, DwsCallKind kind, const char *project_id,
			  const char *id, long *status, char **body, size_t *len)
{
	char		key[DWS_CACHE_KEYLEN];
	CacheEntry *e;

	if (c == NULL || !make_key(key, kind, project_id, id))
		return false;
	e = hash_search(c->hash, key, HASH_FIND, NULL);
	if (e == NULL)
		return dws_shared_cache_get(c->shared, key, c->ttl_s, status, body,
									len);	/* shared.c */
	if (c->ttl_s > 0 &&
		TimestampDifferenceExceeds(e->fetched, GetCurrentTimestamp(),
								   c->ttl_s * 1000))
	{
		/* expired: forget it now rather than keep its memory */
		pfree(e->body);
		hash_search(c->hash, key, HASH_REMOVE, NULL);
		c->entries--;
		return false;
	}
	*status = e->status;
	*len = e->len;
	*body = palloc(e->len + 1);
	memcpy(*body, e->body, e->len + 1);
	return true;
}

void
dws_cache_put(DwsCache *c, DwsCallKind kind, const char *project_id,
			  const char *id, long status, const char *body, size_t len)
{
	char		key[DWS_CACHE_KEYLEN];
	CacheEntry *e;
	bool		found;

	if (c == NULL || !make_key(key, kind, project_id, id))
		return;
	dws_shared_cache_put(c->shared, key, c->ttl_s, status, body, len);	/* shared.c */
	if (c->ttl_s > 0 && c->entries >= c->sweep_at && !found_key(c, key))
	{
		sweep_expired(c);
		/* sweep again only once the cache has doubled: amortized O(1) */
		c->sweep_at = Max(DWS_CACHE_SWEEP_AT, c->entries * 2);
	}
	e = hash_search(c->hash, key, HASH_ENTER, &found);
	if (found && e->body)
		pfree(e->body);
	else if (!found)
		c->entries++;
	e->fetched = GetCurrentTimestamp();
	e->status = status;
	e->len = len;
	e->body = MemoryContextAlloc(c->data, len + 1);
	if (len)
		memcpy(e->body, body, len);
	e->body[len] = '\0';
}

/* Forgets every answer. */
void
dws_cache_reset(DwsCache *c)
{
	if (c == NULL)
		return;
	MemoryContextReset(c->data);
	cache_init_hash(c);
	dws_shared_cache_forget(c->shared);	/* shared.c */
}

/*
 * When preloaded, answers missing here are looked for in the cache all
 * sessions share, and answers kept here are kept there too (shared.c).
 */
void
dws_cache_set_shared(DwsCache *c, DwsShared *shared)
{
	c->shared = shared;
}
