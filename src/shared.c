/*-------------------------------------------------------------------------
 * shared.c
 *	  What the sessions of one instance share, when dwsdr_fdw is in
 *	  shared_preload_libraries: the shared memory (its size, its hooks),
 *	  each connection's identity, and the answers kept for cache_ttl and
 *	  for when_unreachable 'stale', so that a session finds what another
 *	  fetched (never across credentials).  The budgets are budget.c's and
 *	  the activity slots activity.c's: this file asks for their room and
 *	  sets them up.
 *
 * The shared memory is fixed-size, in the main segment, sized at
 * postmaster start by dwsdr_fdw.shared_budgets, dwsdr_fdw.shared_cache_size
 * and MaxBackends.  The answers are a fixed-size hash under an LWLock
 * (each entry a slot of DWS_SHARED_ANSWER_MAX bytes; longer answers stay
 * in the backend's own cache).  No lock is ever held while waiting or
 * inside libcurl, and an entry is written under the exclusive lock with
 * no call that can fail, so a backend that dies leaves nothing half
 * written (and the postmaster reinitializes shared memory after a crash
 * anyway).
 *
 * Credentials are never stored: a connection is known by a SHA-256 of a
 * random salt made at startup, the endpoint's host and the access key (or
 * the IAM token).  A cached answer is served as fresh only within its
 * cache_ttl; one kept for 'stale' is served, of any age, only to a scan
 * that cannot reach the API.  When the cache is full the oldest answer is
 * overwritten first.
 *
 * Without preloading, nothing here needs shared memory: the cache stays
 * the backend's own (cache.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "access/htup_details.h"
#include "common/cryptohash.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "shared.h"

/* Bodies longer than this are not shared (the backend's cache keeps them). */
#define DWS_SHARED_ANSWER_MAX 4096

/* A cached answer: key, whose it is, when fetched, the body */
typedef struct DwsAnswerKey
{
	uint8		digest[DWS_DIGEST_LEN];
} DwsAnswerKey;

typedef struct DwsAnswer
{
	DwsAnswerKey key;			/* hash key: must be first */
	uint8		ident[DWS_DIGEST_LEN];	/* the budget's identity */
	TimestampTz fetched;
	TimestampTz expires;		/* fetched + the writer's cache_ttl */
	bool		kept;			/* for 'stale': served past expires */
	long		status;
	uint32		len;
	char		body[DWS_SHARED_ANSWER_MAX];
} DwsAnswer;

typedef struct DwsSharedState
{
	LWLock	   *cache_lock;		/* the answers */
	uint8		salt[DWS_DIGEST_LEN];
} DwsSharedState;

/* setting (PGC_POSTMASTER) */
static int	dws_shared_cache_kb = 8192;

static DwsSharedState *Shared = NULL;
static HTAB *SharedAnswers = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static uint8 local_salt[DWS_DIGEST_LEN];
static bool local_salt_made = false;

/* ---- set-up ---- */

/* How many answers dwsdr_fdw.shared_cache_size holds. */
static int
answers_max(void)
{
	return (int) (((int64) dws_shared_cache_kb * 1024) / sizeof(DwsAnswer));
}

static Size
shared_size(void)
{
	Size		size = CACHELINEALIGN(sizeof(DwsSharedState));

	size = add_size(size, CACHELINEALIGN(dws_budget_shmem_size()));	/* budget.c */
	size = add_size(size, CACHELINEALIGN(dws_activity_shmem_size()));	/* activity.c */
	if (answers_max() > 0)
		size = add_size(size, hash_estimate_size(answers_max(), sizeof(DwsAnswer)));
	return size;
}

/* shmem_request_hook: the area and two LWLocks, asked for before startup. */
static void
dws_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
	RequestNamedLWLockTranche("dwsdr_fdw", 2);
}

/*
 * shmem_startup_hook: makes (in the postmaster) or attaches to (in an
 * EXEC_BACKEND child) the area.  Every field is set before Shared points
 * at it, under AddinShmemInitLock.
 */
static void
dws_shmem_startup(void)
{
	bool		found;
	DwsSharedState *st;
	HASHCTL		ctl;
	LWLockPadded *locks;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	locks = GetNamedLWLockTranche("dwsdr_fdw");
	st = ShmemInitStruct("dwsdr_fdw shared state", sizeof(DwsSharedState),
						 &found);
	if (!found)
	{
		memset(st, 0, sizeof(DwsSharedState));
		st->cache_lock = &locks[1].lock;
		if (!pg_strong_random(st->salt, sizeof(st->salt)))
			ereport(FATAL,
					(errmsg("could not generate a random salt for dwsdr_fdw")));
	}
	dws_budget_shmem_startup(&locks[0].lock);	/* budget.c */
	dws_activity_shmem_startup();	/* activity.c */
	if (answers_max() > 0)
	{
		ctl.keysize = sizeof(DwsAnswerKey);
		ctl.entrysize = sizeof(DwsAnswer);
		SharedAnswers = ShmemInitHash("dwsdr_fdw answers",
									  answers_max(), answers_max(),
									  &ctl, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
	}
	Shared = st;
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Called from _PG_init: the settings and the hooks, only when loading from
 * shared_preload_libraries (a PGC_POSTMASTER setting cannot be made later).
 */
void
dws_shared_init(void)
{
	/* as pg_stat_statements: a PGC_POSTMASTER setting exists only then */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("dwsdr_fdw.shared_cache_size",
							"Shared memory for answers kept for cache_ttl and when_unreachable 'stale', shared by all sessions.",
							"Only used when dwsdr_fdw is in shared_preload_libraries; 0 turns the shared cache off.",
							&dws_shared_cache_kb, 8192, 0, 1024 * 1024,
							PGC_POSTMASTER, GUC_UNIT_KB, NULL, NULL, NULL);
	dws_budget_define_settings();	/* budget.c */
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = dws_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = dws_shmem_startup;
}

/* Whether this backend has the shared state (the library was preloaded). */
bool
dws_shared_ready(void)
{
	return Shared != NULL;
}

/* ---- identities ---- */

static void
digest_fail(pg_cryptohash_ctx *ctx)
{
	const char *why = pg_cryptohash_error(ctx);

	pg_cryptohash_free(ctx);
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("could not compute a SHA-256 digest: %s", why)));
}

/* SHA-256 of the salt, then each of n pieces, each followed by a NUL. */
static void
digest(uint8 *out, const uint8 *salt, const char **pieces, int n)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	int			i;

	if (ctx == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, salt, DWS_DIGEST_LEN) < 0)
		digest_fail(ctx);
	for (i = 0; i < n; i++)
		if (pg_cryptohash_update(ctx, (const uint8 *) pieces[i], strlen(pieces[i]) + 1) < 0)
			digest_fail(ctx);
	if (pg_cryptohash_final(ctx, out, DWS_DIGEST_LEN) < 0)
		digest_fail(ctx);
	pg_cryptohash_free(ctx);
}

static const uint8 *
salt(void)
{
	if (Shared != NULL)
		return Shared->salt;
	if (!local_salt_made)
	{
		if (!pg_strong_random(local_salt, sizeof(local_salt)))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate a random salt")));
		local_salt_made = true;
	}
	return local_salt;
}

/* The xmin of a catalog row: it changes with every ALTER of the row. */
static TransactionId
catalog_version(int cacheid, Oid oid)
{
	HeapTuple	tp = SearchSysCache1(cacheid, ObjectIdGetDatum(oid));
	TransactionId xmin = InvalidTransactionId;

	if (HeapTupleIsValid(tp))
	{
		xmin = HeapTupleHeaderGetRawXmin(tp->t_data);
		ReleaseSysCache(tp);
	}
	return xmin;
}

/*
 * The identity of a connection: which budget its calls take from and whose
 * answers it may read.  host is the endpoint's host[:port]; the credential
 * is the access key, or the IAM token (hashed with a salt, never kept).
 */
DwsShared *
dws_shared_conn(MemoryContext cxt, const char *host, const char *endpoint,
				const DwsUserOptions *creds, int rate_limit, Oid serverid,
				Oid umid, Oid owner, Oid role)
{
	DwsShared  *s = MemoryContextAllocZero(cxt, sizeof(DwsShared));
	const char *pieces[3];

	pieces[0] = host;
	pieces[1] = creds->auth_token ? "token" : "access key";
	pieces[2] = creds->auth_token ? creds->auth_token :
		(creds->access_key ? creds->access_key : "");
	digest(s->ident, salt(), pieces, 3);
	/*
	 * Answers fetched under an older definition of the server, the user
	 * mapping, the server's owner or the mapping's role (InvalidOid: PUBLIC)
	 * are not served: an ALTER of any of them drops them for every session,
	 * as it drops a backend's own cache with its connection (connection.c's
	 * conn_inval_callback); another role's ALTER ROLE does not.
	 */
	s->endpoint = MemoryContextStrdup(cxt,
									  psprintf("%s %u/%u %u/%u %u/%u %u/%u",
											   endpoint, serverid,
											   catalog_version(FOREIGNSERVEROID, serverid),
											   umid,
											   catalog_version(USERMAPPINGOID, umid),
											   owner,
											   catalog_version(AUTHOID, owner),
											   role,
											   OidIsValid(role) ?
											   catalog_version(AUTHOID, role) :
											   InvalidTransactionId));
	s->rate_limit = rate_limit;
	s->slot = -1;
	return s;
}

/* ---- the answer cache ---- */

/*
 * The key of an answer in the shared cache: the connection's identity (as
 * hex: the digest is binary), its endpoint, and cache.c's key.
 */
static void
answer_key(DwsShared *s, const char *key, DwsAnswerKey *k)
{
	char		hex[DWS_DIGEST_LEN * 2 + 1];
	const char *pieces[3];

	hex_encode((const char *) s->ident, DWS_DIGEST_LEN, hex);
	hex[DWS_DIGEST_LEN * 2] = '\0';
	pieces[0] = hex;
	pieces[1] = s->endpoint;
	pieces[2] = key;
	digest(k->digest, Shared->salt, pieces, 3);
}

/* Whether an answer may be served to a read of max_age_ms (see shared.h). */
static bool
servable(DwsAnswer *a, int64 max_age_ms, TimestampTz now)
{
	if (max_age_ms < 0)
		return a->kept;
	return now < a->expires &&
		!TimestampDifferenceExceeds(a->fetched, now,
								   (int) Min(max_age_ms, PG_INT32_MAX));
}

/*
 * A shared answer for key (cache.c's key: call, project, id) of this
 * connection's endpoint and credential: fetched at most max_age_ms ago
 * and within the ttl it was kept for, or, max_age_ms negative, kept for
 * 'stale' whatever its age.  Its status, the time it was fetched and a
 * copy of its body in the current memory context.
 */
bool
dws_shared_cache_get(DwsShared *s, const char *key, int64 max_age_ms,
					 long *status, char **body, size_t *len,
					 TimestampTz *fetched_at)
{
	DwsAnswerKey k;
	DwsAnswer  *a;
	bool		hit = false;
	char	   *copy;
	TimestampTz now;

	if (s == NULL || SharedAnswers == NULL)
		return false;
	answer_key(s, key, &k);
	/* room for the longest body first: nothing may fail under the lock */
	copy = palloc(DWS_SHARED_ANSWER_MAX + 1);
	now = GetCurrentTimestamp();
	LWLockAcquire(Shared->cache_lock, LW_SHARED);
	a = hash_search(SharedAnswers, &k, HASH_FIND, NULL);
	if (a != NULL && servable(a, max_age_ms, now) &&
		memcmp(a->ident, s->ident, DWS_DIGEST_LEN) == 0)
	{
		*status = a->status;
		*len = a->len;
		if (fetched_at)
			*fetched_at = a->fetched;
		memcpy(copy, a->body, a->len);
		copy[a->len] = '\0';
		hit = true;
	}
	LWLockRelease(Shared->cache_lock);
	if (!hit)
	{
		pfree(copy);
		return false;
	}
	*body = copy;
	return true;
}

/*
 * Whether e goes before o when the cache is full: an answer that can no
 * longer be served (expired, not kept for 'stale') first, then the one
 * fetched first.
 */
static bool
evict_before(DwsAnswer *e, DwsAnswer *o, TimestampTz now)
{
	TimestampTz te = (e->expires <= now && !e->kept) ? 0 : e->fetched;
	TimestampTz to = (o->expires <= now && !o->kept) ? 0 : o->fetched;

	return te < to;
}

/*
 * Keeps an accepted answer, received at fetched_at, for every session
 * with the same endpoint and credential: for ttl_s seconds, and when keep
 * (the server's when_unreachable is 'stale') past them too, for an outage,
 * until the bound drops it.  When the cache is full, the answer that can
 * no longer be served goes first, else the one fetched first.  A body
 * longer than DWS_SHARED_ANSWER_MAX is not shared.
 */
void
dws_shared_cache_put(DwsShared *s, const char *key, int ttl_s, bool keep,
					 long status, const char *body, size_t len,
					 TimestampTz fetched_at)
{
	DwsAnswerKey k;
	DwsAnswer  *a;
	TimestampTz now;

	if (s == NULL || SharedAnswers == NULL || (ttl_s <= 0 && !keep) ||
		len > DWS_SHARED_ANSWER_MAX)
		return;
	answer_key(s, key, &k);
	now = GetCurrentTimestamp();
	LWLockAcquire(Shared->cache_lock, LW_EXCLUSIVE);
	a = hash_search(SharedAnswers, &k, HASH_ENTER_NULL, NULL);
	if (a == NULL)
	{
		HASH_SEQ_STATUS scan;
		DwsAnswer  *e;
		DwsAnswer  *oldest = NULL;

		hash_seq_init(&scan, SharedAnswers);
		while ((e = (DwsAnswer *) hash_seq_search(&scan)) != NULL)
		{
			if (oldest == NULL || evict_before(e, oldest, now))
				oldest = e;
		}
		if (oldest != NULL)
			hash_search(SharedAnswers, &oldest->key, HASH_REMOVE, NULL);
		a = hash_search(SharedAnswers, &k, HASH_ENTER_NULL, NULL);
	}
	if (a != NULL)
	{
		memcpy(a->ident, s->ident, DWS_DIGEST_LEN);
		a->fetched = fetched_at;
		a->expires = TimestampTzPlusMilliseconds(fetched_at,
												 (int64) Max(ttl_s, 0) * 1000);
		a->kept = keep;
		a->status = status;
		a->len = (uint32) len;
		if (len > 0)
			memcpy(a->body, body, len);
	}
	LWLockRelease(Shared->cache_lock);
}

/*
 * Forgets every shared answer of this connection's endpoint host and
 * credential (dwsdr_cache_clear()): the next query of any session with
 * them asks the API again.  Other credentials' answers stay.
 */
void
dws_shared_cache_forget(DwsShared *s)
{
	HASH_SEQ_STATUS scan;
	DwsAnswer  *e;

	if (s == NULL || SharedAnswers == NULL)
		return;
	LWLockAcquire(Shared->cache_lock, LW_EXCLUSIVE);
	hash_seq_init(&scan, SharedAnswers);
	while ((e = (DwsAnswer *) hash_seq_search(&scan)) != NULL)
		if (memcmp(e->ident, s->ident, DWS_DIGEST_LEN) == 0)
			hash_search(SharedAnswers, &e->key, HASH_REMOVE, NULL);
	LWLockRelease(Shared->cache_lock);
}

