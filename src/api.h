/*-------------------------------------------------------------------------
 * api.h
 *	  The DWS side of a call: its path and query, its headers (project,
 *	  token or signature), its name, and the batch glue that counts it and
 *	  asks the budget.  The transport (transport.h) moves the bytes.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_API_H
#define DWSDR_API_H

#include "dwsdr.h"

#include "connection.h"
#include "stats.h"
#include "transport.h"

/*
 * One call.  It begins with the transport's fields (the outcome: status,
 * request_id, ...), so the transport reads it as a DwsHttpRequest.
 */
typedef struct DwsRequest
{
	DWS_HTTP_REQUEST_FIELDS
	/* set by the caller */
	DwsCallKind kind;
	char	   *project_id;
	char	   *dr_id;			/* detail/progress: the task; list: NULL */
	char	   *list_filter_id; /* list: the `id` query filter, or NULL */
	int64		page;			/* events: the page index (offset) */
	int			page_size;		/* events: the page size (limit) */
	void	   *arg;			/* caller's */

	/* the body, kept by the caller's sink (never read here) */
	char	   *body;			/* palloc'd, NUL-terminated */
	size_t		body_len;
} DwsRequest;

extern void dws_api_init(void);
extern const char *dws_call_name(DwsCallKind kind);

extern DwsBatch *dws_batch_create(DwsConn *conn, DwsStats *stats);
extern void dws_batch_add(DwsBatch *batch, DwsRequest *req);

/* The transport's batch calls (batch.c), for a DwsRequest */
static inline DwsRequest *
dws_batch_next(DwsBatch *batch)
{
	return (DwsRequest *) dws_transport_next(batch);
}

static inline DwsRequest *
dws_batch_peek(DwsBatch *batch)
{
	return (DwsRequest *) dws_transport_peek(batch);
}

static inline DwsRequest *
dws_batch_take(DwsBatch *batch)
{
	return (DwsRequest *) dws_transport_take(batch);
}

static inline int
dws_batch_outstanding(DwsBatch *batch)
{
	return dws_transport_outstanding(batch);
}

static inline int
dws_batch_held(DwsBatch *batch)
{
	return dws_transport_held(batch);
}

static inline void
dws_batch_set_advance(DwsBatch *batch, void (*advance) (void *arg), void *arg)
{
	dws_transport_set_advance(batch, advance, arg);
}

#endif							/* DWSDR_API_H */
