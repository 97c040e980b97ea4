/*-------------------------------------------------------------------------
 * unreachable.c
 *	  A scan on a server whose when_unreachable is 'skip' or 'stale' makes
 *	  every call before its first record, so that whether the API could
 *	  be reached is known before any row is returned: when one call cannot
 *	  reach it (no answer, HTTP 5xx or 429, after the retries), the scan
 *	  returns no rows at all, with a WARNING, or for 'stale' is made again
 *	  from the answers kept for its calls (any age); a call without a kept
 *	  answer makes that a skip too.  Rows of one region are all fresh, all
 *	  stale or none: never part of an answer.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "answer.h"
#include "fetch.h"
#include "fetch_int.h"

#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "msgtext.h"

/*
 * A call that could not reach the API, on a server whose when_unreachable
 * is not 'error': counted as a failure, its cause kept for the WARNING, and
 * true (the caller abandons the scan's calls).  false when the failure is
 * to be reported as an ERROR as usual.
 */
bool
dws_fetch_stop_unreachable(DwsFetch *f, DwsRequest *req)
{
	const char *rid;
	char	   *what;

	if (f->mode == DWS_UNREACHABLE_ERROR || !dws_answer_unreachable(req))
		return false;
	dws_answer_count_error(f->stats, dws_conn_stats(f->conn), req, false);
	dws_msg_prepare();
	if (req->status == 0)
		what = psprintf("no answer (%s)", dws_answer_clean(req->curl_error, 200));
	else
		what = psprintf("HTTP status %ld", req->status);
	rid = req->request_id[0] ? dws_answer_clean(req->request_id, 100) : "(none)";
	f->cause = MemoryContextStrdup(f->cxt,
								   psprintf("%s: %s, request id %s, after %d attempt%s",
											dws_answer_clean(dws_answer_label(req), 300),
											what, rid, req->attempts,
											req->attempts == 1 ? "" : "s"));
	return true;
}

/*
 * 'skip' and 'stale': makes every call of the scan before its first record
 * and queues the answers (ready), which dws_fetch_next then reads as it
 * reads answers from the cache.  false as soon as one call could not reach
 * the API, or, offline, had no kept answer.
 */
static bool
collect_all(DwsFetch *f)
{
	List	   *done = NIL;
	DwsRequest *req;

	if (!dws_fetch_start_calls(f) || f->unkept)
		return false;
	if (!f->per_id)
		return true;
	for (;;)
	{
		dws_fetch_fill_window(f);
		if (f->unkept)
			return false;
		req = dws_fetch_next_answer(f);
		if (req == NULL)
			break;
		if (req->status != 200 && dws_fetch_stop_unreachable(f, req))
			return false;
		done = lappend(done, req);
	}
	f->ready = done;
	return true;
}

/*
 * Abandons the scan's calls: those still running or waiting are stopped
 * (their batch goes with its context) and nothing more is sent.  With
 * offline, the scan starts again from the answers kept for its calls.
 */
static void
abandon_calls(DwsFetch *f, bool offline)
{
	if (f->netcxt != NULL)
		MemoryContextDelete(f->netcxt);
	f->netcxt = NULL;
	f->batch = NULL;
	f->ready = NIL;
	f->lists = NULL;
	f->nlists = 0;
	f->list_i = 0;
	f->item_i = 0;
	f->proj_cell = NULL;
	f->id_cell = NULL;
	f->lists_left = 0;
	f->started = false;		/* offline, dws_fetch_start sends them anew */
	f->offline = offline;
}

/* The foreign server's name, for the WARNINGs. */
static char *
server_name(DwsFetch *f)
{
	ForeignServer *server = GetForeignServerExtended(dws_conn_serverid(f->conn),
													 FSV_MISSING_OK);

	return server ? server->servername : "?";
}

/*
 * Abandons the scan's calls and makes it return no rows, with the WARNING
 * that names the server, its endpoint, the call that failed and why (in
 * f->cause, from dws_fetch_stop_unreachable).
 */
static void
skip_scan(DwsFetch *f)
{
	char	   *endpoint;

	dws_msg_prepare();
	endpoint = dws_answer_clean(dws_conn_options(f->conn)->endpoint, 300);
	abandon_calls(f, false);
	f->skipped = true;
	ereport(WARNING,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("foreign server \"%s\" is unreachable: its rows are left out",
					server_name(f)),
			 errdetail("Endpoint %s; %s%s.", endpoint, f->cause,
					   f->mode == DWS_UNREACHABLE_STALE ?
					   "; and a call the scan needs has no kept answer" : ""),
			 errhint(f->mode == DWS_UNREACHABLE_STALE ?
					 "The server's when_unreachable is 'stale': a scan is served from kept answers only when every call it needs has one." :
					 "The server's when_unreachable is 'skip'; set it to 'error' to make this an error.")));
}

/*
 * The decision of a scan on a server whose when_unreachable is not 'error',
 * taken before its first record: every call made (collect_all); when one
 * could not reach the API, 'stale' serves the kept answers of every call
 * the scan needs, and otherwise (or when one has none) the scan returns no
 * rows.  Either way a WARNING names the server, its endpoint, the call that
 * failed and why.
 */
void
dws_fetch_decide_reachability(DwsFetch *f)
{
	const DwsServerOptions *opts = dws_conn_options(f->conn);
	char	   *endpoint;
	char	   *age;

	if (collect_all(f))
		return;
	dws_msg_prepare();
	endpoint = dws_answer_clean(opts->endpoint, 300);
	if (f->mode == DWS_UNREACHABLE_STALE && !f->offline)
	{
		abandon_calls(f, true);
		if (collect_all(f))
		{
			TimestampTz now = GetCurrentTimestamp();

			if (f->oldest == 0 || f->oldest > now)
				f->oldest = now;
			/* whole seconds: a figure that reads the same in every style */
			age = psprintf(INT64_FORMAT " second%s",
						   (int64) ((now - f->oldest) / USECS_PER_SEC),
						   (now - f->oldest) / USECS_PER_SEC == 1 ? "" : "s");
			ereport(WARNING,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("foreign server \"%s\" is unreachable: its rows are served from kept answers",
							server_name(f)),
					 errdetail("The oldest answer served is %s old (received %s). Endpoint %s; %s.",
							   age,
							   timestamptz_to_str(f->oldest),
							   endpoint, f->cause),
					 errhint("The server's when_unreachable is 'stale'; column fetched_at tells each row's age.")));
			return;
		}
	}
	skip_scan(f);
}

/*
 * For events.c: a page that failed before the scan returned any row.  true
 * when the server's when_unreachable makes the failure a skipped scan (the
 * WARNING given, every call abandoned: the caller sends no more); false
 * when it is to be reported as an ERROR as usual.  Pages of events are
 * never kept, so 'stale' has nothing to serve them from and skips too.
 */
bool
dws_fetch_skip_unreachable(DwsFetch *f, DwsRequest *req)
{
	if (!dws_fetch_stop_unreachable(f, req))
		return false;
	skip_scan(f);
	return true;
}
