/*-------------------------------------------------------------------------
 * transport.h
 *	  HTTP calls on libcurl's multi interface: a pool of handles per
 *	  connection, concurrent transfers, retries with backoff, a cap on body
 *	  size, and one wait on the latch, postmaster death and every socket.
 *
 * It knows nothing of what it calls: a request brings its URL, its body
 * goes to the caller's sink, and what depends on the API (the headers of
 * each attempt, the budget, the counters) comes in as hooks.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_TRANSPORT_H
#define DWSDR_TRANSPORT_H

#include "datatype/timestamp.h"

#include <curl/curl.h>

/* The settings of a connection's transfers. */
typedef struct DwsTransportSettings
{
	int			max_concurrency;	/* transfers and connections at once */
	int			connect_timeout_ms;
	int			timeout_ms;		/* of one attempt */
	int			max_retries;
	int			max_retry_time_ms;
	int64		max_response_bytes;
	const char *ca_file;		/* the only trust store, or NULL */
	const char *proxy;			/* or NULL: none, whatever the environment */
} DwsTransportSettings;

/*
 * Where the body of a call goes: the caller's, so that the transport knows
 * nothing of what bodies hold.  reset runs at the start of every attempt (a
 * retry starts from nothing, whatever the last attempt sent); write gets
 * each piece received, with the length the answer announced
 * (Content-Length) or 0, and returns false to stop the transfer (no
 * memory).  Both run inside libcurl: neither may throw.
 */
typedef struct DwsSink
{
	void		(*reset) (void *arg);
	bool		(*write) (void *arg, const char *data, size_t len,
						  size_t expected);
	void	   *arg;
} DwsSink;

/*
 * The transport's fields of a request.  A caller's request struct begins
 * with them (DWS_HTTP_REQUEST_FIELDS), so the transport reads it as a
 * DwsHttpRequest and the caller reads the outcome by the same names.
 */
#define DWS_HTTP_REQUEST_FIELDS \
	/* set by the caller */ \
	DwsSink		sink;			/* receives the body */ \
	char	   *url;			/* the whole URL, escaped; palloc'd, freed \
								 * when the request is done */ \
	const char *what;			/* what it is called in messages */ \
	/* the outcome of the last attempt */ \
	long		status;			/* HTTP status; 0 when no answer */ \
	int			curl_code;		/* CURLcode */ \
	char		curl_error[256]; \
	bool		too_large;		/* body exceeded max_response_bytes */ \
	int64		body_limit;		/* max_response_bytes of the attempt: set \
								 * before its first write */ \
	bool		sink_failed;	/* the sink refused bytes (no memory) */ \
	char		request_id[80]; /* X-Request-Id */ \
	char		location[256];	/* Location of a redirect, not followed */ \
	int			attempts; \
	/* private to transport.c and batch.c */ \
	struct DwsTransfer *xfer; \
	TimestampTz not_before; \
	TimestampTz first_start; \
	struct DwsBatch *batch;

typedef struct DwsHttpRequest
{
	DWS_HTTP_REQUEST_FIELDS
} DwsHttpRequest;

/* What a batch asks of its owner; arg is DwsBatchHooks.arg. */
typedef struct DwsBatchHooks
{
	/* before queued calls start, if they may: may throw */
	void		(*check) (void *arg);
	/* the header list of an attempt, made afresh each time (a signature
	 * holds the time of its attempt); the transport frees it, wiped */
	struct curl_slist *(*headers) (void *arg, DwsHttpRequest *req);
	/* 0: a call may start now, else the milliseconds until one may */
	long		(*budget) (void *arg);
	/* an attempt started; running: the batch's transfers now */
	void		(*started) (void *arg, DwsHttpRequest *req, int running);
	/* an attempt ended, with the bytes it received; the status and
	 * Retry-After (seconds, 0 for none) of its answer */
	void		(*ended) (void *arg, DwsHttpRequest *req, size_t bytes,
						  long retry_after_s);
	/* whether the handle of an attempt that ended well is kept */
	bool		(*reuse) (void *arg);
	/* time spent in one wait of this batch */
	void		(*waited) (void *arg, double ms);
	void	   *arg;
} DwsBatchHooks;

typedef struct DwsTransport DwsTransport;
typedef struct DwsBatch DwsBatch;

extern void dws_transport_init(void);
extern DwsTransport *dws_transport_create(MemoryContext cxt,
										  const DwsTransportSettings *settings);
extern void dws_transport_destroy(DwsTransport *t);
extern int	dws_transport_idle(DwsTransport *t);
extern int	dws_transport_in_flight(DwsTransport *t);

extern DwsBatch *dws_transport_batch(DwsTransport *t,
									 const DwsBatchHooks *hooks);
extern void dws_transport_add(DwsBatch *batch, DwsHttpRequest *req);
extern DwsHttpRequest *dws_transport_next(DwsBatch *batch);
extern DwsHttpRequest *dws_transport_peek(DwsBatch *batch);
extern DwsHttpRequest *dws_transport_take(DwsBatch *batch);
extern int	dws_transport_outstanding(DwsBatch *batch);
extern int	dws_transport_held(DwsBatch *batch);
extern void dws_transport_set_advance(DwsBatch *batch,
									  void (*advance) (void *arg), void *arg);
extern void *dws_transport_owner(DwsBatch *batch);

#endif							/* DWSDR_TRANSPORT_H */
