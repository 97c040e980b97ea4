/*-------------------------------------------------------------------------
 * test_sign.c
 *	  Unit tests of src/sign.c: the official SDK-HMAC-SHA256 test vectors
 *	  (Huawei Cloud's AK/SK signing guide) and the escaping rules behind them.
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sign.h"
#include "tap.h"

#define VEC_AK "AccessKey"
#define VEC_SK "SecretKey"
#define VEC_HOST "service.endpoint.myhuaweicloud.com"
#define VEC_DATE "20200608T023900Z"
#define VEC_GET_AUTH "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, " \
	"Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"
#define VEC_POST_AUTH "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, " \
	"Signature=436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Checks dws_escape of a NUL-terminated input, then frees the result. */
static void
check_escape(const char *in, const char *want, const char *desc)
{
	char	   *got = dws_escape(in, strlen(in));

	tap_str(got, want, desc);
	free(got);
}

/* Checks dws_canonical_uri, then frees the result. */
static void
check_uri(const char *in, const char *want, const char *desc)
{
	char	   *got = dws_canonical_uri(in);

	tap_str(got, want, desc);
	free(got);
}

/* Signs the vector request with the given headers and body. */
static char *
sign_vector(const char *method, const DwsKV *headers, int n,
			const char *body, char **canonical)
{
	return dws_sign(method, "/resources", "size=1", headers, n,
					(const unsigned char *) body, body ? strlen(body) : 0,
					VEC_DATE, VEC_AK, VEC_SK, canonical);
}

static void
test_official_vectors(void)
{
	DwsKV		headers[] = {
		{"Host", VEC_HOST},
		{"X-Sdk-Date", VEC_DATE},
		{"TEST_UNDERSCORE", "TEST_VALUE"},
	};
	DwsKV		size1[] = {{"size", "1"}};
	const char *want_canonical =
		"GET\n"
		"/resources/\n"
		"size=1\n"
		"host:" VEC_HOST "\n"
		"x-sdk-date:" VEC_DATE "\n"
		"\n"
		"host;x-sdk-date\n"
		EMPTY_SHA256;
	char	   *canonical = NULL;
	char	   *auth;
	char	   *q;

	q = dws_canonical_query(size1, 1);
	tap_str(q, "size=1", "vector query size=1");
	free(q);

	auth = sign_vector("GET", headers, 3, NULL, &canonical);
	tap_str(auth, VEC_GET_AUTH, "official GET vector: Authorization");
	tap_str(canonical, want_canonical, "official GET vector: canonical request");
	tap_ok(canonical == NULL || strstr(canonical, "test_underscore") == NULL,
		   "header with '_' absent from the canonical request");
	free(auth);
	free(canonical);

	auth = sign_vector("POST", headers, 3, "{\"name\":\"test\",\"id\":1}", NULL);
	tap_str(auth, VEC_POST_AUTH, "official POST vector: Authorization");
	free(auth);

	/* an empty (non-NULL) body hashes like no body */
	auth = sign_vector("GET", headers, 3, "", NULL);
	tap_str(auth, VEC_GET_AUTH, "GET with empty non-NULL body");
	free(auth);
}

static void
test_header_handling(void)
{
	DwsKV		shuffled[] = {
		{"x-sdk-date", VEC_DATE},
		{"TEST_UNDERSCORE", "TEST_VALUE"},
		{"HOST", VEC_HOST},
	};
	DwsKV		padded[] = {
		{"Host", "  " VEC_HOST " \t"},
		{"X-Sdk-Date", "\t" VEC_DATE "  "},
	};
	DwsKV		no_underscore[] = {
		{"Host", VEC_HOST},
		{"X-Sdk-Date", VEC_DATE},
	};
	DwsKV		dup[] = {
		{"Host", "wrong.example.com"},
		{"X-Sdk-Date", VEC_DATE},
		{"host", VEC_HOST},
	};
	DwsKV		more[] = {
		{"Host", VEC_HOST},
		{"X-Sdk-Date", VEC_DATE},
		{"X-Project-Id", "0536cdee2200d5912f7cc00b877980f1"},
		{"Content-Type", "application/json"},
		{"X-Security-Token", "tok"},
	};
	char	   *canonical = NULL;
	char	   *auth;

	auth = sign_vector("GET", shuffled, 3, NULL, NULL);
	tap_str(auth, VEC_GET_AUTH, "header order and name case do not matter");
	free(auth);

	auth = sign_vector("GET", no_underscore, 2, NULL, NULL);
	tap_str(auth, VEC_GET_AUTH, "header with '_' is not signed (same signature without it)");
	free(auth);

	auth = sign_vector("GET", padded, 2, NULL, &canonical);
	tap_str(auth, VEC_GET_AUTH, "signed header values are trimmed");
	tap_ok(canonical != NULL &&
		   strstr(canonical, "\nhost:" VEC_HOST "\n") != NULL,
		   "trimmed value in canonical headers");
	free(auth);
	free(canonical);

	auth = sign_vector("GET", dup, 3, NULL, NULL);
	tap_str(auth, VEC_GET_AUTH, "repeated header name: last one wins");
	free(auth);

	auth = sign_vector("GET", more, 5, NULL, &canonical);
	tap_ok(auth != NULL &&
		   strstr(auth, "SignedHeaders=content-type;host;x-project-id;"
				  "x-sdk-date;x-security-token, Signature=") != NULL,
		   "signed headers lowercased and sorted by byte value");
	tap_ok(canonical != NULL &&
		   strstr(canonical, "\ncontent-type:application/json\nhost:") != NULL,
		   "canonical headers sorted");
	tap_ok(auth != NULL && strlen(strstr(auth, "Signature=")) == 10 + 64,
		   "signature is 64 hex digits");
	free(auth);
	free(canonical);

	/* a query given as NULL is the empty line */
	auth = dws_sign("GET", "/", NULL, no_underscore, 2, NULL, 0,
					VEC_DATE, VEC_AK, VEC_SK, &canonical);
	tap_ok(auth != NULL && canonical != NULL &&
		   strncmp(canonical, "GET\n/\n\nhost:", 12) == 0,
		   "NULL query gives an empty canonical query line");
	free(auth);
	free(canonical);
}

static void
test_query(void)
{
	DwsKV		params[] = {
		{"limit", "1"},
		{"enable", "true"},
		{"test", "\xe4\xb8\x80 (&=?!#%.*)"},	/* "一 (&=?!#%.*)" */
		{"path", "/tmp/123"},
		{"multi", "3"},
		{"multi", "1"},
		{"multi", "2"},
	};
	DwsKV		empty_value[] = {{"b", ""}, {"a", NULL}};
	char	   *q;

	q = dws_canonical_query(params, 7);
	tap_str(q, "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123"
			"&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29",
			"official query-encoding vector");
	free(q);

	q = dws_canonical_query(NULL, 0);
	tap_str(q, "", "no parameters: empty string");
	free(q);

	q = dws_canonical_query(empty_value, 2);
	tap_str(q, "a=&b=", "empty and NULL values");
	free(q);
}

static void
test_escape(void)
{
	char	   *got;

	check_escape("AZaz09-_.~", "AZaz09-_.~", "unreserved characters stay");
	check_escape("/", "%2F", "'/' escaped");
	check_escape(" ", "%20", "space escaped as %20");
	check_escape("%", "%25", "'%' escaped");
	check_escape("+", "%2B", "'+' escaped");
	check_escape("\xe4\xb8\x80", "%E4%B8%80", "UTF-8 bytes escaped, uppercase hex");
	check_escape("", "", "empty input");

	got = dws_escape("a\0b", 3);
	tap_str(got, "a%00b", "embedded NUL byte escaped");
	free(got);
	check_escape("id-1.~a/b", "id-1.~a%2Fb", "unreserved prefix, then a byte to escape");

	/* the copy kept for unreserved strings is what libcurl writes */
	{
		int			c,
					same = 1;

		for (c = 1; c < 256 && same; c++)
		{
			char		in[4] = {'x', (char) c, 'y', '\0'};
			char	   *mine = dws_escape(in, 3);
			char	   *lib = curl_easy_escape(NULL, in, 3);

			same = mine && lib && strcmp(mine, lib) == 0;
			free(mine);
			curl_free(lib);
		}
		tap_ok(same, "every byte escaped as curl_easy_escape escapes it");
	}
}

static void
test_canonical_uri(void)
{
	check_uri("/resources", "/resources/", "\"/resources\" -> \"/resources/\"");
	check_uri("/", "/", "\"/\" -> \"/\"");
	check_uri("/resources/", "/resources/", "trailing slash not doubled");
	check_uri("", "/", "empty path -> \"/\"");
	check_uri("/v2/p/disaster-recovery/a%2Fb", "/v2/p/disaster-recovery/a%2Fb/",
			  "escaped '/' in a segment stays a%2Fb");
	check_uri("/v2/p/disaster-recovery/a%2fb", "/v2/p/disaster-recovery/a%2Fb/",
			  "lowercase escape normalised to uppercase");
	check_uri("/a%7Eb", "/a~b/", "escaped unreserved character decoded");
	check_uri("/a b", "/a%20b/", "raw space encoded");
	check_uri("/a%zz", "/a%25zz/", "lone '%' encoded");
	check_uri("/a%2", "/a%252/", "truncated escape encoded");
	check_uri("/v2/0536cdee2200d5912f7cc00b877980f1/disaster-recoveries",
			  "/v2/0536cdee2200d5912f7cc00b877980f1/disaster-recoveries/",
			  "list path");
}

static void
test_sdk_date(void)
{
	char		buf[DWS_SDK_DATE_LEN + 1];

	dws_sdk_date((time_t) 1591583940, buf);
	tap_str(buf, VEC_DATE, "epoch 1591583940 -> 20200608T023900Z");

	dws_sdk_date((time_t) 0, buf);
	tap_str(buf, "19700101T000000Z", "epoch 0");

	dws_sdk_date((time_t) 951782399, buf);
	tap_str(buf, "20000228T235959Z", "2000-02-28 23:59:59");

	dws_sdk_date((time_t) 951868800, buf);
	tap_str(buf, "20000301T000000Z", "leap day skipped into March 2000");

	dws_sdk_date((time_t) 951825600, buf);
	tap_str(buf, "20000229T120000Z", "leap day 2000-02-29");

	tap_ok(strlen(buf) == DWS_SDK_DATE_LEN, "date is %d characters",
		   DWS_SDK_DATE_LEN);

	/* a clock outside what the field can show is clamped, never widened */
	dws_sdk_date((time_t) -1, buf);
	tap_str(buf, "19700101T000000Z", "before 1970 -> 1970-01-01");
	dws_sdk_date((time_t) 253402300799LL, buf);
	tap_str(buf, "99991231T235959Z", "last second of 9999");
	if (sizeof(time_t) > 4)
	{
		dws_sdk_date((time_t) 253402300800LL, buf);
		tap_str(buf, "99991231T235959Z", "year 10000 -> last second of 9999");
	}
}

int
main(void)
{
	test_official_vectors();
	test_header_handling();
	test_query();
	test_escape();
	test_canonical_uri();
	test_sdk_date();
	return tap_done();
}
