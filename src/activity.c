/*-------------------------------------------------------------------------
 * activity.c
 *	  What each backend is calling, for dwsdr_activity(), and the wait
 *	  events it waits under.
 *
 * When dwsdr_fdw is preloaded, one slot per backend (MaxBackends of them)
 * in shared memory, written only by its owner with the changecount
 * protocol of PgBackendStatus, so that a reader never sees half of a
 * write.  Without preloading, dwsdr_activity() shows only the calling
 * backend.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "catalog/pg_authid.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "activity.h"

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

/* the slots in shared memory; NULL when not preloaded */
typedef struct DwsActivitySlots
{
	int			n;
	DwsActivity slots[FLEXIBLE_ARRAY_MEMBER];
} DwsActivitySlots;

static DwsActivitySlots *Activity = NULL;

/* this backend's activity, published to its slot when preloaded */
static DwsActivity MyActivity;
static int	my_batches = 0;

/* ---- set-up (shared.c calls these when preloaded) ---- */

Size
dws_activity_shmem_size(void)
{
	return add_size(offsetof(DwsActivitySlots, slots),
					mul_size(MaxBackends, sizeof(DwsActivity)));
}

/* Makes or attaches to the slots; under AddinShmemInitLock. */
void
dws_activity_shmem_startup(void)
{
	bool		found;
	DwsActivitySlots *a = ShmemInitStruct("dwsdr_fdw activity",
										  dws_activity_shmem_size(), &found);

	if (!found)
	{
		memset(a, 0, dws_activity_shmem_size());
		a->n = MaxBackends;
	}
	Activity = a;
}

/* ---- activity ---- */

/* This backend's slot, or NULL (not preloaded, or not a regular backend). */
static DwsActivity *
my_slot(void)
{
	int			i;

	if (Activity == NULL)
		return NULL;
	i = dws_backend_index();
	if (i < 0 || i >= Activity->n)
		return NULL;
	return &Activity->slots[i];
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

	if (Activity != NULL && !exit_registered)
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
	if (Activity == NULL)
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
	if (Activity == NULL)
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
	if (Activity == NULL)
	{
		if (MyActivity.active)
			activity_row(rsinfo, &MyActivity);
		return (Datum) 0;
	}
	for (i = 0; i < Activity->n; i++)
	{
		volatile DwsActivity *slot = &Activity->slots[i];
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
