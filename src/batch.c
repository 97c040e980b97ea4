/*-------------------------------------------------------------------------
 * batch.c
 *	  Batches of calls on the transport, and the wait that drives them.
 *
 * Ownership: a DwsBatch belongs to a memory context of its caller; when
 * that context goes (end of scan or an ERROR unwinding), its reset
 * callback removes and frees every curl handle and header list it still
 * has, and takes it out of the backend's list of batches: a wait of any
 * batch drives them all (dws_transport_next), so that the scans of one
 * query have their calls in flight together.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "activity.h"
#include "transport_int.h"

/*
 * Longest single wait.  Interrupts, postmaster death and the sockets all
 * wake the wait at once; this bound only guards against a readiness curl
 * might not have told us about.
 */
#define DWS_POLL_MS 1000

/*
 * Every batch of this backend, whichever scan and connection it belongs to:
 * a wait of any of them drives them all (dws_transport_next), so that the
 * scans of one query (the servers of a UNION ALL view, the sides of a
 * join) have their calls in flight at the same time.  A batch is in it
 * from dws_transport_batch until its memory context goes (batch_cleanup).
 */
static dlist_head ActiveBatches = DLIST_STATIC_INIT(ActiveBatches);

/* Frees everything a batch still has in curl: end of scan or ERROR. */
static void
batch_cleanup(void *arg)
{
	DwsBatch   *batch = (DwsBatch *) arg;
	ListCell   *lc;

	dlist_delete(&batch->node);
	foreach(lc, batch->running)
		dws_transfer_release(batch->t, (DwsTransfer *) lfirst(lc), false);
	batch->running = NIL;
	dws_activity_end(batch->act_total, batch->act_done);	/* shared.c */
}

/*
 * A batch of calls on t, owned by the current memory context (a scan's
 * calls, made anew at each rescan), with its owner's hooks.  The owner
 * registered its own reset callback first, so batch_cleanup runs before
 * it (callbacks run newest first).
 */
DwsBatch *
dws_transport_batch(DwsTransport *t, const DwsBatchHooks *hooks)
{
	DwsBatch   *batch = palloc0(sizeof(DwsBatch));

	batch->cxt = CurrentMemoryContext;
	batch->t = t;
	batch->hooks = *hooks;
	batch->cb.func = batch_cleanup;
	batch->cb.arg = batch;
	dlist_push_tail(&ActiveBatches, &batch->node);
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &batch->cb);
	return batch;
}

/* The hooks' argument of a batch: its owner. */
void *
dws_transport_owner(DwsBatch *batch)
{
	return batch->hooks.arg;
}

/*
 * What to call when answers of this batch come in while another batch
 * waits (dws_transport_next): the owner takes the answers it can use
 * now (dws_transport_peek, dws_transport_take) and queues its next calls, so that its
 * next phase starts without waiting for its own turn to be read.  It must
 * not wait itself.
 */
void
dws_transport_set_advance(DwsBatch *batch, void (*advance) (void *arg),
						  void *arg)
{
	batch->advance = advance;
	batch->advance_arg = arg;
}

/* The first finished request of the batch, left there; NULL when none. */
DwsHttpRequest *
dws_transport_peek(DwsBatch *batch)
{
	return batch->done != NIL ? (DwsHttpRequest *) linitial(batch->done) : NULL;
}

/* The first finished request of the batch, taken; NULL when none. */
DwsHttpRequest *
dws_transport_take(DwsBatch *batch)
{
	DwsHttpRequest *req = dws_transport_peek(batch);

	if (req != NULL)
		batch->done = list_delete_first(batch->done);
	return req;
}

/* Finished requests the batch holds that its owner has not taken. */
int
dws_transport_held(DwsBatch *batch)
{
	return list_length(batch->done);
}

/* Queues req; it starts at the next wait of any batch. */
void
dws_transport_add(DwsBatch *batch, DwsHttpRequest *req)
{
	MemoryContext old = MemoryContextSwitchTo(batch->cxt);

	req->batch = batch;
	req->attempts = 0;
	req->not_before = 0;
	batch->queued = lappend(batch->queued, req);
	batch->act_total++;
	dws_activity_count(1, 0, 0);	/* shared.c */
	MemoryContextSwitchTo(old);
}

int
dws_transport_outstanding(DwsBatch *batch)
{
	return list_length(batch->queued) + list_length(batch->running);
}

/*
 * Starts queued requests that are due, while the connection has room and
 * the budget (shared.c) gives a token for each; else says in how many
 * milliseconds to try again.
 */
static long
start_due(DwsBatch *batch)
{
	DwsTransport *t = batch->t;
	TimestampTz now = GetCurrentTimestamp();
	long		next_ms = -1;
	ListCell   *lc;
	MemoryContext old;

	batch->budget_wait = false;
	if (batch->queued != NIL)
		batch->hooks.check(batch->hooks.arg);

	/*
	 * In the batch's own memory: any scan's wait starts every batch's calls,
	 * and a list cell made in the waiter's memory would be freed with it
	 * (a rescanned inner scan) while this batch still holds it.
	 */
	old = MemoryContextSwitchTo(batch->cxt);
	foreach(lc, batch->queued)
	{
		DwsHttpRequest *req = (DwsHttpRequest *) lfirst(lc);
		long		budget_ms;

		if (t->in_flight >= t->settings.max_concurrency)
			break;
		if (req->not_before > now)
		{
			long		ms = (long) ((req->not_before - now) / 1000) + 1;

			if (next_ms < 0 || ms < next_ms)
				next_ms = ms;
			continue;
		}
		budget_ms = batch->hooks.budget(batch->hooks.arg);
		if (budget_ms > 0)
		{
			if (next_ms < 0 || budget_ms < next_ms)
				next_ms = budget_ms;
			batch->budget_wait = true;
			break;
		}
		batch->queued = foreach_delete_current(batch->queued, lc);
		dws_transfer_start(batch, req);
	}
	MemoryContextSwitchTo(old);
	return next_ms;
}

/*
 * The connections that have work, each once: those of every batch with a
 * call queued or running.  In the current memory context.
 */
static List *
active_conns(void)
{
	dlist_iter	it;
	List	   *conns = NIL;

	dlist_foreach(it, &ActiveBatches)
	{
		DwsBatch   *b = dlist_container(DwsBatch, node, it.cur);

		if (b->queued != NIL || b->running != NIL)
			conns = list_append_unique_ptr(conns, b->t);
	}
	return conns;
}

/*
 * Starts the due calls of every batch, whichever scan it belongs to; the
 * time until the next retry of any of them is due or the budget (shared.c)
 * has a token for one of them, or -1.  A batch the budget holds back does
 * not hold back the others: each takes its own tokens.  dwsdr_activity()
 * shows the backend waiting for its budget while any batch is.
 */
static long
start_all(void)
{
	dlist_iter	it;
	long		next_ms = -1;
	bool		budget_wait = false;

	dlist_foreach(it, &ActiveBatches)
	{
		DwsBatch   *b = dlist_container(DwsBatch, node, it.cur);
		long		ms;

		if (b->queued == NIL)
		{
			b->budget_wait = false;
			continue;
		}
		ms = start_due(b);
		if (ms >= 0 && (next_ms < 0 || ms < next_ms))
			next_ms = ms;
		budget_wait |= b->budget_wait;
	}
	dws_activity_waiting(budget_wait);
	return next_ms;
}

/*
 * The wait event of a wait that drives every batch: the budget's
 * (DwsdrBudget, shared.c) when a batch waits for a token and no call of
 * any batch is in flight, else the API's (DwsdrApi): while a transfer
 * runs, the wait is also for its answer.
 */
static uint32
wait_event_now(void)
{
	dlist_iter	it;
	bool		budget_wait = false;

	dlist_foreach(it, &ActiveBatches)
	{
		DwsBatch   *b = dlist_container(DwsBatch, node, it.cur);

		if (b->running != NIL)
			return dws_wait_event_api();
		budget_wait |= b->budget_wait;
	}
	return budget_wait ? dws_wait_event_budget() : dws_wait_event_api();
}

/*
 * Lets the owner of every other batch that got answers since it last
 * looked take them and queue its next calls (dws_batch_set_advance): a
 * scan whose list came in while another scan was being read starts its
 * per-task calls now, not when its turn comes.  An owner keeps a failed
 * call where it is, for its own scan to report when read.  true when an
 * owner ran, so that the caller starts what it may have queued before
 * waiting.
 */
static bool
advance_others(DwsBatch *waiter)
{
	dlist_iter	it;
	bool		ran = false;

	dlist_foreach(it, &ActiveBatches)
	{
		DwsBatch   *b = dlist_container(DwsBatch, node, it.cur);

		if (b == waiter || !b->done_new || b->advance == NULL)
			continue;
		b->done_new = false;
		b->advance(b->advance_arg);
		ran = true;
	}
	return ran;
}


/*
 * The next request of the batch that is finished for good (answered, or
 * out of retries), or NULL when the batch has nothing left.
 *
 * While it waits, it drives every batch of the backend, not only its own
 * (ActiveBatches): their due calls start, their connections' transfers
 * move on, and their owners take what came in (advance_others).  The
 * scans of one query so proceed together, whichever of them the executor
 * is reading; an answer for another batch stays with that batch, so a
 * failure is reported by the scan it belongs to, when that scan is read.
 *
 * Waits on a WaitEventSet of the latch, postmaster death and the sockets
 * curl asked for (waitset.c: of one connection, or of several), with the wait event reported, for at most the time
 * curl wants to be called back in (its timeouts, of every connection) or
 * the next retry is due.  Every wake resets the latch before interrupts
 * are checked, so a signal that comes meanwhile sets it again and is not
 * lost.  curl is driven with curl_multi_socket_action: a timeout call
 * first (new transfers and expired timers), then each socket that is
 * ready.
 */
DwsHttpRequest *
dws_transport_next(DwsBatch *batch)
{
	MemoryContext old = MemoryContextSwitchTo(batch->cxt);

	for (;;)
	{
		long		wait_ms = DWS_POLL_MS;
		long		due_ms;
		int			still;
		int			n;
		int			i;
		WaitEvent	events[16];
		WaitEventSet *wes;
		List	   *conns;
		ListCell   *lc;
		instr_time	t0,
					t1;

		CHECK_FOR_INTERRUPTS();
		if (batch->done != NIL)
		{
			DwsHttpRequest *req = (DwsHttpRequest *) linitial(batch->done);

			batch->done = list_delete_first(batch->done);
			MemoryContextSwitchTo(old);
			return req;
		}
		if (batch->queued == NIL && batch->running == NIL)
		{
			MemoryContextSwitchTo(old);
			return NULL;
		}

		due_ms = start_all();
		conns = active_conns();
		foreach(lc, conns)
		{
			DwsTransport *c = (DwsTransport *) lfirst(lc);

			curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &still);
			dws_transfer_collect(c);
		}
		if (advance_others(batch) || batch->done != NIL)
		{
			list_free(conns);
			continue;
		}

		foreach(lc, conns)
		{
			long		curl_ms = -1;

			curl_multi_timeout(((DwsTransport *) lfirst(lc))->multi, &curl_ms);
			if (curl_ms >= 0 && curl_ms < wait_ms)
				wait_ms = curl_ms;
		}
		if (due_ms >= 0 && due_ms < wait_ms)
			wait_ms = due_ms;
		if (wait_ms <= 0)
		{
			list_free(conns);
			continue;
		}

		/* the waiter's own connection is among them: it has work */
		if (list_length(conns) == 1)
			wes = dws_sockets_wait_set(&((DwsTransport *) linitial(conns))->socks);
		else
		{
			List	   *socks = NIL;

			foreach(lc, conns)
				socks = lappend(socks, &((DwsTransport *) lfirst(lc))->socks);
			wes = dws_shared_wait_set(socks);
			list_free(socks);
		}
		INSTR_TIME_SET_CURRENT(t0);
		n = WaitEventSetWait(wes, wait_ms, events, lengthof(events),
							 wait_event_now());
		INSTR_TIME_SET_CURRENT(t1);
		INSTR_TIME_SUBTRACT(t1, t0);
		batch->hooks.waited(batch->hooks.arg, INSTR_TIME_GET_MILLISEC(t1));

		for (i = 0; i < n; i++)
		{
			DwsTransport *c;
			int			mask = 0;

			if (events[i].events & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				continue;
			}
			c = events[i].user_data ? (DwsTransport *) events[i].user_data :
				(DwsTransport *) linitial(conns);
			if (events[i].events & WL_SOCKET_READABLE)
				mask |= CURL_CSELECT_IN;
			if (events[i].events & WL_SOCKET_WRITEABLE)
				mask |= CURL_CSELECT_OUT;
			if (mask != 0)
				curl_multi_socket_action(c->multi, events[i].fd, mask, &still);
		}
		foreach(lc, conns)
			dws_transfer_collect((DwsTransport *) lfirst(lc));
		(void) advance_others(batch);
		list_free(conns);
	}
}
