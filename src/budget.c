/*-------------------------------------------------------------------------
 * budget.c
 *	  One API budget per (endpoint host, credential): a token bucket for
 *	  the server option rate_limit, and what a 429 taught (a time before
 *	  which no call starts, and a lower rate that recovers), so that, when
 *	  dwsdr_fdw is preloaded, one backend throttled slows all of them.
 *
 * The budgets are an array in shared memory (dwsdr_fdw.shared_budgets of
 * them), each under a spinlock held for a few instructions, the array
 * under an LWLock while a slot is found or made.  No lock is held while
 * waiting or inside libcurl, and every update of a budget is done under
 * its spinlock in one piece, so a backend that dies leaves nothing
 * half-written.  Budgets unused for DWS_BUDGET_IDLE_S are forgotten.
 * Without preloading, rate_limit is applied per backend (a budget in
 * backend memory, without the adaptive slow-down).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include <math.h>

#include "common/pg_prng.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "budget.h"
#include "shared.h"

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

/* the budgets in shared memory; NULL when not preloaded */
typedef struct DwsBudgets
{
	LWLock	   *lock;			/* finding or making a slot */
	int			n;
	DwsBudget	slots[FLEXIBLE_ARRAY_MEMBER];
} DwsBudgets;

/* setting (PGC_POSTMASTER) */
static int	dws_shared_budgets = 64;

static DwsBudgets *Budgets = NULL;

/* ---- set-up (shared.c calls these when preloaded) ---- */

/* dwsdr_fdw.shared_budgets */
void
dws_budget_define_settings(void)
{
	DefineCustomIntVariable("dwsdr_fdw.shared_budgets",
							"API budgets (endpoint host and credential pairs) tracked in shared memory.",
							"Only used when dwsdr_fdw is in shared_preload_libraries.",
							&dws_shared_budgets, 64, 1, 10000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
}

Size
dws_budget_shmem_size(void)
{
	return add_size(offsetof(DwsBudgets, slots),
					mul_size(dws_shared_budgets, sizeof(DwsBudget)));
}

/* Makes or attaches to the budgets; under AddinShmemInitLock. */
void
dws_budget_shmem_startup(LWLock *lock)
{
	bool		found;
	DwsBudgets *b = ShmemInitStruct("dwsdr_fdw budgets",
									dws_budget_shmem_size(), &found);

	if (!found)
	{
		int			i;

		memset(b, 0, dws_budget_shmem_size());
		b->lock = lock;
		b->n = dws_shared_budgets;
		for (i = 0; i < b->n; i++)
			SpinLockInit(&b->slots[i].mutex);
	}
	Budgets = b;
}

/* ---- the budget ---- */

/* The budget's slot (shared, or this backend's), or NULL when none is free. */
static DwsBudget *
budget_for(DwsShared *s, TimestampTz now)
{
	DwsBudget  *b;
	DwsBudget  *free_slot = NULL;
	int			i;

	if (Budgets == NULL)
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

		b = &Budgets->slots[s->slot];
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
	LWLockAcquire(Budgets->lock, LW_EXCLUSIVE);
	for (i = 0; i < Budgets->n; i++)
	{
		bool		mine;

		b = &Budgets->slots[i];
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
			LWLockRelease(Budgets->lock);
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
		s->slot = (int) (b - Budgets->slots);
	}
	LWLockRelease(Budgets->lock);
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

	if (s == NULL || (Budgets == NULL && s->rate_limit <= 0))
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

	if (s == NULL || Budgets == NULL || status == 0)
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
