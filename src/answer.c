/*-------------------------------------------------------------------------
 * answer.c
 *	  One call's answer: its body as it arrives (the sink), and what it
 *	  means: a missing task, an API that cannot be reached, or an error,
 *	  counted and reported with its SQLSTATE.  The one place where an API
 *	  failure becomes an ereport (fetch.c and events.c call it).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "answer.h"

#include "utils/memutils.h"

#include "msgtext.h"
#include "record.h"

/*
 * Text of the API (or of a request made from it) fit for a message: valid
 * in the database encoding, no control characters, at most maxlen bytes
 * cut at a character boundary (msgtext.c).
 */
char *
dws_answer_clean(const char *s, size_t maxlen)
{
	return dws_msg_text(s, s ? strlen(s) : 0, maxlen);
}

/* The call, as a message names it. */
char *
dws_answer_label(DwsRequest *req)
{
	if (req->kind == DWS_CALL_LIST)
		return psprintf("list call for project \"%s\"", req->project_id);
	if (req->kind == DWS_CALL_EVENTS)
		return psprintf("events call for project \"%s\" (page " INT64_FORMAT ")",
						req->project_id, req->page);
	return psprintf("%s call for DR task \"%s\"",
					dws_call_name(req->kind), req->dr_id);
}

/* Counts a failed call by kind, in the scan's and the server's figures. */
void
dws_answer_count_error(DwsStats *scan, DwsStats *server, DwsRequest *req,
					   bool bad_body)
{
	DwsStats   *all[2] = {scan, server};
	int			i;

	for (i = 0; i < 2; i++)
	{
		DwsStats   *s = all[i];

		s->errors++;
		if (req->too_large)
			s->err_too_large++;
		else if (req->status == 0)
			s->err_network++;
		else if (bad_body)
			s->err_server++;
		else if (req->status == 401 || req->status == 403)
			s->err_auth++;
		else if (req->status == 429)
			s->err_throttled++;
		else if (req->status >= 500)
			s->err_server++;
		else
			s->err_client++;
	}
}

/*
 * The one definition of "the task does not exist", an answer that is no
 * row rather than an error: a per-task call answered with the DWS error
 * DWS.10101, as the API does with HTTP 400 (and, should it ever, with 404).
 * Nothing else is: the API publishes no other code for a missing task, a
 * 404 without a DWS error body is another server's answer (a wrong
 * endpoint, or an ordinary web server), and the list call has no "missing"
 * answer at all (a project without tasks is an empty list).  root is the
 * parsed error body, or NULL.
 */
bool
dws_answer_missing(DwsRequest *req, json_t *root)
{
	const char *code = NULL;

	if (req->kind == DWS_CALL_LIST ||
		(req->status != 400 && req->status != 404))
		return false;
	dws_error_fields(root, &code, NULL, NULL);
	return code != NULL && strcmp(code, "DWS.10101") == 0;
}

/*
 * Whether a 404 that is not "missing" should say the endpoint is wrong:
 * always for the list call (the API has no 404 answer for it), and for a
 * per-task call unless the body is a DWS error (DWS.*), which only the API
 * itself sends.
 */
static bool
foreign_404(DwsRequest *req, const char *code)
{
	return req->status == 404 &&
		(req->kind == DWS_CALL_LIST || code == NULL ||
		 strncmp(code, "DWS.", 4) != 0);
}

/*
 * Reports a failed call.  root is the parsed body when there is one;
 * problem says what was wrong with a 200 answer (NULL for an HTTP error).
 */
void
dws_answer_error(DwsStats *scan, DwsStats *server, DwsRequest *req,
				 json_t *root, const char *problem)
{
	const char *code = NULL,
			   *msg = NULL,
			   *body_rid = NULL;
	const char *rid;
	char	   *label = dws_answer_label(req);
	int			sqlstate;

	dws_answer_count_error(scan, server, req, problem != NULL);
	dws_error_fields(root, &code, &msg, &body_rid);
	rid = req->request_id[0] ? req->request_id : body_rid;

	/*
	 * Every piece that comes from the API (or from an id of the query) is
	 * cleaned and bounded, so the message is too.
	 */
	dws_msg_prepare();
	label = dws_answer_clean(label, 400);
	code = code ? dws_answer_clean(code, 100) : NULL;
	msg = msg ? dws_answer_clean(msg, 300) : NULL;
	rid = rid && rid[0] ? dws_answer_clean(rid, 100) : NULL;
	problem = problem ? dws_answer_clean(problem, 300) : NULL;

	if (req->too_large)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s failed: the answer is too large", label),
				 errdetail("The body exceeded max_response_bytes (" INT64_FORMAT " bytes).",
						   req->body_limit),
				 errhint("Raise the server option max_response_bytes if the answer is expected to be this large.")));

	if (req->status == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("%s failed: no answer from the DWS API", label),
				 errdetail("%s (after %d attempt%s).", dws_answer_clean(req->curl_error, 300),
						   req->attempts, req->attempts == 1 ? "" : "s"),
				 errhint("Check the server's endpoint (or region) and the network; timeout_ms and connect_timeout_ms bound each attempt, max_retries the attempts.")));

	if (problem == NULL)
	{
		switch (req->status)
		{
			case 401:
				sqlstate = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
				break;
			case 403:
				sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
				break;
			case 429:
			case 500:
			case 502:
			case 503:
			case 504:
				sqlstate = ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
				break;
			default:
				sqlstate = ERRCODE_FDW_ERROR;
				break;
		}
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s failed with HTTP status %ld", label, req->status),
				 errdetail("HTTP status %ld, error_code %s, error_msg \"%s\", request id %s%s.",
						   req->status, code ? code : "(none)",
						   msg ? msg :
						   (root == NULL && req->body_len > 0 ?
							dws_msg_text(req->body, req->body_len, 120) : ""),
						   rid ? rid : "(none)",
						   req->attempts > 1 ?
						   psprintf(", after %d attempts", req->attempts) : ""),
				 req->status == 401 ?
				 errhint("Check access_key and secret_key (with security_token for temporary credentials), or auth_token, in the user mapping; signed requests are also refused when this server's clock is more than 15 minutes off.") :
				 req->status == 403 ?
				 errhint("The credentials of the user mapping are not allowed to read DWS DR tasks in project \"%s\".",
						 dws_answer_clean(req->project_id, 100)) :
				 req->status == 429 ?
				 errhint("The API is throttling requests; lower max_concurrency or raise max_retries.") :
				 (req->status == 404 && code && strncmp(code, "APIGW.", 6) == 0) ?
				 errhint("The API gateway does not know this path: check the endpoint option of the server (host and path).") :
				 foreign_404(req, code) ?
				 errhint("The endpoint does not look like the DWS API: check the endpoint option of the server (host and path).") :
				 (req->status >= 300 && req->status < 400 && req->location[0]) ?
				 errhint("The API redirected to \"%s\"; redirects are not followed: set the server's endpoint to the final URL.",
						 dws_answer_clean(req->location, 200)) : 0));
	}

	ereport(ERROR,
			(errcode(code ? ERRCODE_FDW_ERROR : ERRCODE_FDW_REPLY_HANDLE),
			 errmsg("%s failed: %s", label, problem),
			 errdetail("HTTP status %ld, error_code %s, error_msg \"%s\", request id %s; body begins \"%s\".",
					   req->status, code ? code : "(none)",
					   msg ? msg : "",
					   rid ? rid : "(none)",
					   req->body ? dws_msg_text(req->body, req->body_len, 120) : "")));
}

/*
 * Whether a failed call means the API could not be reached, for
 * when_unreachable: no answer at all (connection, DNS, TLS, a timeout, a
 * connection cut), HTTP 429 or 5xx, after the retries.  Everything else (a
 * refused credential, an unknown path, a body that is not the API's, an
 * answer too large) says the configuration is wrong, and stays an ERROR.
 */
bool
dws_answer_unreachable(DwsRequest *req)
{
	if (req->too_large || req->sink_failed)
		return false;
	return req->status == 0 || req->status == 429 ||
		(req->status >= 500 && req->status <= 599);
}

/*
 * A call whose body could not be held: the sink ran out of memory.  The
 * transfer was stopped inside libcurl without an ERROR; this is the ERROR.
 */
void
dws_answer_check_sink(DwsStats *scan, DwsStats *server, DwsRequest *req)
{
	if (!req->sink_failed)
		return;
	dws_answer_count_error(scan, server, req, false);
	dws_msg_prepare();
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("%s failed: out of memory", dws_answer_clean(dws_answer_label(req), 400)),
			 errdetail("The answer could not be held in memory after %zu bytes.",
					   req->body_len)));
}

/* Parses a body; an unreadable one is an error naming the call. */
json_t *
dws_answer_parse(DwsStats *scan, DwsStats *server, DwsRequest *req,
				 bool must_parse)
{
	char		err[200];
	json_t	   *root;

	root = dws_parse_body(req->body ? req->body : "", req->body_len,
						  err, sizeof(err));
	if (root == NULL && must_parse)
		dws_answer_error(scan, server, req, NULL,
						 psprintf("the answer is not valid JSON (%s)", err));
	return root;
}

/* ---- bodies ---- */

/* A new attempt: the body of an earlier one is forgotten (buffer kept). */
static void
answer_reset(void *arg)
{
	DwsAnswer  *a = (DwsAnswer *) arg;

	a->req->body_len = 0;
	if (a->req->body)
		a->req->body[0] = '\0';
}

/*
 * Appends received bytes to the body, growing it (to the announced length
 * at once when there is one).  This is the one growable buffer that may not
 * throw: it runs inside libcurl, where StringInfo's ERROR on a failed
 * allocation must not start.  false when memory ran out.
 */
static bool
answer_write(void *arg, const char *data, size_t n, size_t expected)
{
	DwsAnswer  *a = (DwsAnswer *) arg;
	DwsRequest *req = a->req;
	size_t		need = req->body_len + n + 1;

	if (need > a->cap)
	{
		size_t		newcap = Max(need, a->cap * 2);
		char	   *nb;

		if (a->cap == 0 && expected >= need)
			newcap = expected + 1;
		newcap = Max(newcap, 1024);
		/*
		 * The transport refuses a piece that would take the body past body_limit,
		 * so doubling never needs to go beyond it: without this, a body
		 * sent without Content-Length could take twice the limit.
		 */
		if (req->body_limit > 0 && newcap > (size_t) req->body_limit + 1)
			newcap = Max(need, (size_t) req->body_limit + 1);
		if (!AllocHugeSizeIsValid(newcap))
			return false;
		nb = MemoryContextAllocExtended(a->cxt, newcap,
										MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
		if (nb == NULL)
			return false;
		if (req->body_len)
			memcpy(nb, req->body, req->body_len);
		if (req->body)
			pfree(req->body);
		req->body = nb;
		a->cap = newcap;
	}
	memcpy(req->body + req->body_len, data, n);
	req->body_len += n;
	req->body[req->body_len] = '\0';
	return true;
}

/* A request whose body this scan keeps, in the current memory context. */
DwsRequest *
dws_answer_request(DwsCallKind kind, char *project_id)
{
	DwsRequest *req = palloc0(sizeof(DwsRequest));
	DwsAnswer  *a = palloc0(sizeof(DwsAnswer));

	a->req = req;
	a->cxt = CurrentMemoryContext;
	req->kind = kind;
	req->project_id = project_id;
	req->sink.reset = answer_reset;
	req->sink.write = answer_write;
	req->sink.arg = a;
	return req;
}

/* Frees a request and its body. */
void
dws_answer_free(DwsRequest *req)
{
	if (req->body)
		pfree(req->body);
	pfree(req->sink.arg);
	if (req->dr_id)
		pfree(req->dr_id);
	pfree(req);
}
