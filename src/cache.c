/*-------------------------------------------------------------------------
 * cache.c
 *	  Answers of calls kept by (call, project, task), so that no call is
 *	  made twice: within a query (an id asked again, or again on a rescan)
 *	  and, when the server sets cache_ttl, across queries for that many
 *	  seconds; and, when the server sets when_unreachable 'stale', the last
 *	  accepted answer of every call, for as long as the connection lives,
 *	  to be served when the API cannot be reached.  When dwsdr_fdw is
 *	  preloaded, both are also kept in the cache all sessions share
 *	  (shared.c), behind this one: a new session finds them there.
 *
 * Only final answers that become rows or "no such task" are kept (HTTP 200
 * and the not-found answers); errors never are.  A cache lives in a memory
 * context and goes with it.
 *
 * The contract of a store of answers (this per-backend one, and any other
 * that takes its place, such as one in shared memory):
 *
 *	dws_cache_store(c, kind, project, id, status, body, len, fetched_at)
 *		keeps a copy of an accepted answer with the time it was received
 *		from the API (fetched_at), replacing the one kept for that call.
 *		It never throws for what it cannot keep (a key too long, the bound
 *		reached by this one answer alone): the answer is then not kept.
 *	dws_cache_lookup(c, kind, project, id, max_age_ms, &status, &body,
 *					 &len, &fetched_at)
 *		true when an answer is kept for the call and its age (now minus
 *		fetched_at) is at most max_age_ms, or whatever its age when
 *		max_age_ms is negative; the body is a NUL-terminated copy in the
 *		caller's memory context, and fetched_at the time given to store
 *		(a cached answer keeps its original time).  An answer too old is
 *		not returned; a cache that keeps stale answers still keeps it.
 *	c NULL: nothing is kept, nothing is found.
 *
 * Every cache is bounded (DWS_CACHE_MAX_ENTRIES answers and
 * DWS_CACHE_MAX_BYTES bytes of bodies): past either, the answers stored
 * longest ago are dropped first.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "cache.h"

#include "lib/ilist.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "shared.h"

#define DWS_CACHE_KEYLEN 256	/* longer keys are simply not cached */
#define DWS_CACHE_SWEEP_AT 1024 /* entries before expired ones are swept */

typedef struct CacheEntry
{
	char		key[DWS_CACHE_KEYLEN];
	dlist_node	node;			/* in DwsCache.order, oldest store first */
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
	dlist_head	order;			/* entries, least recently stored first */
	int			ttl_s;			/* 0: entries never expire */
	bool		keep_stale;		/* entries outlive ttl_s (when_unreachable) */
	int64		entries;
	int64		bytes;			/* of the bodies */
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

/* A new, empty table of entries in c->data. */
static void
cache_init_hash(DwsCache *c)
{
	HASHCTL		ctl;

	ctl.keysize = DWS_CACHE_KEYLEN;
	ctl.entrysize = sizeof(CacheEntry);
	ctl.hcxt = c->data;
	c->hash = hash_create("dwsdr_fdw answers", 64, &ctl,
						  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	dlist_init(&c->order);
	c->entries = 0;
	c->bytes = 0;
	c->sweep_at = DWS_CACHE_SWEEP_AT;
}

/* Forgets one entry, its body and its place in the order. */
static void
drop_entry(DwsCache *c, CacheEntry *e)
{
	dlist_delete(&e->node);
	c->bytes -= (int64) e->len;
	pfree(e->body);
	hash_search(c->hash, e->key, HASH_REMOVE, NULL);
	c->entries--;
}

/* Whether an entry is older than max_age_ms (negative: never). */
static bool
too_old(CacheEntry *e, int64 max_age_ms, TimestampTz now)
{
	return max_age_ms >= 0 &&
		now - e->fetched > max_age_ms * INT64CONST(1000);
}

/*
 * Drops every expired answer.  Run when a cache across queries grows past
 * DWS_CACHE_SWEEP_AT entries, so that ids asked once and never again do
 * not hold memory for the life of the backend.  A cache that keeps stale
 * answers expires none (its bound drops the oldest instead).
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
		if (too_old(e, (int64) c->ttl_s * 1000, now))
			drop_entry(c, e);
	}
}

/* Drops the answers stored longest ago while the cache is over its bound. */
static void
evict_oldest(DwsCache *c)
{
	while (c->entries > DWS_CACHE_MAX_ENTRIES ||
		   c->bytes > DWS_CACHE_MAX_BYTES)
	{
		CacheEntry *e = dlist_head_element(CacheEntry, node, &c->order);

		drop_entry(c, e);
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
 * Makes a cache keep its answers past ttl_s, for when_unreachable 'stale':
 * a lookup within cache_ttl still ignores them once expired, one with a
 * negative max_age_ms finds them, and only the bound drops them.
 */
void
dws_cache_keep_stale(DwsCache *c)
{
	if (c != NULL)
		c->keep_stale = true;
}

/*
 * When preloaded, the answers all sessions share (shared.c): for a fresh
 * read (cache_ttl), one that e (what this backend keeps, or NULL) does
 * not give; for a read of kept answers ('stale', any age), one newer than
 * e, which may be another session's.  false when e is the better answer.
 */
static bool
lookup_shared(DwsCache *c, const char *key, int64 max_age_ms, CacheEntry *e,
			  long *status, char **body, size_t *len, TimestampTz *fetched)
{
	if (max_age_ms < 0 ? !c->keep_stale : (e != NULL || c->ttl_s <= 0))
		return false;
	if (!dws_shared_cache_get(c->shared, key, max_age_ms, status, body, len,
							  fetched))	/* shared.c */
		return false;
	if (e != NULL && e->fetched >= *fetched)
	{
		pfree(*body);
		return false;
	}
	return true;
}

/* See the contract at the top of this file. */
bool
dws_cache_lookup(DwsCache *c, DwsCallKind kind, const char *project_id,
				 const char *id, int64 max_age_ms, long *status, char **body,
				 size_t *len, TimestampTz *fetched_at)
{
	char		key[DWS_CACHE_KEYLEN];
	CacheEntry *e;
	TimestampTz fetched;

	if (c == NULL || !make_key(key, kind, project_id, id))
		return false;
	e = hash_search(c->hash, key, HASH_FIND, NULL);
	if (e != NULL && too_old(e, max_age_ms, GetCurrentTimestamp()))
	{
		/* expired: forget it now rather than keep its memory */
		if (!c->keep_stale)
			drop_entry(c, e);
		e = NULL;
	}
	if (lookup_shared(c, key, max_age_ms, e, status, body, len, &fetched))
	{
		if (fetched_at)
			*fetched_at = fetched;
		return true;
	}
	if (e == NULL)
		return false;
	*status = e->status;
	*len = e->len;
	*body = palloc(e->len + 1);
	memcpy(*body, e->body, e->len + 1);
	if (fetched_at)
		*fetched_at = e->fetched;
	return true;
}

/* See the contract at the top of this file. */
void
dws_cache_store(DwsCache *c, DwsCallKind kind, const char *project_id,
				const char *id, long status, const char *body, size_t len,
				TimestampTz fetched_at)
{
	char		key[DWS_CACHE_KEYLEN];
	CacheEntry *e;
	bool		found;
	char	   *copy;

	if (c == NULL || !make_key(key, kind, project_id, id))
		return;
	dws_shared_cache_put(c->shared, key, c->ttl_s, c->keep_stale, status,
						 body, len, fetched_at);	/* shared.c */
	if ((int64) len > DWS_CACHE_MAX_BYTES)
		return;					/* alone over the bound: not kept */
	if (c->ttl_s > 0 && !c->keep_stale && c->entries >= c->sweep_at &&
		hash_search(c->hash, key, HASH_FIND, NULL) == NULL)
	{
		sweep_expired(c);
		/* sweep again only once the cache has doubled: amortized O(1) */
		c->sweep_at = Max(DWS_CACHE_SWEEP_AT, c->entries * 2);
	}
	/* the copy first: an ERROR here leaves the cache as it was */
	copy = MemoryContextAlloc(c->data, len + 1);
	if (len)
		memcpy(copy, body, len);
	copy[len] = '\0';
	e = hash_search(c->hash, key, HASH_ENTER, &found);
	if (found)
	{
		dlist_delete(&e->node);
		c->bytes -= (int64) e->len;
		pfree(e->body);
	}
	else
		c->entries++;
	dlist_push_tail(&c->order, &e->node);
	e->fetched = fetched_at;
	e->status = status;
	e->len = len;
	e->body = copy;
	c->bytes += (int64) len;
	evict_oldest(c);
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
dws_cache_set_shared(DwsCache *c, struct DwsShared *shared)
{
	c->shared = shared;
}
