/*-------------------------------------------------------------------------
 * sign.h
 *	  Huawei Cloud SDK-HMAC-SHA256 request signing and URL escaping.
 *
 * Free of PostgreSQL headers so that the unit tests and the fuzzers can
 * link it alone.  Every string returned is malloc'd; the caller free()s it.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_SIGN_H
#define DWSDR_SIGN_H

#include <stddef.h>
#include <time.h>

#define DWS_SDK_DATE_LEN 16		/* YYYYMMDDTHHMMSSZ */
#define DWS_SIGN_ALGORITHM "SDK-HMAC-SHA256"

typedef struct DwsKV
{
	const char *name;
	const char *value;
} DwsKV;

/*
 * Percent-encodes len bytes of in: A-Z a-z 0-9 - _ . ~ stay, every other
 * byte becomes %XX (uppercase hex).  Used both for one URL path segment and
 * for query keys and values (curl_easy_escape).  NULL on out-of-memory or
 * past INT_MAX bytes.
 */
extern char *dws_escape(const char *in, size_t len);

/*
 * Formats t (UTC) as YYYYMMDDTHHMMSSZ into out, which holds 17 bytes; a t
 * before 1970 or after 9999 is clamped to the nearer end.
 */
extern void dws_sdk_date(time_t t, char *out);

/*
 * Canonical URI of a path as sent on the wire: split on '/', percent-decode
 * each segment and encode it again with dws_escape, join with '/', and add a
 * trailing '/' unless there is one.  "/resources" -> "/resources/".
 */
extern char *dws_canonical_uri(const char *path);

/*
 * Canonical query string of n unescaped (name, value) pairs: each encoded
 * with dws_escape, sorted by encoded name then encoded value, joined
 * "k=v&k=v".  The same string is what is sent on the wire.  "" when n == 0.
 */
extern char *dws_canonical_query(const DwsKV *params, int n);

/*
 * Builds the Authorization header value for one request:
 *   "SDK-HMAC-SHA256 Access=<ak>, SignedHeaders=<h;h>, Signature=<hex>"
 * path is the wire path (escaped), query the canonical query ("" or NULL
 * for none), headers the headers sent (any case; values as sent, trimmed
 * when signed).  Headers whose name contains '_' are not signed; all others
 * given are.  sdk_date is the X-Sdk-Date value (it must also be among the
 * headers).  When canonical_out is not NULL it receives the canonical
 * request (malloc'd), for tests.  NULL on out-of-memory.
 */
extern char *dws_sign(const char *method, const char *path, const char *query,
					  const DwsKV *headers, int nheaders,
					  const unsigned char *body, size_t bodylen,
					  const char *sdk_date, const char *ak, const char *sk,
					  char **canonical_out);

#endif
