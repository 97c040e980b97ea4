/*-------------------------------------------------------------------------
 * shared.c
 *	  What the sessions of one instance share, when dwsdr_fdw is in
 *	  shared_preload_libraries:
 *
 *	  - one API budget per (endpoint host, credential): a token bucket for
 *		the server option rate_limit, and what a 429 taught (a time before
 *		which no call starts, and a lower rate that recovers), so that one
 *		backend throttled slows all of them;
 *	  - the answers kept for cache_ttl, so that a session finds what
 *		another fetched (never across credentials);
 *	  - what each backend is calling, for dwsdr_activity().
 *
 * The shared memory is one fixed-size area in the main segment, sized at
 * postmaster start by dwsdr_fdw.shared_budgets, dwsdr_fdw.shared_cache_size
 * and MaxBackends: an array of budgets (each under a spinlock held for a
 * few instructions, the array under an LWLock while a slot is found or
 * made), a fixed-size hash of answers under an LWLock (each entry a slot of
 * DWS_SHARED_ANSWER_MAX bytes; longer answers stay in the backend's own
 * cache), and one activity slot per backend, written only by its owner
 * (the changecount protocol of PgBackendStatus).  No lock is ever held
 * while waiting or inside libcurl, and every update of a budget is done
 * under its spinlock in one piece, so a backend that dies leaves nothing
 * half-written (and the postmaster reinitializes shared memory after a
 * crash anyway).
 *
 * Credentials are never stored: a connection is known by a SHA-256 of a
 * random salt made at startup, the endpoint's host and the access key (or
 * the IAM token).  Budgets unused for DWS_BUDGET_IDLE_S are forgotten,
 * cached answers are never served past their cache_ttl and are the first
 * overwritten.
 *
 * Without preloading, nothing here needs shared memory: rate_limit is
 * applied per backend (a budget in backend memory, without the adaptive
 * slow-down), the cache stays the backend's own (cache.c), and
 * dwsdr_activity() shows only the calling backend.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "common/cryptohash.h"
#include "common/pg_prng.h"
#include "common/sha2.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "shared.h"

/* Bodies longer than this are not shared (the backend's cache keeps them). */
#define DWS_SHARED_ANSWER_MAX 4096
/* A budget unused this long is forgotten (its slot freed). */
#define DWS_BUDGET_IDLE_S 600
/* Calls started per 100 ms, over the last second (DWS_WINDOW buckets). */
#define DWS_WINDOW 10
/*
 * A 429 lowers the rate only when at least this many calls started in the
 * last second: below that, a quota per second is not what was hit (a quota
 * per minute, or one call refused), and the pause is enough.
 */
#define DWS_ADAPT_MIN_CALLS 10
/* The rate after a 429: this share of the calls started in the last second. */
#define DWS_ADAPT_DECREASE 0.7
/* ... growing by this factor each second without a 429 ... */
#define DWS_ADAPT_RECOVERY 1.25
/* ... and dropped past this rate, or this long after the last 429. */
#define DWS_ADAPT_DROP_RATE 1000.0
#define DWS_ADAPT_DROP_S 120
/* A pause after a 429 without Retry-After: this, doubling per 429 in a row. */
#define DWS_PAUSE_BASE_MS 250
#define DWS_PAUSE_MAX_MS 4000
/* The longest Retry-After honoured for the whole budget. */
#define DWS_PAUSE_RA_MAX_S 60

#define DWS_DIGEST_LEN PG_SHA256_DIGEST_LENGTH

/* One API budget: (endpoint host, credential) */
typedef struct DwsBudget
{
	slock_t		mutex;			/* every field below */
	bool		in_use;
	uint8		ident[DWS_DIGEST_LEN];
	TimestampTz last_used;
	double		tokens;			/* rate_limit's bucket */
	TimestampTz refilled;
	TimestampTz not_before;		/* no call starts before (after a 429) */
	double		adaptive;		/* calls/s since a 429; 0: none */
	TimestampTz decreased;		/* when adaptive was set */
	int			streak;			/* bursts of 429s, each < 5 s after the last */
	TimestampTz last_429;
	int64		started_epoch[DWS_WINDOW];	/* 100 ms period of each count */
	int			started[DWS_WINDOW];
} DwsBudget;

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
	long		status;
	uint32		len;
	char		body[DWS_SHARED_ANSWER_MAX];
} DwsAnswer;

/* One backend's calls, written only by it */
typedef struct DwsActivity
{
	int			changecount;	/* odd while being written */
	bool		active;
	int			pid;
	Oid			roleid;			/* the session's role (who may see names) */
	char		server[NAMEDATALEN];
	char		user[NAMEDATALEN];
	int64		calls_done;
	int64		calls_total;
	int			in_flight;
	bool		waiting;
	TimestampTz since;
} DwsActivity;

typedef struct DwsSharedState
{
	LWLock	   *budget_lock;	/* finding or making a budget slot */
	LWLock	   *cache_lock;		/* the answers */
	uint8		salt[DWS_DIGEST_LEN];
	int			nbudgets;
	int			nactivity;
	DwsBudget  *budgets;		/* nbudgets of them */
	DwsActivity *activity;		/* nactivity of them */
} DwsSharedState;

/* A connection's identity, backend-local */
struct DwsShared
{
	uint8		ident[DWS_DIGEST_LEN];
	char	   *endpoint;		/* origin and base path, and the versions of
								 * the server and user mapping: part of a
								 * cache key */
	int			rate_limit;		/* calls/s, 0: none */
	int			slot;			/* the budget's index when last found, or -1 */
	DwsBudget  *local;			/* without preloading: this backend's budget */
};

/* settings (PGC_POSTMASTER) */
static int	dws_shared_cache_kb = 8192;
static int	dws_shared_budgets = 64;

static DwsSharedState *Shared = NULL;
static HTAB *SharedAnswers = NULL;
static int	shared_answers_max = 0;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* this backend's activity, published to its slot when preloaded */
static DwsActivity MyActivity;
static int	my_batches = 0;
static uint8 local_salt[DWS_DIGEST_LEN];
static bool local_salt_made = false;

static int	answers_max(void);

/* ---- set-up ---- */

static Size
shared_size(void)
{
	Size		size = MAXALIGN(sizeof(DwsSharedState));

	size = add_size(size, mul_size(dws_shared_budgets, sizeof(DwsBudget)));
	size = add_size(size, mul_size(MaxBackends, sizeof(DwsActivity)));
	if (answers_max() > 0)
		size = add_size(size, hash_estimate_size(answers_max(), sizeof(DwsAnswer)));
	return size;
}

/* How many answers dwsdr_fdw.shared_cache_size holds. */
static int
answers_max(void)
{
	return (int) (((int64) dws_shared_cache_kb * 1024) / sizeof(DwsAnswer));
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

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	st = ShmemInitStruct("dwsdr_fdw shared state",
						 MAXALIGN(sizeof(DwsSharedState)) +
						 mul_size(dws_shared_budgets, sizeof(DwsBudget)) +
						 mul_size(MaxBackends, sizeof(DwsActivity)),
						 &found);
	if (!found)
	{
		int			i;
		LWLockPadded *locks = GetNamedLWLockTranche("dwsdr_fdw");

		memset(st, 0, sizeof(DwsSharedState));
		st->budget_lock = &locks[0].lock;
		st->cache_lock = &locks[1].lock;
		st->nbudgets = dws_shared_budgets;
		st->nactivity = MaxBackends;
		st->budgets = (DwsBudget *) ((char *) st + MAXALIGN(sizeof(DwsSharedState)));
		st->activity = (DwsActivity *) (st->budgets + st->nbudgets);
		memset(st->budgets, 0, mul_size(st->nbudgets, sizeof(DwsBudget)));
		memset(st->activity, 0, mul_size(st->nactivity, sizeof(DwsActivity)));
		for (i = 0; i < st->nbudgets; i++)
			SpinLockInit(&st->budgets[i].mutex);
		if (!pg_strong_random(st->salt, sizeof(st->salt)))
			ereport(FATAL,
					(errmsg("could not generate a random salt for dwsdr_fdw")));
	}
	shared_answers_max = answers_max();
	if (shared_answers_max > 0)
	{
		ctl.keysize = sizeof(DwsAnswerKey);
		ctl.entrysize = sizeof(DwsAnswer);
		SharedAnswers = ShmemInitHash("dwsdr_fdw answers",
									  shared_answers_max, shared_answers_max,
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
							"Shared memory for answers kept for cache_ttl, shared by all sessions.",
							"Only used when dwsdr_fdw is in shared_preload_libraries; 0 turns the shared cache off.",
							&dws_shared_cache_kb, 8192, 0, 1024 * 1024,
							PGC_POSTMASTER, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("dwsdr_fdw.shared_budgets",
							"API budgets (endpoint host and credential pairs) tracked in shared memory.",
							"Only used when dwsdr_fdw is in shared_preload_libraries.",
							&dws_shared_budgets, 64, 1, 10000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
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

/* ---- the budget ---- */

/* The budget's slot (shared, or this backend's), or NULL when none is free. */
static DwsBudget *
budget_for(DwsShared *s, TimestampTz now)
{
	DwsBudget  *b;
	DwsBudget  *free_slot = NULL;
	int			i;

	if (Shared == NULL)
	{
		if (s->local == NULL)
		{
			s->local = MemoryContextAllocZero(GetMemoryChunkContext(s),
											  sizeof(DwsBudget));
			SpinLockInit(&s->local->mutex);
			s->local->in_use = true;
		}
		return s->local;
	}
	if (s->slot >= 0)
	{
		bool		same;

		b = &Shared->budgets[s->slot];
		SpinLockAcquire(&b->mutex);
		same = b->in_use && memcmp(b->ident, s->ident, DWS_DIGEST_LEN) == 0;
		SpinLockRelease(&b->mutex);
		if (same)
			return b;
		s->slot = -1;
	}

	/*
	 * Find it, or make it in a free slot.  Slots idle for long are freed on
	 * the way: nothing stays once its credential is no longer used.
	 */
	LWLockAcquire(Shared->budget_lock, LW_EXCLUSIVE);
	for (i = 0; i < Shared->nbudgets; i++)
	{
		bool		mine;

		b = &Shared->budgets[i];
		SpinLockAcquire(&b->mutex);
		if (b->in_use &&
			TimestampDifferenceExceeds(b->last_used, now, DWS_BUDGET_IDLE_S * 1000))
		{
			b->in_use = false;
			memset(b->ident, 0, DWS_DIGEST_LEN);
		}
		mine = b->in_use && memcmp(b->ident, s->ident, DWS_DIGEST_LEN) == 0;
		if (!b->in_use && free_slot == NULL)
			free_slot = b;
		SpinLockRelease(&b->mutex);
		if (mine)
		{
			s->slot = i;
			LWLockRelease(Shared->budget_lock);
			return b;
		}
	}
	if (free_slot != NULL)
	{
		b = free_slot;
		SpinLockAcquire(&b->mutex);
		memcpy(b->ident, s->ident, DWS_DIGEST_LEN);
		b->last_used = now;
		b->tokens = 0;
		b->refilled = 0;
		b->not_before = 0;
		b->adaptive = 0;
		b->decreased = 0;
		b->streak = 0;
		b->last_429 = 0;
		memset(b->started_epoch, 0, sizeof(b->started_epoch));
		memset(b->started, 0, sizeof(b->started));
		b->in_use = true;
		SpinLockRelease(&b->mutex);
		s->slot = (int) (b - Shared->budgets);
	}
	LWLockRelease(Shared->budget_lock);
	return free_slot;
}

/* Calls started in the second before now.  Under the budget's spinlock. */
static int
started_last_second(DwsBudget *b, int64 epoch)
{
	int			n = 0;
	int			i;

	for (i = 0; i < DWS_WINDOW; i++)
		if (epoch - b->started_epoch[i] < DWS_WINDOW)
			n += b->started[i];
	return n;
}

/*
 * The rate a 429 left, grown since (DWS_ADAPT_RECOVERY per second after the
 * first), or 0 once recovered.  Under the budget's spinlock.
 */
static double
adaptive_rate(DwsBudget *b, TimestampTz now)
{
	double		secs;
	double		rate;

	if (b->adaptive <= 0)
		return 0;
	secs = (double) (now - b->decreased) / USECS_PER_SEC;
	rate = b->adaptive * pow(DWS_ADAPT_RECOVERY, Max(secs - 1.0, 0.0));
	if (rate >= DWS_ADAPT_DROP_RATE || secs >= DWS_ADAPT_DROP_S)
	{
		b->adaptive = 0;
		return 0;
	}
	return rate;
}

/*
 * Before a call starts: takes a token of its budget (0: start now), or
 * says how many milliseconds to wait before asking again (a 429 paused the
 * budget, or rate_limit's bucket is empty).  Never waits itself: the
 * caller's wait loop also serves the calls in flight, and checks for
 * interrupts.  A budget that cannot be had (every slot taken) lets the
 * call go.
 */
long
dws_budget_take(DwsShared *s)
{
	TimestampTz now = GetCurrentTimestamp();
	DwsBudget  *b;
	long		wait_ms = 0;
	double		rate;
	int64		epoch = now / 100000;
	int			w = (int) (epoch % DWS_WINDOW);

	if (s == NULL || (Shared == NULL && s->rate_limit <= 0))
		return 0;
	b = budget_for(s, now);
	if (b == NULL)
		return 0;

	SpinLockAcquire(&b->mutex);
	b->last_used = now;
	if (now < b->not_before)
		wait_ms = (long) ((b->not_before - now) / 1000) + 1;
	else
	{
		rate = adaptive_rate(b, now);
		if (s->rate_limit > 0 && (rate <= 0 || s->rate_limit < rate))
			rate = s->rate_limit;
		if (rate > 0)
		{
			/* a burst of a tenth of a second's calls at most */
			double		burst = Max(1.0, floor(rate / 10));
			double		elapsed = (double) (now - b->refilled) / USECS_PER_SEC;

			if (b->refilled == 0 || elapsed > burst / rate)
				b->tokens = burst;
			else
				b->tokens = Min(burst, b->tokens + elapsed * rate);
			b->refilled = now;
			if (b->tokens < 1.0)
				wait_ms = (long) ceil((1.0 - b->tokens) / rate * 1000.0);
			else
				b->tokens -= 1.0;
		}
		if (wait_ms == 0)
		{
			if (b->started_epoch[w] != epoch)
			{
				b->started_epoch[w] = epoch;
				b->started[w] = 0;
			}
			b->started[w]++;
		}
	}
	SpinLockRelease(&b->mutex);
	return Max(wait_ms, 0);
}

/*
 * An answer came (status 0: none): a 429 pauses the whole budget (its
 * Retry-After, else a pause with jitter that doubles with each burst of
 * 429s less than 5 s after the last) and, when it gave no Retry-After and
 * calls were coming fast, lowers its rate to a share of the last second's.  Only when preloaded:
 * a backend on its own retries each call as before.
 */
void
dws_budget_answer(DwsShared *s, long status, long retry_after_s)
{
	TimestampTz now;
	DwsBudget  *b;
	double		jitter;

	if (s == NULL || Shared == NULL || status == 0)
		return;
	now = GetCurrentTimestamp();
	b = budget_for(s, now);
	if (b == NULL)
		return;
	jitter = pg_prng_double(&pg_global_prng_state);
	SpinLockAcquire(&b->mutex);
	if (status == 429)
	{
		long		pause_ms;
		TimestampTz until;
		int			started = started_last_second(b, now / 100000);

		/*
		 * The 429s of one burst (within half a second) count once: each
		 * burst doubles the pause, until 5 s pass without a 429.
		 */
		if (b->last_429 == 0 ||
			TimestampDifferenceExceeds(b->last_429, now, 5000))
			b->streak = 1;
		else if (TimestampDifferenceExceeds(b->last_429, now, 500))
			b->streak++;
		b->last_429 = now;
		if (retry_after_s > 0)
			pause_ms = Min(retry_after_s, DWS_PAUSE_RA_MAX_S) * 1000L;
		else
		{
			pause_ms = Min(DWS_PAUSE_BASE_MS << Min(b->streak - 1, 5), DWS_PAUSE_MAX_MS);
			pause_ms = pause_ms / 2 + (long) (jitter * pause_ms / 2);
		}
		until = TimestampTzPlusMilliseconds(now, pause_ms);
		if (until > b->not_before)
			b->not_before = until;

		/*
		 * Without Retry-After (the gateway promises none), the rate is
		 * guessed: the 429s of one burst lower it once, the next may lower
		 * it again only half a second later.  A server that says when to
		 * come back is taken at its word.
		 */
		if (retry_after_s <= 0 && started >= DWS_ADAPT_MIN_CALLS &&
			(b->adaptive <= 0 ||
			 TimestampDifferenceExceeds(b->decreased, now, 500)))
		{
			double		rate = Max(1.0, DWS_ADAPT_DECREASE * started);
			double		cur = adaptive_rate(b, now);

			b->adaptive = cur > 0 ? Min(cur, rate) : rate;
			b->decreased = now;
		}
	}
	SpinLockRelease(&b->mutex);
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

/*
 * A shared answer for key (cache.c's key: call, project, id) of this
 * connection's endpoint and credential, fetched at most ttl_s seconds ago:
 * its status and a copy of its body in the current memory context.
 */
bool
dws_shared_cache_get(DwsShared *s, const char *key, int ttl_s, long *status,
					 char **body, size_t *len, TimestampTz *fetched_at)
{
	DwsAnswerKey k;
	DwsAnswer  *a;
	bool		hit = false;
	char	   *copy;
	TimestampTz now;

	if (s == NULL || SharedAnswers == NULL || ttl_s <= 0)
		return false;
	answer_key(s, key, &k);
	/* room for the longest body first: nothing may fail under the lock */
	copy = palloc(DWS_SHARED_ANSWER_MAX + 1);
	now = GetCurrentTimestamp();
	LWLockAcquire(Shared->cache_lock, LW_SHARED);
	a = hash_search(SharedAnswers, &k, HASH_FIND, NULL);
	if (a != NULL && now < a->expires &&
		!TimestampDifferenceExceeds(a->fetched, now, ttl_s * 1000) &&
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
 * Keeps an accepted answer for every session with the same endpoint and
 * credential, for ttl_s seconds.  When the cache is full, the answer
 * fetched first goes (an expired one, if any, before).  A body longer than
 * DWS_SHARED_ANSWER_MAX is not shared.
 */
void
dws_shared_cache_put(DwsShared *s, const char *key, int ttl_s, long status,
					 const char *body, size_t len)
{
	DwsAnswerKey k;
	DwsAnswer  *a;
	TimestampTz now;

	if (s == NULL || SharedAnswers == NULL || ttl_s <= 0 ||
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

		/* full: the oldest goes (expired ones count as oldest) */
		hash_seq_init(&scan, SharedAnswers);
		while ((e = (DwsAnswer *) hash_seq_search(&scan)) != NULL)
		{
			TimestampTz age = e->expires <= now ? 0 : e->fetched;

			if (oldest == NULL ||
				age < (oldest->expires <= now ? 0 : oldest->fetched))
				oldest = e;
		}
		if (oldest != NULL)
			hash_search(SharedAnswers, &oldest->key, HASH_REMOVE, NULL);
		a = hash_search(SharedAnswers, &k, HASH_ENTER_NULL, NULL);
	}
	if (a != NULL)
	{
		memcpy(a->ident, s->ident, DWS_DIGEST_LEN);
		a->fetched = now;
		a->expires = TimestampTzPlusMilliseconds(now, (int64) ttl_s * 1000);
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

/* ---- activity ---- */

/* This backend's slot, or NULL (not preloaded, or not a regular backend). */
static DwsActivity *
my_slot(void)
{
	int			i;

	if (Shared == NULL)
		return NULL;
	i = dws_backend_index();
	if (i < 0 || i >= Shared->nactivity)
		return NULL;
	return &Shared->activity[i];
}

/* Copies MyActivity into this backend's slot: a reader never sees half. */
static void
publish(void)
{
	volatile DwsActivity *slot = my_slot();

	if (slot == NULL)
		return;
	slot->changecount++;
	pg_write_barrier();
	slot->active = MyActivity.active;
	slot->pid = MyActivity.pid;
	slot->roleid = MyActivity.roleid;
	memcpy((char *) slot->server, MyActivity.server, NAMEDATALEN);
	memcpy((char *) slot->user, MyActivity.user, NAMEDATALEN);
	slot->calls_done = MyActivity.calls_done;
	slot->calls_total = MyActivity.calls_total;
	slot->in_flight = MyActivity.in_flight;
	slot->waiting = MyActivity.waiting;
	slot->since = MyActivity.since;
	pg_write_barrier();
	slot->changecount++;
}

/* At exit, the slot says nothing any more. */
static void
activity_exit(int code, Datum arg)
{
	MyActivity.active = false;
	publish();
}

/*
 * A batch of calls starts (a scan of serverid through the user mapping of
 * userid, InvalidOid for PUBLIC).  The names are looked up here, where the
 * catalogs may be read, and the row shows the server of the latest batch.
 */
void
dws_activity_begin(Oid serverid, Oid userid)
{
	static bool exit_registered = false;
	ForeignServer *server = GetForeignServerExtended(serverid, FSV_MISSING_OK);
	char	   *user = OidIsValid(userid) ? GetUserNameFromId(userid, true) : "public";

	if (Shared != NULL && !exit_registered)
	{
		before_shmem_exit(activity_exit, (Datum) 0);
		exit_registered = true;
	}
	if (my_batches++ == 0)
	{
		MyActivity.calls_done = 0;
		MyActivity.calls_total = 0;
		MyActivity.in_flight = 0;
		MyActivity.waiting = false;
		MyActivity.since = GetCurrentTimestamp();
	}
	MyActivity.active = true;
	MyActivity.pid = MyProcPid;
	MyActivity.roleid = GetUserId();
	strlcpy(MyActivity.server, server ? server->servername : "", NAMEDATALEN);
	strlcpy(MyActivity.user, user ? user : "", NAMEDATALEN);
	publish();
}

/* Calls added to a batch, finished, started or ended (deltas). */
void
dws_activity_count(int total, int done, int in_flight)
{
	if (my_batches == 0)
		return;
	MyActivity.calls_total += total;
	MyActivity.calls_done += done;
	MyActivity.in_flight += in_flight;
	publish();
}

/* Whether this backend waits for its budget (and not on an answer). */
void
dws_activity_waiting(bool waiting)
{
	if (my_batches == 0 || MyActivity.waiting == waiting)
		return;
	MyActivity.waiting = waiting;
	publish();
}

/*
 * A batch ended (its scan ended, or an ERROR unwound it): its calls leave
 * the counts, and the row goes with the last batch.  Never throws.
 */
void
dws_activity_end(int total, int done)
{
	if (my_batches == 0)
		return;
	MyActivity.calls_total -= total;
	MyActivity.calls_done -= done;
	if (--my_batches == 0)
	{
		MyActivity.active = false;
		MyActivity.in_flight = 0;
		MyActivity.waiting = false;
	}
	publish();
}

/* ---- wait events ---- */

#if PG_VERSION_NUM >= 170000
static uint32 wait_api = 0;
static uint32 wait_budget = 0;
#endif

/*
 * While waiting on the API: "DwsdrApi" from 17 on when preloaded, else
 * Extension (without preloading, pg_stat_activity shows what it always did).
 */
uint32
dws_wait_event_api(void)
{
#if PG_VERSION_NUM >= 170000
	if (Shared == NULL)
		return PG_WAIT_EXTENSION;	/* not preloaded: as before */
	if (wait_api == 0)
		wait_api = WaitEventExtensionNew("DwsdrApi");
	return wait_api;
#else
	return PG_WAIT_EXTENSION;
#endif
}

/* While waiting for the budget: "DwsdrBudget" from 17 on when preloaded. */
uint32
dws_wait_event_budget(void)
{
#if PG_VERSION_NUM >= 170000
	if (Shared == NULL)
		return PG_WAIT_EXTENSION;	/* not preloaded: as before */
	if (wait_budget == 0)
		wait_budget = WaitEventExtensionNew("DwsdrBudget");
	return wait_budget;
#else
	return PG_WAIT_EXTENSION;
#endif
}

/* ---- dwsdr_activity() ---- */

PG_FUNCTION_INFO_V1(dwsdr_activity);

#define DWSDR_ACTIVITY_COLS 8

static void
activity_row(ReturnSetInfo *rsinfo, DwsActivity *a)
{
	Datum		values[DWSDR_ACTIVITY_COLS];
	bool		nulls[DWSDR_ACTIVITY_COLS] = {0};
	bool		visible = a->roleid == GetUserId() ||
		has_privs_of_role(GetUserId(), a->roleid) ||
		has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	values[0] = Int32GetDatum(a->pid);
	if (visible)
	{
		values[1] = CStringGetTextDatum(a->server);
		values[2] = CStringGetTextDatum(a->user);
	}
	else
		nulls[1] = nulls[2] = true;
	values[3] = Int64GetDatum(a->calls_done);
	values[4] = Int64GetDatum(a->calls_total);
	values[5] = Int32GetDatum(a->in_flight);
	values[6] = BoolGetDatum(a->waiting);
	values[7] = TimestampTzGetDatum(a->since);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * dwsdr_activity(): one row per backend with calls in flight or queued:
 * the server and user mapping's role (NULL unless the caller may see that
 * backend's, as pg_stat_activity decides), calls finished and known so
 * far, calls in flight, whether it waits for its budget, and since when
 * its calls started.  Without preloading, only the calling backend's.
 */
Datum
dwsdr_activity(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (Shared == NULL)
	{
		if (MyActivity.active)
			activity_row(rsinfo, &MyActivity);
		return (Datum) 0;
	}
	for (i = 0; i < Shared->nactivity; i++)
	{
		volatile DwsActivity *slot = &Shared->activity[i];
		DwsActivity copy;

		for (;;)
		{
			int			before = slot->changecount;

			pg_read_barrier();
			memcpy(&copy, (DwsActivity *) slot, sizeof(copy));
			pg_read_barrier();
			if (before == slot->changecount && (before & 1) == 0)
				break;
			CHECK_FOR_INTERRUPTS();
		}
		if (copy.active && copy.pid != 0)
			activity_row(rsinfo, &copy);
	}
	return (Datum) 0;
}
