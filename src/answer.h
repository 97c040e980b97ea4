/*-------------------------------------------------------------------------
 * answer.h
 *	  One call's answer: its body (the sink) and what it means (answer.c).
 *-------------------------------------------------------------------------
 */
#ifndef DWS_ANSWER_H
#define DWS_ANSWER_H

#include "dwsdr.h"
#include "api.h"
#include "stats.h"

/*
 * The sink of one call: its body as it arrives, in req->body.  The state of
 * an attempt is this and the request's results, and both start afresh with
 * each attempt (the sink's reset).
 */
typedef struct DwsAnswer
{
	DwsRequest *req;
	MemoryContext cxt;			/* holds req->body */
	size_t		cap;			/* bytes allocated at req->body */
	bool		cached;			/* answered from the cache */
	TimestampTz fetched;		/* when the answer was received (a cached
								 * one: its original time) */
	TimestampTz named_at;		/* when the list naming the task was, or 0 */
} DwsAnswer;

#define dws_answer_of(req) ((DwsAnswer *) (req)->sink.arg)

extern DwsRequest *dws_answer_request(DwsCallKind kind, char *project_id);
extern void dws_answer_free(DwsRequest *req);

extern char *dws_answer_clean(const char *s, size_t maxlen);
extern char *dws_answer_label(DwsRequest *req);
extern bool dws_answer_missing(DwsRequest *req, json_t *root);
extern bool dws_answer_unreachable(DwsRequest *req);

/* scan and server: the figures a failure is counted in */
extern void dws_answer_count_error(DwsStats *scan, DwsStats *server,
								   DwsRequest *req, bool bad_body);
extern void dws_answer_error(DwsStats *scan, DwsStats *server,
							 DwsRequest *req, json_t *root,
							 const char *problem);
extern void dws_answer_check_sink(DwsStats *scan, DwsStats *server,
								  DwsRequest *req);
extern json_t *dws_answer_parse(DwsStats *scan, DwsStats *server,
								DwsRequest *req, bool must_parse);

#endif							/* DWS_ANSWER_H */
