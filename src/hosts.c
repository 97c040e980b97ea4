/*-------------------------------------------------------------------------
 * hosts.c
 *	  Where a foreign server connects: a region's endpoint, a base URL as
 *	  libcurl reads it, and whether dwsdr_fdw.allowed_hosts lists its host.
 *
 * The setting itself, and the checks that use it, are options.c's.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include "utils/varlena.h"

#include "hosts.h"

/*
 * The endpoint of a region, following the published rules: most regions are
 * under myhuaweicloud.com, eu-west-101 under .eu and a few under .cn.
 */
char *
dws_region_endpoint(const char *region)
{
	static const char *const cn_regions[] = {
		"cn-south-4", "cn-north-12", "cn-east-4", "tr-west-1", "ap-southeast-4"
	};
	const char *suffix = "myhuaweicloud.com";
	int			i;

	if (strcmp(region, "eu-west-101") == 0)
		suffix = "myhuaweicloud.eu";
	for (i = 0; i < lengthof(cn_regions); i++)
		if (strcmp(region, cn_regions[i]) == 0)
			suffix = "myhuaweicloud.cn";
	return psprintf("https://dws.%s.%s", region, suffix);
}

/*
 * Parses a base URL (the endpoint, or the proxy) with libcurl's URL API:
 * the parser libcurl connects with, so that the URL checked, the host
 * compared with dwsdr_fdw.allowed_hosts and the host reached are the same.
 * The extension's one URL parser: the validator, the allowed_hosts checks
 * and the connection (origin, Host header, base path) all read a URL here.
 *
 * Returns NULL when the URL is usable: http or https, a host, no
 * credentials (server options are readable by every user), no query or
 * fragment (the FDW builds those itself).  Otherwise returns what is
 * wrong, as the end of a sentence for an errdetail, and sets *secret when
 * the URL holds credentials (the URL must then not be echoed).  The parts
 * read before a problem was found are filled in all the same (the host
 * names the refused URL in allowed_hosts messages); the others are NULL.
 * Every part is palloc'd; no libcurl memory outlives the call, an ERROR
 * included.
 */
const char *
dws_parse_url(const char *value, DwsUrl *url, bool *secret)
{
	CURLU	   *u = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *port = NULL;
	char	   *path = NULL;
	char	   *part = NULL;
	const char *problem = NULL;

	memset(url, 0, sizeof(*url));
	*secret = false;
	if (u == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("out of memory")));
	/* scheme-less input like "example.com" is refused here by curl */
	if (curl_url_set(u, CURLUPART_URL, value, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		problem = "it is not a valid URL";
	else
	{
		(void) curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
		(void) curl_url_get(u, CURLUPART_HOST, &host, 0);
		(void) curl_url_get(u, CURLUPART_PORT, &port, 0);
		(void) curl_url_get(u, CURLUPART_PATH, &path, 0);
		if (scheme == NULL ||
			(strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
			problem = "only http and https are supported";
		else if (host == NULL || host[0] == '\0')
			problem = "it has no host";
		else if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
				 curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK)
		{
			problem = "it must not contain credentials";
			*secret = true;
		}
		else if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK)
			problem = "it must not have a query";
		else if (curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK)
			problem = "it must not have a fragment";
	}

	/* palloc may fail: free libcurl's strings on the way out either way */
	PG_TRY();
	{
		if (host != NULL)
			url->host = pstrdup(host);
		if (problem == NULL)
		{
			size_t		plen = path ? strlen(path) : 0;

			url->scheme = pstrdup(scheme);
			url->port = port ? pstrdup(port) : NULL;
			url->host_header = psprintf("%s%s%s", host, port ? ":" : "",
										port ? port : "");
			url->origin = psprintf("%s://%s", scheme, url->host_header);
			while (plen > 0 && path[plen - 1] == '/')
				plen--;
			url->base_path = pnstrdup(path ? path : "", plen);
		}
	}
	PG_FINALLY();
	{
		curl_free(scheme);
		curl_free(host);
		curl_free(port);
		curl_free(path);
		curl_free(part);
		curl_url_cleanup(u);
	}
	PG_END_TRY();
	return problem;
}

#define MAX_LABELS 128			/* a DNS name has at most 127 labels */

/*
 * Reads an IP address, IPv6 with or without brackets, into addr; an
 * IPv4-mapped IPv6 address reads as its IPv4 address, so that either way of
 * writing one destination matches the other.  inet_pton(), not our own
 * parser: it is the reference for what an address is.
 */
static bool
parse_ip(const char *text, unsigned char addr[16], int *len)
{
	static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff};
	char		buf[INET6_ADDRSTRLEN + 1];
	size_t		n = strlen(text);

	if (n >= 2 && text[0] == '[' && text[n - 1] == ']')
	{
		text++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
	{
		*len = 4;
		return true;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1)
	{
		*len = 16;
		if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0)
		{
			memmove(addr, addr + 12, 4);
			*len = 4;
		}
		return true;
	}
	return false;
}

/*
 * A copy of a host name or pattern, lower-cased and without one trailing
 * dot ("dws.x.myhuaweicloud.com." is the same host as without it).
 */
static char *
normalize_host(const char *host)
{
	char	   *h = pstrdup(host);
	size_t		len = strlen(h);
	char	   *c;

	if (len > 1 && h[len - 1] == '.')
		h[len - 1] = '\0';
	for (c = h; *c; c++)
		*c = pg_ascii_tolower((unsigned char) *c);
	return h;
}

/*
 * Splits a normalized name into its labels, in place.  Only ASCII letters,
 * digits, '-' and '_' (and "*" when wildcards are allowed) make a label:
 * anything else (an empty label, a non-ASCII name that IDNA would map) is
 * not a name this setting can speak of, and matches no pattern.
 */
static int
split_labels(char *name, char **labels, bool wildcards)
{
	int			n = 0;
	char	   *start = name;
	char	   *c;

	for (c = name;; c++)
	{
		if (*c == '.' || *c == '\0')
		{
			bool		end = (*c == '\0');

			*c = '\0';
			if (c == start || n == MAX_LABELS)
				return -1;
			if (strchr(start, '*') && !(wildcards && strcmp(start, "*") == 0))
				return -1;
			labels[n++] = start;
			if (end)
				return n;
			start = c + 1;
		}
		else if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
				   *c == '-' || *c == '_' || *c == '*'))
			return -1;
	}
}

/*
 * Does a host name match a pattern?  A "*" first label matches one or more
 * labels ("*.example.com" is every name under example.com, not example.com
 * itself); a "*" label elsewhere matches exactly one ("dws.*.example.com").
 * Labels are compared whole, so "*.example.com" never matches
 * "evilexample.com".
 */
static bool
host_matches(const char *host, const char *pattern)
{
	char	   *h = normalize_host(host);
	char	   *p = normalize_host(pattern);
	char	   *hl[MAX_LABELS];
	char	   *pl[MAX_LABELS];
	int			nh = split_labels(h, hl, false);
	int			np = split_labels(p, pl, true);
	int			skip;
	int			i;

	if (nh <= 0 || np <= 0)
		return false;
	if (strcmp(pl[0], "*") == 0 && np > 1)
	{
		if (nh < np)
			return false;
		skip = nh - np;			/* the leading "*" takes skip + 1 labels */
		for (i = 1; i < np; i++)
			if (strcmp(pl[i], "*") != 0 && strcmp(pl[i], hl[i + skip]) != 0)
				return false;
		return true;
	}
	if (nh != np)
		return false;
	for (i = 0; i < np; i++)
		if (strcmp(pl[i], "*") != 0 && strcmp(pl[i], hl[i]) != 0)
			return false;
	return true;
}

/* Checks one entry of dwsdr_fdw.allowed_hosts: "*", an address or a name. */
bool
dws_valid_host_entry(const char *entry)
{
	unsigned char addr[16];
	int			len;
	char	   *labels[MAX_LABELS];

	if (strcmp(entry, "*") == 0 || parse_ip(entry, addr, &len))
		return true;
	return split_labels(normalize_host(entry), labels, true) > 0;
}

/*
 * Is the host of a URL in allowed (the value of dwsdr_fdw.allowed_hosts)?
 * The host is taken the way libcurl will connect to it (curl's own URL
 * parser: percent-decoded, IPv4 forms such as 0x7f000001 normalised,
 * brackets around IPv6, zone id apart; the port plays no part).  *host
 * receives it for messages.
 */
bool
dws_url_host_allowed(const char *url, const char *allowed, char **host)
{
	DwsUrl		parsed;
	bool		secret;
	char	   *raw;
	List	   *elems;
	ListCell   *lc;
	unsigned char addr[16];
	unsigned char eaddr[16];
	int			alen = 0;
	int			elen;
	bool		is_ip;

	(void) dws_parse_url(url, &parsed, &secret);
	*host = parsed.host;
	if (*host == NULL)
		return false;

	raw = pstrdup(allowed ? allowed : "");
	if (!SplitGUCList(raw, ',', &elems))
		return false;
	is_ip = parse_ip(*host, addr, &alen);
	foreach(lc, elems)
	{
		const char *e = (const char *) lfirst(lc);

		if (strcmp(e, "*") == 0)
			return true;
		if (parse_ip(e, eaddr, &elen))
		{
			if (is_ip && elen == alen && memcmp(addr, eaddr, alen) == 0)
				return true;
		}
		else if (!is_ip && host_matches(*host, e))
			return true;
	}
	return false;
}
