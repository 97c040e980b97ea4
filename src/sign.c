/*-------------------------------------------------------------------------
 * sign.c
 *	  Huawei Cloud SDK-HMAC-SHA256 request signing and URL escaping.
 *
 * Builds the canonical request, the string to sign and the Authorization
 * header value that the Huawei Cloud API gateway verifies (as Huawei's
 * SDKs sign: huaweicloudsdkcore/signer).  SHA-256 and HMAC: OpenSSL's
 * libcrypto, percent-encoding from libcurl.  No PostgreSQL headers:
 * everything is malloc'd and every function reports out-of-memory by
 * returning NULL, so the unit tests and the fuzzers can link this file
 * alone (with libcrypto and libcurl).
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dwsbuf.h"
#include "sign.h"

/* Hex SHA-256 digest length, without the terminator. */
#define DWS_SHA256_HEX_LEN 64

/* 9999-12-31 23:59:59 UTC, the last second an X-Sdk-Date can show */
#define DWS_SDK_DATE_MAX 253402300799LL

static const char hexdigits_lower[] = "0123456789abcdef";

/* One header kept for signing: lowercased name, trimmed value. */
typedef struct DwsSignedHeader
{
	char	   *name;			/* malloc'd, lowercased */
	const char *value;			/* points into the caller's value */
	size_t		valuelen;
	int			order;			/* position among the caller's headers */
} DwsSignedHeader;

/* One escaped query parameter, for sorting. */
typedef struct DwsQueryPair
{
	char	   *name;
	char	   *value;
} DwsQueryPair;


/* Value of one hex digit, or -1. */
static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Writes len bytes of in as lowercase hex plus a terminator into out. */
static void
hex_lower(const unsigned char *in, size_t len, char *out)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		out[2 * i] = hexdigits_lower[in[i] >> 4];
		out[2 * i + 1] = hexdigits_lower[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/*
 * SHA-256 as libcrypto implements it.  OpenSSL 3 looks an algorithm up by
 * name in its provider tables on every EVP_sha256() use unless the caller
 * fetches it once; a request hashes twice, and the lookups were about a
 * tenth of the instructions of signing one (callgrind).  Fetched on first
 * use and kept for the life of the process (a backend, or a unit test).
 * HMAC() keeps EVP_sha256(): given a fetched digest it looks the MAC up
 * again by name, which costs more than it saves.
 */
static const EVP_MD *
sha256_md(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	static EVP_MD *md = NULL;

	if (md == NULL)
	{
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
		/* a failed fetch leaves nothing on the error queue: retried later */
		if (md == NULL)
			ERR_clear_error();
	}
	if (md != NULL)
		return md;
#endif
	return EVP_sha256();
}

/*
 * Lowercase hex SHA-256 of data into out (DWS_SHA256_HEX_LEN + 1 bytes).
 * Returns 0, or -1 if libcrypto fails (which means out-of-memory).
 */
static int
sha256_hex(const unsigned char *data, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const unsigned char empty[1] = {0};

	if (data == NULL)
		data = empty;
	if (EVP_Digest(data, len, md, &mdlen, sha256_md(), NULL) != 1 ||
		mdlen != DWS_SHA256_HEX_LEN / 2)
		return -1;
	hex_lower(md, mdlen, out);
	return 0;
}

/*
 * Percent-encoding shared by path segments and query parameters: the
 * gateway recomputes the canonical request from the same rules, so this
 * must be byte-for-byte what the SDKs do.  curl_easy_escape is exactly
 * that (it keeps A-Z a-z 0-9 - _ . ~ and writes %XX in uppercase); its
 * result is copied to malloc'd memory, as every string of this file.
 * Ids and project ids are almost always unreserved already, and libcurl
 * spends a few hundred instructions per byte on them (measured: 4-7% of a
 * one-call query), so a string it would return unchanged is copied
 * without calling it.
 */
char *
dws_escape(const char *in, size_t len)
{
	char	   *e;
	char	   *out;
	size_t		i;

	if (len > INT_MAX)
		return NULL;
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			  c == '.' || c == '~'))
			break;
	}
	if (i == len)
		return strndup(in, len);
	e = curl_easy_escape(NULL, in, (int) len);
	if (e == NULL)
		return NULL;
	out = strdup(e);
	curl_free(e);
	return out;
}

/*
 * X-Sdk-Date value for t, from the C library's gmtime_r and strftime (UTC,
 * so no time zone state matters).  The field is sixteen characters wide:
 * a clock outside 1970..9999 is clamped into it rather than overflowing.
 */
void
dws_sdk_date(time_t t, char *out)
{
	struct tm	tm;

	if (t < 0)
		t = 0;
	if ((long long) t > DWS_SDK_DATE_MAX)
		t = (time_t) DWS_SDK_DATE_MAX;
	if (gmtime_r(&t, &tm) == NULL ||
		strftime(out, DWS_SDK_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != DWS_SDK_DATE_LEN)
		memcpy(out, "19700101T000000Z", DWS_SDK_DATE_LEN + 1);
}

/*
 * The canonical URI: the path is decoded and encoded again segment by
 * segment so that an already escaped path ("a%2Fb") and an unusual but
 * equivalent spelling ("%7e") both produce what the gateway computes.
 */
char *
dws_canonical_uri(const char *path)
{
	DwsBuf		buf = DWS_BUF_MALLOC;
	char	   *seg;
	const char *p;

	if (path == NULL)
		path = "";
	seg = malloc(strlen(path) + 1);
	if (seg == NULL)
		return NULL;

	p = path;
	for (;;)
	{
		size_t		seglen = 0;
		char	   *escaped;

		/* decode one segment; a '%' not followed by two hex digits stays */
		while (*p != '\0' && *p != '/')
		{
			int			hi;
			int			lo;

			if (*p == '%' &&
				(hi = hex_value((unsigned char) p[1])) >= 0 &&
				(lo = hex_value((unsigned char) p[2])) >= 0)
			{
				seg[seglen++] = (char) (hi * 16 + lo);
				p += 3;
			}
			else
				seg[seglen++] = *p++;
		}

		escaped = dws_escape(seg, seglen);
		if (escaped == NULL)
		{
			buf.oom = 1;
			break;
		}
		dws_buf_append_str(&buf, escaped);
		free(escaped);

		if (*p != '/')
			break;
		dws_buf_append(&buf, "/", 1);
		p++;
	}
	free(seg);

	if (!buf.oom && (buf.len == 0 || buf.data[buf.len - 1] != '/'))
		dws_buf_append(&buf, "/", 1);
	return dws_buf_finish(&buf);
}

/* qsort order of escaped query parameters: by name, then by value. */
static int
query_pair_cmp(const void *a, const void *b)
{
	const DwsQueryPair *pa = a;
	const DwsQueryPair *pb = b;
	int			c = strcmp(pa->name, pb->name);

	if (c != 0)
		return c;
	return strcmp(pa->value, pb->value);
}

/*
 * The canonical query, which is also what goes on the wire so that the
 * gateway sees exactly the string that was signed.  A NULL value is taken
 * as empty ("k=").
 */
char *
dws_canonical_query(const DwsKV *params, int n)
{
	DwsQueryPair *pairs;
	DwsBuf		buf = DWS_BUF_MALLOC;
	int			i;
	int			made = 0;

	if (params == NULL || n <= 0)
		return strdup("");

	pairs = calloc((size_t) n, sizeof(DwsQueryPair));
	if (pairs == NULL)
		return NULL;

	for (i = 0; i < n; i++)
	{
		const char *name = params[i].name ? params[i].name : "";
		const char *value = params[i].value ? params[i].value : "";

		pairs[i].name = dws_escape(name, strlen(name));
		pairs[i].value = dws_escape(value, strlen(value));
		made = i + 1;
		if (pairs[i].name == NULL || pairs[i].value == NULL)
		{
			buf.oom = 1;
			break;
		}
	}

	if (!buf.oom)
	{
		qsort(pairs, (size_t) n, sizeof(DwsQueryPair), query_pair_cmp);
		for (i = 0; i < n; i++)
		{
			if (i > 0)
				dws_buf_append(&buf, "&", 1);
			dws_buf_append_str(&buf, pairs[i].name);
			dws_buf_append(&buf, "=", 1);
			dws_buf_append_str(&buf, pairs[i].value);
		}
	}

	for (i = 0; i < made; i++)
	{
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
	return dws_buf_finish(&buf);
}

/* qsort order of signed headers: by lowercased name, then caller order. */
static int
signed_header_cmp(const void *a, const void *b)
{
	const DwsSignedHeader *ha = a;
	const DwsSignedHeader *hb = b;
	int			c = strcmp(ha->name, hb->name);

	if (c != 0)
		return c;
	return (ha->order > hb->order) - (ha->order < hb->order);
}

/* Whitespace trimmed from signed header values (what the SDKs strip). */
static int
is_trim_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		c == '\v' || c == '\f';
}

/*
 * Collects the headers to sign: names lowercased (ASCII only, whatever the
 * locale), values trimmed, sorted by name.  When a name appears more than
 * once the last one wins, as in the SDKs, which keep headers in a map.
 * Returns the count kept, or -1 on out-of-memory (*out is then NULL).
 */
static int
collect_signed_headers(const DwsKV *headers, int nheaders,
					   DwsSignedHeader **out)
{
	DwsSignedHeader *list;
	int			n = 0;
	int			kept = 0;
	int			i;

	*out = NULL;
	if (headers == NULL || nheaders <= 0)
		return 0;

	list = calloc((size_t) nheaders, sizeof(DwsSignedHeader));
	if (list == NULL)
		return -1;

	for (i = 0; i < nheaders; i++)
	{
		const char *name = headers[i].name;
		const char *value = headers[i].value ? headers[i].value : "";
		size_t		vlen;
		char	   *lname;
		size_t		j;

		if (name == NULL || name[0] == '\0' || strchr(name, '_') != NULL)
			continue;

		lname = strdup(name);
		if (lname == NULL)
		{
			for (j = 0; j < (size_t) n; j++)
				free(list[j].name);
			free(list);
			return -1;
		}
		for (j = 0; lname[j] != '\0'; j++)
		{
			if (lname[j] >= 'A' && lname[j] <= 'Z')
				lname[j] = (char) (lname[j] - 'A' + 'a');
		}

		while (is_trim_space(*value))
			value++;
		vlen = strlen(value);
		while (vlen > 0 && is_trim_space(value[vlen - 1]))
			vlen--;

		list[n].name = lname;
		list[n].value = value;
		list[n].valuelen = vlen;
		list[n].order = i;
		n++;
	}

	qsort(list, (size_t) n, sizeof(DwsSignedHeader), signed_header_cmp);

	/* drop all but the last of each run of equal names */
	for (i = 0; i < n; i++)
	{
		if (i + 1 < n && strcmp(list[i].name, list[i + 1].name) == 0)
		{
			free(list[i].name);
			continue;
		}
		list[kept++] = list[i];
	}

	*out = list;
	return kept;
}

/*
 * Signs one request.  The canonical request and string to sign follow
 * the SDKs' signer step by step; the result is the Authorization header
 * value.
 */
char *
dws_sign(const char *method, const char *path, const char *query,
		 const DwsKV *headers, int nheaders,
		 const unsigned char *body, size_t bodylen,
		 const char *sdk_date, const char *ak, const char *sk,
		 char **canonical_out)
{
	DwsSignedHeader *sh = NULL;
	int			nsh;
	char	   *uri = NULL;
	char	   *canonical = NULL;
	char	   *result = NULL;
	DwsBuf		creq = DWS_BUF_MALLOC_SECRET;	/* holds X-Security-Token */
	DwsBuf		signedh = DWS_BUF_MALLOC;
	DwsBuf		sts = DWS_BUF_MALLOC;
	DwsBuf		auth = DWS_BUF_MALLOC_SECRET;
	char		bodyhex[DWS_SHA256_HEX_LEN + 1];
	char		creqhex[DWS_SHA256_HEX_LEN + 1];
	char		sighex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t		sklen;
	int			i;

	if (canonical_out != NULL)
		*canonical_out = NULL;
	if (method == NULL)
		method = "";
	if (query == NULL)
		query = "";
	if (sdk_date == NULL)
		sdk_date = "";
	if (ak == NULL)
		ak = "";
	if (sk == NULL)
		sk = "";

	nsh = collect_signed_headers(headers, nheaders, &sh);
	if (nsh < 0)
		return NULL;

	uri = dws_canonical_uri(path);
	if (uri == NULL)
		goto done;
	if (sha256_hex(body, bodylen, bodyhex) != 0)
		goto done;

	/* SignedHeaders */
	for (i = 0; i < nsh; i++)
	{
		if (i > 0)
			dws_buf_append(&signedh, ";", 1);
		dws_buf_append_str(&signedh, sh[i].name);
	}
	if (dws_buf_finish(&signedh) == NULL)
		goto done;

	/* CanonicalRequest */
	dws_buf_append_str(&creq, method);
	dws_buf_append(&creq, "\n", 1);
	dws_buf_append_str(&creq, uri);
	dws_buf_append(&creq, "\n", 1);
	dws_buf_append_str(&creq, query);
	dws_buf_append(&creq, "\n", 1);
	for (i = 0; i < nsh; i++)
	{
		dws_buf_append_str(&creq, sh[i].name);
		dws_buf_append(&creq, ":", 1);
		dws_buf_append(&creq, sh[i].value, sh[i].valuelen);
		dws_buf_append(&creq, "\n", 1);
	}
	/* the SDKs' header block is "\n" even with no header at all */
	if (nsh == 0)
		dws_buf_append(&creq, "\n", 1);
	dws_buf_append(&creq, "\n", 1);
	dws_buf_append_str(&creq, signedh.data);
	dws_buf_append(&creq, "\n", 1);
	dws_buf_append_str(&creq, bodyhex);
	canonical = dws_buf_finish(&creq);
	if (canonical == NULL)
		goto done;

	/* StringToSign */
	if (sha256_hex((const unsigned char *) canonical, strlen(canonical),
				   creqhex) != 0)
		goto done;
	dws_buf_append_str(&sts, DWS_SIGN_ALGORITHM "\n");
	dws_buf_append_str(&sts, sdk_date);
	dws_buf_append(&sts, "\n", 1);
	dws_buf_append_str(&sts, creqhex);
	if (dws_buf_finish(&sts) == NULL)
		goto done;

	/* Signature */
	sklen = strlen(sk);
	if (sklen > (size_t) INT32_MAX)
		goto done;
	if (HMAC(EVP_sha256(), sk, (int) sklen,
			 (const unsigned char *) sts.data, sts.len,
			 mac, &maclen) == NULL || maclen == 0)
		goto done;
	hex_lower(mac, maclen, sighex);

	/* Authorization */
	dws_buf_append_str(&auth, DWS_SIGN_ALGORITHM " Access=");
	dws_buf_append_str(&auth, ak);
	dws_buf_append_str(&auth, ", SignedHeaders=");
	dws_buf_append_str(&auth, signedh.data);
	dws_buf_append_str(&auth, ", Signature=");
	dws_buf_append_str(&auth, sighex);
	result = dws_buf_finish(&auth);

	if (result != NULL && canonical_out != NULL)
	{
		*canonical_out = canonical;
		canonical = NULL;
	}

done:
	if (sh != NULL)
	{
		for (i = 0; i < nsh; i++)
			free(sh[i].name);
		free(sh);
	}
	free(uri);
	/* the canonical request holds X-Security-Token; the MAC is the signature */
	if (canonical != NULL)
		explicit_bzero(canonical, strlen(canonical));
	explicit_bzero(mac, sizeof(mac));
	explicit_bzero(sighex, sizeof(sighex));
	free(canonical);
	free(signedh.data);
	free(sts.data);
	return result;
}
