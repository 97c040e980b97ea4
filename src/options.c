/*-------------------------------------------------------------------------
 * options.c
 *	  The options of dwsdr_fdw: one table drives the validator, the defaults
 *	  and the readers used at plan and execution time.
 *
 * Secret options (secret_key, security_token, auth_token) exist only in the
 * user-mapping context, and their values are never echoed in a message.
 *
 * Least privilege: a server whose owner is not a superuser may only reach
 * the hosts of dwsdr_fdw.allowed_hosts (checked when a non-superuser sets
 * its endpoint or proxy, and again whenever its options are read), and
 * only a superuser or a member of pg_read_server_files may name a ca_file.
 * No option value may hold a control character: values become HTTP headers
 * and URL parts.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include <limits.h>
#include <arpa/inet.h>

#include "access/reloptions.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/varlena.h"


#include <curl/curl.h>

typedef enum DwsOptType
{
	OPT_TEXT,					/* any non-empty string */
	OPT_INT,					/* integer in [min, max] */
	OPT_URL,					/* http:// or https:// base URL */
	OPT_REGION,					/* a region name: [a-z0-9-]+ */
	OPT_RESOURCE,				/* a resource name */
	OPT_PATH,					/* a dotted JSON path */
	OPT_ID,						/* a project id: no '/' and no control chars */
	OPT_UNREACHABLE				/* error, skip or stale */
} DwsOptType;

typedef struct DwsOption
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
	DwsOptType	type;
	int64		min;
	int64		max;
	int64		dflt;			/* default of OPT_INT options */
	bool		secret;
} DwsOption;

/*
 * The one table of options.  Defaults of integer options are used by
 * dws_server_options; README.md documents each of them.
 */
static const DwsOption dws_options[] = {
	/* server */
	{"region", ForeignServerRelationId, OPT_REGION},
	{"endpoint", ForeignServerRelationId, OPT_URL},
	{"project_id", ForeignServerRelationId, OPT_ID},
	{"max_concurrency", ForeignServerRelationId, OPT_INT, 1, 256, 8},
	{"connect_timeout_ms", ForeignServerRelationId, OPT_INT, 1, 600000, 5000},
	{"timeout_ms", ForeignServerRelationId, OPT_INT, 1, 3600000, 30000},
	{"max_retries", ForeignServerRelationId, OPT_INT, 0, 10, 3},
	{"max_retry_time_ms", ForeignServerRelationId, OPT_INT, 0, 3600000, 60000},
	{"max_response_bytes", ForeignServerRelationId, OPT_INT, 1024,
	INT64CONST(1073741824), 8 * 1024 * 1024},
	{"cache_ttl", ForeignServerRelationId, OPT_INT, 0, 86400, 0},
	{"rate_limit", ForeignServerRelationId, OPT_INT, 1, 100000, 0},
	{"ca_file", ForeignServerRelationId, OPT_TEXT},
	{"proxy", ForeignServerRelationId, OPT_URL},
	{"when_unreachable", ForeignServerRelationId, OPT_UNREACHABLE},
	/* user mapping */
	{"access_key", UserMappingRelationId, OPT_TEXT},
	{"secret_key", UserMappingRelationId, OPT_TEXT, 0, 0, 0, true},
	{"security_token", UserMappingRelationId, OPT_TEXT, 0, 0, 0, true},
	{"auth_token", UserMappingRelationId, OPT_TEXT, 0, 0, 0, true},
	/* foreign table */
	{"resource", ForeignTableRelationId, OPT_RESOURCE},
	{"project_id", ForeignTableRelationId, OPT_ID},
	/* dr_events: events per page (the API's limit); for tests of paging */
	{"page_size", ForeignTableRelationId, OPT_INT, 1, DWS_EVENTS_PAGE_SIZE,
	DWS_EVENTS_PAGE_SIZE},
	/* column */
	{"field", AttributeRelationId, OPT_PATH},
	{NULL}
};

static const char *const dws_resource_names[DWS_NUM_RESOURCES] = {
	"dr_clusters", "disaster_recoveries", "dr_progress", "dr_events"
};

static const char *const dws_unreachable_names[] = {"error", "skip", "stale"};

PG_FUNCTION_INFO_V1(dwsdr_fdw_validator);

/* The value of when_unreachable, or an ERROR naming the valid ones. */
static DwsUnreachable
parse_unreachable(const char *value)
{
	int			i;

	for (i = 0; i < lengthof(dws_unreachable_names); i++)
		if (strcmp(value, dws_unreachable_names[i]) == 0)
			return (DwsUnreachable) i;
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"when_unreachable\": \"%s\"",
					value),
			 errhint("Valid values are: error, skip, stale.")));
	return DWS_UNREACHABLE_ERROR;	/* keep compiler quiet */
}

static const DwsOption *
find_option(const char *name, Oid context)
{
	const DwsOption *opt;

	for (opt = dws_options; opt->name; opt++)
		if (opt->context == context && strcmp(opt->name, name) == 0)
			return opt;
	return NULL;
}

static bool
is_secret_option(const char *name)
{
	const DwsOption *opt;

	for (opt = dws_options; opt->name; opt++)
		if (opt->secret && strcmp(opt->name, name) == 0)
			return true;
	return false;
}

static const char *
context_name(Oid context)
{
	switch (context)
	{
		case ForeignServerRelationId:
			return "foreign servers";
		case UserMappingRelationId:
			return "user mappings";
		case ForeignTableRelationId:
			return "foreign tables";
		case AttributeRelationId:
			return "foreign table columns";
		default:
			return "foreign-data wrappers";
	}
}

/* The hint of an unknown option: the names valid where it was given. */
static char *
valid_options_list(Oid context)
{
	StringInfoData buf;
	const DwsOption *opt;

	initStringInfo(&buf);
	for (opt = dws_options; opt->name; opt++)
	{
		if (opt->context != context)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", opt->name);
	}
	return buf.data;
}

bool
dws_resource_from_name(const char *name, DwsResource *res)
{
	int			i;

	for (i = 0; i < DWS_NUM_RESOURCES; i++)
		if (strcmp(name, dws_resource_names[i]) == 0)
		{
			*res = (DwsResource) i;
			return true;
		}
	return false;
}

const char *
dws_resource_name(DwsResource res)
{
	return dws_resource_names[res];
}

/*
 * Parses an integer option, strictly: digits only, within the table's range.
 */
static int64
parse_int_option(const DwsOption *opt, const char *value)
{
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' ||
		!(isdigit((unsigned char) value[0]) || value[0] == '-') ||
		v < opt->min || v > opt->max)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						opt->name, value),
				 errhint("Use a whole number from " INT64_FORMAT " to " INT64_FORMAT ".",
						 opt->min, opt->max)));
	return (int64) v;
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

/*
 * Checks a base URL (endpoint, proxy) at CREATE/ALTER: an ERROR saying
 * what is wrong with it (see dws_parse_url).
 */
static void
check_endpoint(const char *name, const char *value)
{
	DwsUrl		url;
	bool		secret;
	const char *problem = dws_parse_url(value, &url, &secret);

	/* a URL holding a password is not repeated in the message */
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 secret ?
				 errmsg("invalid value for option \"%s\"", name) :
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 strcmp(name, "proxy") == 0 ?
				 errdetail("The proxy must be a URL such as http://proxy.example.com:3128; %s.",
						   problem) :
				 errdetail("The endpoint must be a URL such as https://dws.cn-north-4.myhuaweicloud.com; %s.",
						   problem)));
}


/* ---- dwsdr_fdw.allowed_hosts ---- */

/*
 * The default: the hosts the region option derives (dws.REGION. under
 * myhuaweicloud.com, .eu and .cn, see dws_region_endpoint), nothing else.
 */
#define DWS_DEFAULT_ALLOWED_HOSTS \
	"dws.*.myhuaweicloud.com, dws.*.myhuaweicloud.eu, dws.*.myhuaweicloud.cn"

static char *dws_allowed_hosts = NULL;

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
static bool
valid_host_entry(const char *entry)
{
	unsigned char addr[16];
	int			len;
	char	   *labels[MAX_LABELS];

	if (strcmp(entry, "*") == 0 || parse_ip(entry, addr, &len))
		return true;
	return split_labels(normalize_host(entry), labels, true) > 0;
}

/* GUC check hook: refuses a list that has an entry of no known form. */
static bool
check_allowed_hosts(char **newval, void **extra, GucSource source)
{
	char	   *raw = pstrdup(*newval);
	List	   *elems;
	ListCell   *lc;

	if (!SplitGUCList(raw, ',', &elems))
	{
		GUC_check_errdetail("The list syntax is invalid.");
		return false;
	}
	foreach(lc, elems)
	{
		const char *e = (const char *) lfirst(lc);

		if (!valid_host_entry(e))
		{
			GUC_check_errdetail("\"%s\" is not a host name, a *.suffix pattern, an IP address or *.",
								e);
			return false;
		}
	}
	return true;
}

uint64		dws_allowed_hosts_generation = 0;

/*
 * GUC assign hook.  A cached connection is used without its server's
 * options being read again (a cached generic plan does not even plan), so
 * when the setting changes, every dwsdr_fdw connection of this backend is
 * treated as if its server had changed (connection.c compares the
 * generation at each use): the next scan reads the options, and so checks
 * the host, again.  Only ours: the plan cache and other modules'
 * connections are left alone.
 */
static void
assign_allowed_hosts(const char *newval, void *extra)
{
	dws_allowed_hosts_generation++;
}

/*
 * Defines dwsdr_fdw.allowed_hosts; called from _PG_init.  PGC_SUSET: only a
 * superuser decides where the servers of other roles may connect.
 */
void
dws_options_init(void)
{
	DefineCustomStringVariable("dwsdr_fdw.allowed_hosts",
							   "Hosts that foreign servers not owned by a superuser may connect to.",
							   "A comma-separated list of host names, *.suffix patterns and IP addresses; * allows every host.",
							   &dws_allowed_hosts,
							   DWS_DEFAULT_ALLOWED_HOSTS,
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   check_allowed_hosts, assign_allowed_hosts, NULL);
}

/*
 * Is the host of a URL in dwsdr_fdw.allowed_hosts?  The host is taken the
 * way libcurl will connect to it (curl's own URL parser: percent-decoded,
 * IPv4 forms such as 0x7f000001 normalised, brackets around IPv6, zone id
 * apart; the port plays no part).  *host receives it for messages.
 */
static bool
url_host_allowed(const char *url, char **host)
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

	raw = pstrdup(dws_allowed_hosts ? dws_allowed_hosts : "");
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

/*
 * CREATE/ALTER SERVER by a role that is not a superuser: the endpoint (or
 * the one the region derives) and the proxy must be allowed hosts.
 */
static void
check_hosts_at_ddl(const char *optname, const char *url)
{
	char	   *host;

	if (url == NULL || superuser() || url_host_allowed(url, &host))
		return;
	dws_msg_prepare();
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to use host \"%s\" in option \"%s\"",
					host ? dws_msg_text(host, strlen(host), 200) : "?",
					optname),
			 errdetail("Only a superuser may point a foreign server at a host that dwsdr_fdw.allowed_hosts does not list."),
			 errhint("A superuser can add the host to dwsdr_fdw.allowed_hosts (LOAD 'dwsdr_fdw'; ALTER SYSTEM SET dwsdr_fdw.allowed_hosts = '...'; SELECT pg_reload_conf();).")));
}

/*
 * Every use of a server whose owner is not a superuser: the setting or the
 * owner may have changed since the options were set.  Before any
 * connection is made.
 */
static void
check_hosts_at_use(ForeignServer *server, const char *optname, const char *url)
{
	char	   *host;

	if (url == NULL || url_host_allowed(url, &host))
		return;
	dws_msg_prepare();
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("foreign server \"%s\" may not connect to host \"%s\"",
					server->servername,
					host ? dws_msg_text(host, strlen(host), 200) : "?"),
			 errdetail("The server is owned by role \"%s\", which is not a superuser, and the host of its %s is not in dwsdr_fdw.allowed_hosts.",
					   GetUserNameFromId(server->owner, false), optname),
			 errhint("A superuser can add the host to dwsdr_fdw.allowed_hosts, or take ownership of the server.")));
}

/*
 * Does a value hold a control character (C0 or DEL)?  Such a value cannot
 * go into a header or a URL: refused in options, skipped as a project id.
 */
bool
dws_has_control_char(const char *value)
{
	const unsigned char *c;

	for (c = (const unsigned char *) value; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return true;
	return false;
}

/*
 * Refuses a control character in any option: values become HTTP headers
 * (a CR/LF would add headers) and URL parts.  The value is never echoed.
 */
static void
check_no_control_chars(const char *name, const char *value)
{
	if (dws_has_control_char(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\"", name),
				 errdetail("The value must not contain control characters (such as a line break or a tab).")));
}

static bool
valid_json_path(const char *p)
{
	const char *s;
	bool		seg_empty = true;

	if (*p == '\0')
		return false;
	for (s = p; *s; s++)
	{
		if (*s == '.')
		{
			if (seg_empty)
				return false;
			seg_empty = true;
		}
		else if ((unsigned char) *s < 0x20)
			return false;
		else
			seg_empty = false;
	}
	return !seg_empty;
}

/* Checks one value against its option's type. */
static void
check_option_value(const DwsOption *opt, const char *value)
{
	const char *s;
	bool		ok = true;

	switch (opt->type)
	{
		case OPT_INT:
			(void) parse_int_option(opt, value);
			return;
		case OPT_URL:
			check_endpoint(opt->name, value);
			return;
		case OPT_TEXT:
			ok = value[0] != '\0';
			break;
		case OPT_REGION:
			ok = value[0] != '\0';
			for (s = value; *s; s++)
				if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
					  *s == '-'))
					ok = false;
			break;
		case OPT_ID:
			ok = value[0] != '\0';
			for (s = value; *s; s++)
				if ((unsigned char) *s < 0x20 || *s == '/')
					ok = false;
			break;
		case OPT_RESOURCE:
			{
				DwsResource res;

				if (!dws_resource_from_name(value, &res))
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for option \"resource\": \"%s\"",
									value),
							 errhint("Valid resources are: dr_clusters, disaster_recoveries, dr_progress, dr_events.")));
				return;
			}
		case OPT_PATH:
			ok = valid_json_path(value);
			break;
		case OPT_UNREACHABLE:
			(void) parse_unreachable(value);
			return;
	}

	if (!ok)
	{
		if (opt->secret)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"%s\"", opt->name),
					 errdetail("The value must not be empty.")));
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						opt->name, value),
				 opt->type == OPT_REGION ?
				 errhint("A region is written like cn-north-4.") :
				 opt->type == OPT_PATH ?
				 errhint("A field is a dotted JSON path such as \"primary_cluster.progress\".") :
				 opt->type == OPT_ID ?
				 errhint("A project id must not be empty or contain \"/\".") :
				 errhint("The value must not be empty.")));
	}
}

/*
 * Validator of every object of the wrapper: unknown or misplaced options,
 * bad values, and the combinations of credentials.  (PostgreSQL itself
 * refuses an option given twice before calling it.)
 */
Datum
dwsdr_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *lc;
	bool		has_ak = false,
				has_sk = false,
				has_token = false,
				has_auth = false;
	const char *endpoint = NULL,
			   *region = NULL,
			   *proxy = NULL,
			   *ca_file = NULL;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const char *value = defGetString(def);
		const DwsOption *opt = find_option(def->defname, catalog);

		if (opt == NULL)
		{
			char	   *valid = valid_options_list(catalog);

			if (is_secret_option(def->defname))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("option \"%s\" is allowed only on user mappings",
								def->defname),
						 errhint("Put credentials in CREATE USER MAPPING ... OPTIONS (...); valid options for %s are: %s.",
								 context_name(catalog),
								 valid[0] ? valid : "(none)")));
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 valid[0] ?
					 errhint("Valid options in this context are: %s.", valid) :
					 errhint("There are no valid options in this context.")));
		}

		check_no_control_chars(opt->name, value);
		check_option_value(opt, value);

		if (catalog == ForeignServerRelationId)
		{
			if (strcmp(opt->name, "endpoint") == 0)
				endpoint = value;
			else if (strcmp(opt->name, "region") == 0)
				region = value;
			else if (strcmp(opt->name, "proxy") == 0)
				proxy = value;
			else if (strcmp(opt->name, "ca_file") == 0)
				ca_file = value;
		}

		if (strcmp(opt->name, "access_key") == 0)
			has_ak = true;
		else if (strcmp(opt->name, "secret_key") == 0)
			has_sk = true;
		else if (strcmp(opt->name, "security_token") == 0)
			has_token = true;
		else if (strcmp(opt->name, "auth_token") == 0)
			has_auth = true;
	}

	if (catalog == ForeignServerRelationId)
	{
		/* as file_fdw's filename: reading a file is a server privilege */
		if (ca_file && !superuser() &&
			!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to set option \"ca_file\""),
					 errdetail("Only superusers and roles with privileges of the pg_read_server_files role may name a file of the database server.")));
		if (endpoint)
			check_hosts_at_ddl("endpoint", endpoint);
		else if (region)
			check_hosts_at_ddl("region", dws_region_endpoint(region));
		check_hosts_at_ddl("proxy", proxy);
	}

	if (catalog == UserMappingRelationId)
	{
		if (has_ak != has_sk)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("access_key and secret_key must be given together")));
		if (has_token && !has_ak)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("security_token requires access_key and secret_key"),
					 errhint("A security token comes with temporary credentials: give all three.")));
		if (has_auth && has_ak)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("auth_token cannot be combined with access_key"),
					 errhint("Use either access_key and secret_key (signed requests) or auth_token (an IAM token).")));
	}

	PG_RETURN_VOID();
}

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

static int64
int_default(const char *name)
{
	return find_option(name, ForeignServerRelationId)->dflt;
}

/*
 * The server's options with defaults applied and the endpoint resolved.
 */
void
dws_server_options(ForeignServer *server, DwsServerOptions *opts)
{
	ListCell   *lc;
	char	   *region = NULL;

	memset(opts, 0, sizeof(*opts));
	opts->endpoint_option = "endpoint";
	opts->max_concurrency = (int) int_default("max_concurrency");
	opts->connect_timeout_ms = (int) int_default("connect_timeout_ms");
	opts->timeout_ms = (int) int_default("timeout_ms");
	opts->max_retries = (int) int_default("max_retries");
	opts->max_retry_time_ms = (int) int_default("max_retry_time_ms");
	opts->max_response_bytes = int_default("max_response_bytes");

	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const char *name = def->defname;
		char	   *value = defGetString(def);
		const DwsOption *opt = find_option(name, ForeignServerRelationId);

		if (opt && opt->type == OPT_INT)
		{
			int64		v = parse_int_option(opt, value);

			if (strcmp(name, "max_concurrency") == 0)
				opts->max_concurrency = (int) v;
			else if (strcmp(name, "connect_timeout_ms") == 0)
				opts->connect_timeout_ms = (int) v;
			else if (strcmp(name, "timeout_ms") == 0)
				opts->timeout_ms = (int) v;
			else if (strcmp(name, "max_retries") == 0)
				opts->max_retries = (int) v;
			else if (strcmp(name, "max_retry_time_ms") == 0)
				opts->max_retry_time_ms = (int) v;
			else if (strcmp(name, "max_response_bytes") == 0)
				opts->max_response_bytes = v;
			else if (strcmp(name, "cache_ttl") == 0)
				opts->cache_ttl = (int) v;
			else if (strcmp(name, "rate_limit") == 0)
				opts->rate_limit = (int) v;
		}
		else if (strcmp(name, "region") == 0)
			region = value;
		else if (strcmp(name, "endpoint") == 0)
			opts->endpoint = value;
		else if (strcmp(name, "project_id") == 0)
			opts->project_id = value;
		else if (strcmp(name, "ca_file") == 0)
			opts->ca_file = value;
		else if (strcmp(name, "proxy") == 0)
			opts->proxy = value;
		else if (strcmp(name, "when_unreachable") == 0)
			opts->when_unreachable = parse_unreachable(value);
	}

	if (opts->endpoint == NULL && region != NULL)
	{
		opts->endpoint = dws_region_endpoint(region);
		opts->endpoint_option = "region";
	}
	if (opts->endpoint == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign server \"%s\" has neither region nor endpoint",
						server->servername),
				 errhint("Set one: ALTER SERVER %s OPTIONS (ADD region 'cn-north-4').",
						 quote_identifier(server->servername))));
	else
	{
		size_t		len = strlen(opts->endpoint);

		opts->endpoint = pstrdup(opts->endpoint);
		while (len > 0 && opts->endpoint[len - 1] == '/')
			opts->endpoint[--len] = '\0';
	}

	dws_check_hosts(server, opts);
}

/*
 * The check of every use of a server: when its owner (as server says) is
 * not a superuser, the endpoint and proxy of opts must be hosts that
 * dwsdr_fdw.allowed_hosts lists now.  Called when the options are read
 * (planning, EXPLAIN, a new connection) and at the start of every batch of
 * calls (api.c), with the options the connection calls.
 */
void
dws_check_hosts(ForeignServer *server, const DwsServerOptions *opts)
{
	/* a server a superuser owns is trusted as it is */
	if (superuser_arg(server->owner))
		return;
	check_hosts_at_use(server, opts->endpoint_option, opts->endpoint);
	check_hosts_at_use(server, "proxy", opts->proxy);
}

/*
 * The credentials of a user mapping.  A mapping without any is an error
 * here, at first use, with a hint saying what to add.
 */
void
dws_user_options(UserMapping *um, ForeignServer *server, DwsUserOptions *opts)
{
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	foreach(lc, um->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "access_key") == 0)
			opts->access_key = defGetString(def);
		else if (strcmp(def->defname, "secret_key") == 0)
			opts->secret_key = defGetString(def);
		else if (strcmp(def->defname, "security_token") == 0)
			opts->security_token = defGetString(def);
		else if (strcmp(def->defname, "auth_token") == 0)
			opts->auth_token = defGetString(def);
	}

	/* set before control characters were refused: never sent as headers */
	foreach(lc, um->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		check_no_control_chars(def->defname, defGetString(def));
	}

	if (opts->auth_token == NULL &&
		(opts->access_key == NULL || opts->secret_key == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("user mapping for server \"%s\" has no credentials",
						server->servername),
				 errhint("Add access_key and secret_key (or auth_token): ALTER USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (ADD access_key '...', ADD secret_key '...').",
						 quote_identifier(server->servername))));
}

void
dws_table_options(Oid relid, DwsTableOptions *opts)
{
	ForeignTable *ft = GetForeignTable(relid);
	ListCell   *lc;
	bool		have_resource = false;

	memset(opts, 0, sizeof(*opts));
	opts->page_size = DWS_EVENTS_PAGE_SIZE;
	foreach(lc, ft->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "resource") == 0)
			have_resource = dws_resource_from_name(defGetString(def),
												   &opts->resource);
		else if (strcmp(def->defname, "project_id") == 0)
			opts->project_id = defGetString(def);
		else if (strcmp(def->defname, "page_size") == 0)
			opts->page_size = (int)
				parse_int_option(find_option("page_size", ForeignTableRelationId),
								 defGetString(def));
	}
	if (!have_resource)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" has no resource option",
						get_rel_name(relid)),
				 errhint("Add one: ALTER FOREIGN TABLE %s OPTIONS (ADD resource 'dr_clusters'); valid resources are dr_clusters, disaster_recoveries, dr_progress, dr_events.",
						 quote_identifier(get_rel_name(relid)))));
}

/* The column's field option, or NULL. */
char *
dws_column_field(Oid relid, AttrNumber attnum)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "field") == 0)
			return defGetString(def);
	}
	return NULL;
}
