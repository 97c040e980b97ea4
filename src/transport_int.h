/*-------------------------------------------------------------------------
 * transport_int.h
 *	  What transport.c (handles, transfers, retries) and batch.c (batches
 *	  and the wait that drives them) share; nothing else includes it.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_TRANSPORT_INT_H
#define DWSDR_TRANSPORT_INT_H

#include "lib/ilist.h"

#include "transport.h"
#include "waitset.h"

/* The transfers of one connection: a multi handle and its idle handles. */
struct DwsTransport
{
	MemoryContext cxt;			/* the caller's: this struct, the lists */
	DwsTransportSettings settings;
	CURLM	   *multi;
	List	   *idle;			/* CURL * handles ready for reuse */
	int			in_flight;		/* transfers added to multi */
	DwsSockets	socks;			/* the sockets curl wants watched */
};

/*
 * One attempt of a request.  The body goes to the request's sink as it
 * arrives; the transfer only counts it.
 */
typedef struct DwsTransfer
{
	CURL	   *easy;
	struct curl_slist *headers;
	size_t		seen;			/* body bytes received */
	size_t		limit;			/* max_response_bytes */
	size_t		expected;		/* Content-Length, or 0 */
	bool		too_large;
	bool		sink_failed;
	char		errbuf[CURL_ERROR_SIZE];
	DwsHttpRequest *req;
} DwsTransfer;

struct DwsBatch
{
	MemoryContext cxt;			/* owns the batch and its lists */
	DwsTransport *t;
	DwsBatchHooks hooks;
	List	   *queued;			/* DwsHttpRequest * waiting to start */
	List	   *running;		/* DwsTransfer * in the multi handle */
	List	   *done;			/* DwsHttpRequest * finished for good */
	MemoryContextCallback cb;
	dlist_node	node;			/* in ActiveBatches */
	bool		done_new;		/* done grew since advance last ran */
	void		(*advance) (void *arg); /* dws_transport_set_advance */
	void	   *advance_arg;
	/* shared.c: dwsdr_activity() */
	int			act_total;		/* requests added */
	int			act_done;		/* ... finished for good */
	bool		budget_wait;	/* the next call waits for its budget */
};


extern void dws_transfer_start(DwsBatch *batch, DwsHttpRequest *req);
extern void dws_transfer_release(DwsTransport *t, DwsTransfer *x,
								 bool reuse_handle);
extern void dws_transfer_collect(DwsTransport *t);

#endif							/* DWSDR_TRANSPORT_INT_H */
