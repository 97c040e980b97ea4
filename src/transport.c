/*-------------------------------------------------------------------------
 * transport.c
 *	  libcurl's multi interface: a multi handle per connection (its
 *	  connection cache is what keeps connections and TLS sessions alive
 *	  across calls and queries), concurrent calls, retries with backoff,
 *	  timeouts, a cap on body size, and a wait loop on the latch,
 *	  postmaster death and curl's sockets (waitset.c).  Bodies go to the
 *	  sink each request brings; URLs and headers come from the caller: this
 *	  file moves bytes and knows nothing of what they hold.
 *
 * The batches of calls and the wait that drives them are in batch.c.
 * Nothing here calls ereport from inside a curl callback.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "activity.h"
#include "transport_int.h"
#include "wipe.h"

/* First retry backoff and its ceiling. */
#define DWS_BACKOFF_BASE_MS 200
#define DWS_BACKOFF_MAX_MS 10000

/* Called once from _PG_init: curl's global state. */
void
dws_transport_init(void)
{
	if (curl_global_init(CURL_GLOBAL_ALL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not initialize libcurl")));
}

/*
 * A multi handle with the settings given, in cxt.  The caller frees it
 * with dws_transport_destroy before cxt goes.
 */
DwsTransport *
dws_transport_create(MemoryContext cxt, const DwsTransportSettings *settings)
{
	DwsTransport *t = MemoryContextAllocZero(cxt, sizeof(DwsTransport));
	long		maxconn = (long) settings->max_concurrency;

	t->cxt = cxt;
	t->settings = *settings;
	t->settings.ca_file = settings->ca_file ?
		MemoryContextStrdup(cxt, settings->ca_file) : NULL;
	t->settings.proxy = settings->proxy ?
		MemoryContextStrdup(cxt, settings->proxy) : NULL;
	t->socks.cxt = cxt;
	t->socks.owner = t;
	t->multi = curl_multi_init();
	if (t->multi == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("out of memory")));
	curl_multi_setopt(t->multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxconn);
	curl_multi_setopt(t->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxconn);
	curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, maxconn);
	curl_multi_setopt(t->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, dws_socket_cb);
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, &t->socks);
	return t;
}

/* Closes the handles of t (and so its sockets); t's memory is the caller's. */
void
dws_transport_destroy(DwsTransport *t)
{
	ListCell   *lc;

	foreach(lc, t->idle)
		curl_easy_cleanup((CURL *) lfirst(lc));
	t->idle = NIL;
	if (t->multi)
		curl_multi_cleanup(t->multi);	/* may call dws_socket_cb */
	t->multi = NULL;
	dws_sockets_free(&t->socks);
}

/* Handles kept for reuse (dwsdr_get_connections()). */
int
dws_transport_idle(DwsTransport *t)
{
	return list_length(t->idle);
}

/* Transfers running. */
int
dws_transport_in_flight(DwsTransport *t)
{
	return t->in_flight;
}

/*
 * Body bytes arrive here and go to the request's sink.  Past
 * max_response_bytes the transfer is aborted, so a hostile body never grows
 * memory.  Runs inside libcurl: nothing here throws (the sink promises the
 * same).
 */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	DwsTransfer *x = (DwsTransfer *) arg;
	DwsSink    *sink = &x->req->sink;
	size_t		n = size * nmemb;

	if (x->seen + n > x->limit)
	{
		x->too_large = true;
		return 0;				/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (x->seen == 0)
	{
		curl_off_t	clen = -1;

		if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
							  &clen) == CURLE_OK &&
			clen > 0 && (size_t) clen <= x->limit)
			x->expected = (size_t) clen;
	}
	x->seen += n;
	if (!sink->write(sink->arg, data, n, x->expected))
	{
		x->sink_failed = true;
		return 0;
	}
	return n;
}

/*
 * Copies the value of a header of the last response (libcurl's header
 * API; the last one when repeated, as a reader of headers in order would
 * keep) into dst, control characters made '?'; empty when absent.
 */
static void
copy_header(CURL *easy, const char *name, char *dst, size_t dstlen)
{
	struct curl_header *h;
	size_t		i;

	dst[0] = '\0';
	if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return;
	if (h->amount > 1 &&
		curl_easy_header(easy, name, h->amount - 1, CURLH_HEADER, -1,
						 &h) != CURLHE_OK)
		return;
	strlcpy(dst, h->value, dstlen);
	for (i = 0; dst[i]; i++)
		if ((unsigned char) dst[i] < 0x20)
			dst[i] = '?';
}

/* Frees what a transfer holds outside PostgreSQL's memory. */
void
dws_transfer_release(DwsTransport *t, DwsTransfer *x, bool reuse_handle)
{
	if (x->easy)
	{
		curl_multi_remove_handle(t->multi, x->easy);
		t->in_flight--;
		dws_activity_count(0, 0, -1);	/* shared.c */
		if (reuse_handle && t->multi)
		{
			MemoryContext old = MemoryContextSwitchTo(t->cxt);

			/* no pointer into the freed transfer stays in a pooled handle */
			curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, NULL);
			curl_easy_setopt(x->easy, CURLOPT_PRIVATE, NULL);
			curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, NULL);
			curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, NULL);
			t->idle = lappend(t->idle, x->easy);
			MemoryContextSwitchTo(old);
		}
		else
			curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	if (x->headers)
		dws_slist_free_wiped(x->headers);
	x->headers = NULL;
}

/*
 * The options that are the same for every call of a connection, set once
 * per handle: a handle goes back to the connection's pool only after a
 * call that ended well, so it keeps them.
 */
static void
easy_static_options(DwsTransport *t, CURL *easy)
{
	DwsTransportSettings *o = &t->settings;

	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) o->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) o->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
					 (curl_off_t) o->max_response_bytes);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
	/* only the proxy option counts: no http_proxy, no no_proxy */
	curl_easy_setopt(easy, CURLOPT_PROXY, o->proxy ? o->proxy : "");
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
	/*
	 * ca_file is the only trust store when set: libcurl's compiled-in CA
	 * path (Debian's: /etc/ssl/certs) would otherwise still be searched
	 * beside it, so a certificate the system store trusts would pass.
	 * CURLOPT_CAPATH NULL turns that path off; no CA blob and no native CA
	 * store are ever set.  With no CA path, libcurl 7.87 and later would
	 * keep the store built from the file for a day (CA_CACHE_TIMEOUT):
	 * 0 keeps reading the file at each new TLS connection, as before, so
	 * a replaced ca_file counts from the next one.
	 */
	if (o->ca_file)
	{
		curl_easy_setopt(easy, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
#if LIBCURL_VERSION_NUM >= 0x075700
		curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
	}
}

/* Starts one attempt of a request: a handle, signed headers, into multi. */
void
dws_transfer_start(DwsBatch *batch, DwsHttpRequest *req)
{
	DwsTransport *t = batch->t;
	DwsTransportSettings *o = &t->settings;
	DwsTransfer *x;
	CURL	   *easy;

	x = MemoryContextAllocZero(batch->cxt, sizeof(DwsTransfer));
	x->req = req;
	x->limit = (size_t) o->max_response_bytes;
	req->xfer = x;

	/* from here on, the batch's cleanup frees x's resources on ERROR */
	batch->running = lappend(batch->running, x);

	if (t->idle != NIL)
	{
		/* a handle of this connection that ended well keeps its options */
		easy = (CURL *) llast(t->idle);
		t->idle = list_delete_last(t->idle);
	}
	else
	{
		easy = curl_easy_init();
		if (easy == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
							errmsg("out of memory")));
		easy_static_options(t, easy);
	}
	x->easy = easy;
	t->in_flight++;				/* matched in transfer_release */
	dws_activity_count(0, 0, 1);	/* shared.c */
	x->headers = batch->hooks.headers(batch->hooks.arg, req);

	/* what changes with each call */
	curl_easy_setopt(easy, CURLOPT_URL, req->url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, x->errbuf);

	/* an attempt starts from nothing: no outcome, no body of an earlier one */
	req->status = 0;
	req->curl_code = 0;
	req->curl_error[0] = '\0';
	req->too_large = false;
	req->sink_failed = false;
	req->body_limit = (int64) x->limit;	/* the sink's bound on the body */
	req->request_id[0] = '\0';
	req->location[0] = '\0';
	req->sink.reset(req->sink.arg);

	if (req->attempts == 0)
		req->first_start = GetCurrentTimestamp();
	req->attempts++;
	batch->hooks.started(batch->hooks.arg, req, list_length(batch->running));

	if (curl_multi_add_handle(t->multi, easy) != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not start a %s call", req->what)));
}

static bool
is_retryable(DwsHttpRequest *req)
{
	if (req->too_large)
		return false;
	if (req->status == 0)
	{
		switch (req->curl_code)
		{
			case CURLE_COULDNT_CONNECT:
			case CURLE_OPERATION_TIMEDOUT:
			case CURLE_RECV_ERROR:
			case CURLE_SEND_ERROR:
			case CURLE_GOT_NOTHING:
			case CURLE_PARTIAL_FILE:
			case CURLE_SSL_CONNECT_ERROR:
			case CURLE_COULDNT_RESOLVE_HOST:
			case CURLE_HTTP2:
			case CURLE_HTTP2_STREAM:
				return true;
			default:
				return false;
		}
	}
	return req->status == 429 || req->status == 500 || req->status == 502 ||
		req->status == 503 || req->status == 504;
}

/*
 * Delay before the next attempt: Retry-After when the server gave one, else
 * exponential backoff with jitter.  retry_after_s is libcurl's reading of
 * the header (CURLINFO_RETRY_AFTER: seconds, or an HTTP date made seconds
 * from now); libcurl gives 0 for "now", for a date past and for what it
 * cannot read alike, so 0 takes the backoff: never a burst of retries.
 */
static long
retry_delay_ms(DwsHttpRequest *req, curl_off_t retry_after_s)
{
	long		backoff;

	if (retry_after_s > 0)
		/* a day: past any limit */
		return (long) Min(retry_after_s, (curl_off_t) 86400) * 1000;
	backoff = DWS_BACKOFF_BASE_MS << Min(req->attempts - 1, 10);
	backoff = Min(backoff, DWS_BACKOFF_MAX_MS);
	/* "equal jitter": half fixed, half random */
	return backoff / 2 +
		(long) pg_prng_uint64_range(&pg_global_prng_state, 0, backoff / 2);
}

/*
 * A transfer ended: record its outcome, then retry or hand it back.  batch
 * is the transfer's own, not necessarily the one whose wait collected it
 * (two scans can share a connection): its lists grow in its own context.
 */
static void
transfer_finish(DwsBatch *batch, DwsTransfer *x, CURLcode code)
{
	DwsTransport *t = batch->t;
	DwsHttpRequest *req = x->req;
	long		status = 0;
	curl_off_t	retry_after_s = 0;
	MemoryContext old = MemoryContextSwitchTo(batch->cxt);

	if (code == CURLE_OK)
	{
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		/* the headers of the last response of this transfer */
		copy_header(x->easy, "X-Request-Id", req->request_id,
					sizeof(req->request_id));
		copy_header(x->easy, "Location", req->location, sizeof(req->location));
		if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER,
							  &retry_after_s) != CURLE_OK)
			retry_after_s = 0;
	}
	req->status = status;
	req->curl_code = (int) code;
	req->too_large = x->too_large || code == CURLE_FILESIZE_EXCEEDED;
	req->sink_failed = x->sink_failed;
	req->body_limit = (int64) x->limit;
	strlcpy(req->curl_error, x->errbuf[0] ? x->errbuf : curl_easy_strerror(code),
			sizeof(req->curl_error));
	batch->hooks.ended(batch->hooks.arg, req, x->seen, (long) retry_after_s);

	batch->running = list_delete_ptr(batch->running, x);
	dws_transfer_release(t, x, code == CURLE_OK &&
					 batch->hooks.reuse(batch->hooks.arg));
	pfree(x);
	req->xfer = NULL;

	if (is_retryable(req) && req->attempts <= t->settings.max_retries)
	{
		long		delay = retry_delay_ms(req, retry_after_s);
		long		spent = (long) ((GetCurrentTimestamp() - req->first_start) / 1000);

		if (spent + delay <= t->settings.max_retry_time_ms)
		{
			req->not_before = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														  delay);
			batch->queued = lappend(batch->queued, req);
			MemoryContextSwitchTo(old);
			return;
		}
	}
	if (req->url)
		pfree(req->url);
	req->url = NULL;
	batch->done = lappend(batch->done, req);
	batch->done_new = true;
	batch->act_done++;
	dws_activity_count(0, 1, 0);	/* shared.c */
	MemoryContextSwitchTo(old);
}

/* Hands every finished transfer of the multi handle to its own batch. */
void
dws_transfer_collect(DwsTransport *t)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(t->multi, &left)) != NULL)
	{
		DwsTransfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &x);
		if (x)
			transfer_finish(x->req->batch, x, msg->data.result);
	}
}
