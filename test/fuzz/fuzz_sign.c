/*-------------------------------------------------------------------------
 * fuzz_sign.c
 *	  libFuzzer target for src/sign.c: URL escaping, canonical URI,
 *	  canonical query, X-Sdk-Date formatting and SDK-HMAC-SHA256 signing.
 *
 * Input layout (see gen_sign_seed.py, which writes seeds in it):
 *   byte 0          low nibble % 9: number of query parameters (nq),
 *                   high nibble % 9: number of headers (nh)
 *   then fields separated by NUL bytes:
 *                   method, path, sdk_date, ak, sk,
 *                   nq x (name, value), nh x (name, value)
 *   the rest        the body (raw bytes, NULs included)
 * A field missing because the input ended early is passed as NULL.
 * Bytes 1..8, when present, are also read as a time_t for dws_sdk_date.
 *
 * Checked on every input (abort() on a violation):
 *   - dws_escape: only unreserved bytes and %XX (uppercase hex) come out,
 *     and decoding gives back the input exactly;
 *   - dws_canonical_uri: always ends with '/', segments decode to the
 *     input's segments, and it is idempotent;
 *   - dws_canonical_query: "" for no parameter, otherwise n pairs, sorted,
 *     that decode to exactly the parameters given;
 *   - dws_sdk_date: YYYYMMDDTHHMMSSZ, equal to gmtime_r's reading;
 *   - dws_sign: equal, byte for byte, to the Authorization value and the
 *     canonical request built here from the signing guide (last duplicate header
 *     wins, names with '_' unsigned, values trimmed), the signature
 *     recomputed with OpenSSL; the same inputs twice give the same result.
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign.h"

#define MAX_PAIRS 8

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_sign: invariant violated: %s\n", what);
	if (detail != NULL)
		fprintf(stderr, "fuzz_sign:   detail: \"%s\"\n", detail);
	abort();
}

#define CHECK(cond, detail) \
	do { if (!(cond)) fail(#cond, (detail)); } while (0)

/* ----------------------------------------------------------------------
 * A small growable string (for the reference computations)
 * ---------------------------------------------------------------------- */

typedef struct Str
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Str;

static void
str_add(Str *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap)
	{
		size_t		cap = s->cap ? s->cap : 128;

		while (cap < s->len + n + 1)
			cap *= 2;
		s->data = realloc(s->data, cap);
		CHECK(s->data != NULL, NULL);
		s->cap = cap;
	}
	if (n > 0)
		memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
}

static void
str_adds(Str *s, const char *p)
{
	str_add(s, p, strlen(p));
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		c == '~';
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
is_upper_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/*
 * Decodes text produced by dws_escape (len bytes); aborts on anything but
 * unreserved bytes and %XX with uppercase hex.  Returns a malloc'd buffer
 * and its length.
 */
static unsigned char *
strict_decode(const char *enc, size_t len, size_t *outlen)
{
	unsigned char *out = malloc(len + 1);
	size_t		i;
	size_t		n = 0;

	CHECK(out != NULL, NULL);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) enc[i];

		if (c == '%')
		{
			CHECK(i + 2 < len, enc);
			CHECK(is_upper_hex((unsigned char) enc[i + 1]) &&
				  is_upper_hex((unsigned char) enc[i + 2]), enc);
			out[n] = (unsigned char) (hexval((unsigned char) enc[i + 1]) * 16 +
									  hexval((unsigned char) enc[i + 2]));
			/* a byte that could stay as is must not be encoded */
			CHECK(!is_unreserved(out[n]), enc);
			n++;
			i += 2;
		}
		else
		{
			CHECK(is_unreserved(c), enc);
			out[n++] = c;
		}
	}
	*outlen = n;
	return out;
}

/* Lenient percent-decoding of a path segment: "%" + two hex digits. */
static size_t
lenient_decode(const char *s, size_t len, unsigned char *out)
{
	size_t		i = 0;
	size_t		n = 0;

	while (i < len)
	{
		if (s[i] == '%' && i + 2 < len &&
			hexval((unsigned char) s[i + 1]) >= 0 &&
			hexval((unsigned char) s[i + 2]) >= 0)
		{
			out[n++] = (unsigned char) (hexval((unsigned char) s[i + 1]) * 16 +
										hexval((unsigned char) s[i + 2]));
			i += 3;
		}
		else
			out[n++] = (unsigned char) s[i++];
	}
	return n;
}

/* ----------------------------------------------------------------------
 * dws_escape
 * ---------------------------------------------------------------------- */

static void
check_escape(const char *in, size_t len)
{
	char	   *enc = dws_escape(in, len);
	unsigned char *dec;
	size_t		declen;
	size_t		enclen;
	size_t		i;
	size_t		reserved = 0;

	CHECK(enc != NULL, NULL);
	enclen = strlen(enc);
	for (i = 0; i < len; i++)
		reserved += !is_unreserved((unsigned char) in[i]);
	CHECK(enclen == len + 2 * reserved, enc);
	dec = strict_decode(enc, enclen, &declen);
	CHECK(declen == len && (len == 0 || memcmp(dec, in, len) == 0), enc);
	free(dec);
	free(enc);
}

/* ----------------------------------------------------------------------
 * dws_canonical_uri
 * ---------------------------------------------------------------------- */

static void
check_uri(const char *path)
{
	char	   *uri = dws_canonical_uri(path);
	char	   *again;
	const char *p = path ? path : "";
	size_t		plen = strlen(p);
	size_t		ulen;
	const char *a;
	const char *b;
	unsigned char *da;

	CHECK(uri != NULL, p);
	ulen = strlen(uri);
	CHECK(ulen > 0 && uri[ulen - 1] == '/', uri);

	/* idempotent */
	again = dws_canonical_uri(uri);
	CHECK(again != NULL && strcmp(again, uri) == 0, uri);
	free(again);

	/*
	 * Segment by segment: each output segment is strictly encoded and
	 * decodes to the input segment decoded; then a '/' follows, which is
	 * the one appended when the input did not end with '/'.
	 */
	da = malloc(plen + 1);
	CHECK(da != NULL, NULL);
	a = p;
	b = uri;
	for (;;)
	{
		const char *ea = strchr(a, '/');
		const char *eb = strchr(b, '/');
		size_t		la = ea ? (size_t) (ea - a) : strlen(a);
		size_t		lb = eb ? (size_t) (eb - b) : strlen(b);
		size_t		na = lenient_decode(a, la, da);
		size_t		nb;
		unsigned char *sd = strict_decode(b, lb, &nb);

		CHECK(na == nb && (na == 0 || memcmp(da, sd, na) == 0), uri);
		free(sd);
		if (ea == NULL)
		{
			b += lb;
			break;
		}
		CHECK(eb != NULL, uri);
		a = ea + 1;
		b = eb + 1;
	}
	if (plen == 0 || p[plen - 1] != '/')
		CHECK(strcmp(b, "/") == 0, uri);
	else
		CHECK(*b == '\0', uri);
	free(da);
	free(uri);
}

/* ----------------------------------------------------------------------
 * dws_canonical_query
 * ---------------------------------------------------------------------- */

static char *
check_query(const DwsKV *params, int n)
{
	char	   *q = dws_canonical_query(params, n);
	char	   *copy;
	char	   *pairs[MAX_PAIRS];
	int			used[MAX_PAIRS] = {0};
	int			npairs = 0;
	char	   *p;
	char	   *prev_name = NULL;
	char	   *prev_value = NULL;
	int			i;
	int			j;

	CHECK(q != NULL, NULL);
	if (n == 0)
	{
		CHECK(q[0] == '\0', q);
		return q;
	}

	copy = strdup(q);
	CHECK(copy != NULL, NULL);
	for (p = copy;;)
	{
		char	   *amp = strchr(p, '&');

		CHECK(npairs < n, q);
		pairs[npairs++] = p;
		if (amp == NULL)
			break;
		*amp = '\0';
		p = amp + 1;
	}
	CHECK(npairs == n, q);

	for (i = 0; i < npairs; i++)
	{
		char	   *eq = strchr(pairs[i], '=');
		char	   *name = pairs[i];
		char	   *value;
		unsigned char *dn;
		unsigned char *dv;
		size_t		ln;
		size_t		lv;
		int			found = 0;

		CHECK(eq != NULL, q);
		*eq = '\0';
		value = eq + 1;
		CHECK(strchr(value, '=') == NULL, q);

		/* sorted by encoded name, then encoded value */
		if (prev_name != NULL)
		{
			int			c = strcmp(prev_name, name);

			CHECK(c < 0 || (c == 0 && strcmp(prev_value, value) <= 0), q);
		}
		prev_name = name;
		prev_value = value;

		/* decodes to a parameter given, each used once */
		dn = strict_decode(name, strlen(name), &ln);
		dv = strict_decode(value, strlen(value), &lv);
		for (j = 0; j < n && !found; j++)
		{
			const char *gn = params[j].name ? params[j].name : "";
			const char *gv = params[j].value ? params[j].value : "";

			if (!used[j] && strlen(gn) == ln && strlen(gv) == lv &&
				memcmp(gn, dn, ln) == 0 && memcmp(gv, dv, lv) == 0)
			{
				used[j] = 1;
				found = 1;
			}
		}
		CHECK(found, q);
		free(dn);
		free(dv);
	}
	free(copy);
	return q;
}

/* ----------------------------------------------------------------------
 * dws_sdk_date
 * ---------------------------------------------------------------------- */

static void
check_sdk_date(time_t t)
{
	char		out[DWS_SDK_DATE_LEN + 8];
	char		want[64];
	struct tm	tm;
	int			i;

	memset(out, 'X', sizeof(out));
	dws_sdk_date(t, out);
	CHECK(out[DWS_SDK_DATE_LEN] == '\0', NULL);
	CHECK(out[DWS_SDK_DATE_LEN + 1] == 'X', out);
	for (i = 0; i < DWS_SDK_DATE_LEN; i++)
	{
		if (i == 8)
			CHECK(out[i] == 'T', out);
		else if (i == 15)
			CHECK(out[i] == 'Z', out);
		else
			CHECK(out[i] >= '0' && out[i] <= '9', out);
	}
	/* years 1970..9999 agree with the C library (others are clamped) */
	if (t >= 0 && t <= (time_t) 253402300799LL)
	{
		CHECK(gmtime_r(&t, &tm) != NULL, out);
		snprintf(want, sizeof(want), "%04d%02d%02dT%02d%02d%02dZ",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
				 tm.tm_hour, tm.tm_min, tm.tm_sec);
		CHECK(strcmp(out, want) == 0, out);
	}
}

/* ----------------------------------------------------------------------
 * dws_sign
 * ---------------------------------------------------------------------- */

typedef struct RefHeader
{
	char	   *name;			/* lowercased, malloc'd */
	const char *value;
	size_t		valuelen;
	int			order;
} RefHeader;

static int
ref_header_cmp(const void *a, const void *b)
{
	const RefHeader *x = a;
	const RefHeader *y = b;
	int			c = strcmp(x->name, y->name);

	return c != 0 ? c : (x->order > y->order) - (x->order < y->order);
}

static int
is_trim(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
		c == '\f';
}

static void
hex_lower(const unsigned char *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t		i;

	for (i = 0; i < len; i++)
	{
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static void
sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	CHECK(EVP_Digest(len ? data : "", len, md, &mdlen, EVP_sha256(), NULL) == 1
		  && mdlen == 32, NULL);
	hex_lower(md, mdlen, out);
}

static void
check_sign(const char *method, const char *path, const char *query,
		   const DwsKV *headers, int nh,
		   const unsigned char *body, size_t bodylen,
		   const char *sdk_date, const char *ak, const char *sk)
{
	RefHeader	rh[MAX_PAIRS];
	int			nrh = 0;
	Str			creq = {0};
	Str			signedh = {0};
	Str			sts = {0};
	Str			auth = {0};
	char	   *uri;
	char	   *canonical = NULL;
	char	   *canonical2 = NULL;
	char	   *res1;
	char	   *res2;
	char	   *res3;
	char		hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	int			i;
	int			j;

	/* the signed headers, as the signing guide describes them */
	for (i = 0; i < nh; i++)
	{
		const char *name = headers[i].name;
		const char *value = headers[i].value ? headers[i].value : "";
		size_t		vlen;

		if (name == NULL || name[0] == '\0' || strchr(name, '_') != NULL)
			continue;
		rh[nrh].name = strdup(name);
		CHECK(rh[nrh].name != NULL, NULL);
		for (j = 0; rh[nrh].name[j]; j++)
			if (rh[nrh].name[j] >= 'A' && rh[nrh].name[j] <= 'Z')
				rh[nrh].name[j] += 'a' - 'A';
		while (is_trim(*value))
			value++;
		vlen = strlen(value);
		while (vlen > 0 && is_trim(value[vlen - 1]))
			vlen--;
		rh[nrh].value = value;
		rh[nrh].valuelen = vlen;
		rh[nrh].order = i;
		nrh++;
	}
	qsort(rh, nrh, sizeof(RefHeader), ref_header_cmp);

	uri = dws_canonical_uri(path);
	CHECK(uri != NULL, NULL);
	str_adds(&creq, method ? method : "");
	str_adds(&creq, "\n");
	str_adds(&creq, uri);
	str_adds(&creq, "\n");
	str_adds(&creq, query ? query : "");
	str_adds(&creq, "\n");
	str_adds(&signedh, "");
	for (i = 0; i < nrh; i++)
	{
		/* the last of equal names (in the caller's order) wins */
		if (i + 1 < nrh && strcmp(rh[i].name, rh[i + 1].name) == 0)
			continue;
		if (signedh.len > 0)
			str_adds(&signedh, ";");
		str_adds(&signedh, rh[i].name);
		str_adds(&creq, rh[i].name);
		str_adds(&creq, ":");
		str_add(&creq, rh[i].value, rh[i].valuelen);
		str_adds(&creq, "\n");
	}
	if (signedh.len == 0)
		str_adds(&creq, "\n");
	str_adds(&creq, "\n");
	str_adds(&creq, signedh.data);
	str_adds(&creq, "\n");
	sha256_hex(body, bodylen, hex);
	str_adds(&creq, hex);

	str_adds(&sts, "SDK-HMAC-SHA256\n");
	str_adds(&sts, sdk_date ? sdk_date : "");
	str_adds(&sts, "\n");
	sha256_hex(creq.data, creq.len, hex);
	str_adds(&sts, hex);
	CHECK(HMAC(EVP_sha256(), sk ? sk : "", (int) strlen(sk ? sk : ""),
			   (const unsigned char *) sts.data, sts.len, mac, &maclen) != NULL
		  && maclen == 32, NULL);
	hex_lower(mac, maclen, hex);

	str_adds(&auth, "SDK-HMAC-SHA256 Access=");
	str_adds(&auth, ak ? ak : "");
	str_adds(&auth, ", SignedHeaders=");
	str_adds(&auth, signedh.data);
	str_adds(&auth, ", Signature=");
	str_adds(&auth, hex);

	/* the function, three times: same answer, equal to the reference */
	res1 = dws_sign(method, path, query, headers, nh, body, bodylen,
					sdk_date, ak, sk, &canonical);
	res2 = dws_sign(method, path, query, headers, nh, body, bodylen,
					sdk_date, ak, sk, NULL);
	res3 = dws_sign(method, path, query, headers, nh, body, bodylen,
					sdk_date, ak, sk, &canonical2);
	CHECK(res1 != NULL && res2 != NULL && res3 != NULL, NULL);
	CHECK(strncmp(res1, "SDK-HMAC-SHA256 Access=", 23) == 0, res1);
	CHECK(strcmp(res1, res2) == 0 && strcmp(res1, res3) == 0, res1);
	CHECK(canonical != NULL && canonical2 != NULL &&
		  strcmp(canonical, canonical2) == 0, NULL);
	CHECK(strcmp(canonical, creq.data) == 0, canonical);
	CHECK(strcmp(res1, auth.data) == 0, res1);

	free(res1);
	free(res2);
	free(res3);
	free(canonical);
	free(canonical2);
	free(uri);
	for (i = 0; i < nrh; i++)
		free(rh[i].name);
	free(creq.data);
	free(signedh.data);
	free(sts.data);
	free(auth.data);
}

/* ----------------------------------------------------------------------
 * Entry point
 * ---------------------------------------------------------------------- */

/* Next NUL-terminated field at *pos, or NULL when the input is used up. */
static const char *
next_field(const char *buf, size_t size, size_t *pos)
{
	const char *start;
	const char *nul;

	if (*pos >= size)
		return NULL;
	start = buf + *pos;
	nul = memchr(start, '\0', size - *pos);
	if (nul == NULL)
	{
		/* the last field runs to the end (buf has a NUL after it) */
		*pos = size;
		return start;
	}
	*pos = (size_t) (nul - buf) + 1;
	return start;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *buf;
	size_t		pos = 1;
	const char *method;
	const char *path;
	const char *sdk_date;
	const char *ak;
	const char *sk;
	DwsKV		query[MAX_PAIRS];
	DwsKV		headers[MAX_PAIRS];
	int			nq = 0;
	int			nh = 0;
	int			i;
	char	   *cq;
	const unsigned char *body;
	size_t		bodylen;

	/* the raw input as one escaped string, NULs included */
	check_escape((const char *) data, size);

	if (size >= 9)
	{
		int64_t		t;

		memcpy(&t, data + 1, sizeof(t));
		check_sdk_date((time_t) t);
	}

	if (size == 0)
		return 0;

	/* a NUL-terminated copy so that the last field is a C string */
	buf = malloc(size + 1);
	CHECK(buf != NULL, NULL);
	memcpy(buf, data, size);
	buf[size] = '\0';

	nq = (data[0] & 0x0f) % (MAX_PAIRS + 1);
	nh = (data[0] >> 4) % (MAX_PAIRS + 1);
	method = next_field(buf, size, &pos);
	path = next_field(buf, size, &pos);
	sdk_date = next_field(buf, size, &pos);
	ak = next_field(buf, size, &pos);
	sk = next_field(buf, size, &pos);
	for (i = 0; i < nq; i++)
	{
		query[i].name = next_field(buf, size, &pos);
		query[i].value = next_field(buf, size, &pos);
	}
	for (i = 0; i < nh; i++)
	{
		headers[i].name = next_field(buf, size, &pos);
		headers[i].value = next_field(buf, size, &pos);
	}
	body = (const unsigned char *) buf + pos;
	bodylen = pos < size ? size - pos : 0;

	/* every field escaped */
	{
		const char *fields[] = {method, path, sdk_date, ak, sk};

		for (i = 0; i < 5; i++)
			if (fields[i] != NULL)
				check_escape(fields[i], strlen(fields[i]));
		for (i = 0; i < nq; i++)
		{
			if (query[i].name)
				check_escape(query[i].name, strlen(query[i].name));
			if (query[i].value)
				check_escape(query[i].value, strlen(query[i].value));
		}
		for (i = 0; i < nh; i++)
			if (headers[i].value)
				check_escape(headers[i].value, strlen(headers[i].value));
		check_escape((const char *) body, bodylen);
	}

	check_uri(path);
	check_uri(method);
	cq = check_query(query, nq);
	/* NULL/empty parameter lists */
	{
		char	   *e1 = dws_canonical_query(NULL, nq);
		char	   *e2 = dws_canonical_query(query, 0);

		CHECK(e1 != NULL && e1[0] == '\0', NULL);
		CHECK(e2 != NULL && e2[0] == '\0', NULL);
		free(e1);
		free(e2);
	}

	/* the signature, with the canonical query and with the raw one */
	check_sign(method, path, cq, headers, nh, bodylen ? body : NULL, bodylen,
			   sdk_date, ak, sk);
	check_sign(method, path, ak, nh ? headers : NULL, nh, body, bodylen,
			   sdk_date, ak, sk);

	free(cq);
	free(buf);
	return 0;
}
