/*-------------------------------------------------------------------------
 * options.c
 *	  The options of dwsdr_fdw: one table drives the validator, the defaults
 *	  and the readers (each option names its member of the option structs).
 *	  Integer times also take a unit (30s), read by PostgreSQL's parse_int.
 *
 * Secret options (secret_key, security_token, auth_token) exist only in the
 * user-mapping context, and their values are never echoed in a message.
 *
 * Least privilege: a server whose owner is not a superuser may only reach
 * the hosts of dwsdr_fdw.allowed_hosts (checked when a non-superuser sets
 * its endpoint or proxy, and again whenever its options are read; the
 * matching is hosts.c's), and
 * only a superuser or a member of pg_read_server_files may name a ca_file.
 * No option value may hold a control character: values become HTTP headers
 * and URL parts.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "schema.h"

#include <stddef.h>

#include "access/reloptions.h"
#include "catalog/pg_authid.h"
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

#include "hosts.h"
#include "msgtext.h"
#include "options.h"

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

/*
 * What the readers fill, by the table's offsets: the option structs, and
 * the options read only to resolve them (region, resource).
 */
typedef struct ServerRead
{
	DwsServerOptions o;
	char	   *region;
} ServerRead;

typedef struct TableRead
{
	DwsTableOptions o;
	char	   *resource;
} TableRead;

typedef struct ColumnRead
{
	char	   *field;
} ColumnRead;

typedef struct DwsOption
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
	size_t		offset;			/* where the reader stores it, in the
								 * context's struct above (DwsUserOptions
								 * for user mappings) */
	size_t		size;			/* the size of that member */
	DwsOptType	type;
	int64		min;
	int64		max;
	int64		dflt;			/* default of OPT_INT options */
	int			unit;			/* OPT_INT: GUC_UNIT_MS or GUC_UNIT_S for a
								 * time, which may be given with a unit */
	bool		secret;
} DwsOption;

#define MEMBER(type, m) offsetof(type, m), sizeof(((type *) 0)->m)
#define SRV(m)	ForeignServerRelationId, MEMBER(ServerRead, m)
#define UM(m)	UserMappingRelationId, MEMBER(DwsUserOptions, m)
#define TBL(m)	ForeignTableRelationId, MEMBER(TableRead, m)
#define COL(m)	AttributeRelationId, MEMBER(ColumnRead, m)

/*
 * The one table of options: the validator checks by it and the readers
 * read by it.  README.md documents each of them.
 */
static const DwsOption dws_options[] = {
	/* server */
	{"region", SRV(region), OPT_REGION},
	{"endpoint", SRV(o.endpoint), OPT_URL},
	{"project_id", SRV(o.project_id), OPT_ID},
	{"max_concurrency", SRV(o.max_concurrency), OPT_INT, 1, 256, 8},
	{"connect_timeout_ms", SRV(o.connect_timeout_ms), OPT_INT, 1, 600000, 5000,
	GUC_UNIT_MS},
	{"timeout_ms", SRV(o.timeout_ms), OPT_INT, 1, 3600000, 30000, GUC_UNIT_MS},
	{"max_retries", SRV(o.max_retries), OPT_INT, 0, 10, 3},
	{"max_retry_time_ms", SRV(o.max_retry_time_ms), OPT_INT, 0, 3600000, 60000,
	GUC_UNIT_MS},
	{"max_response_bytes", SRV(o.max_response_bytes), OPT_INT, 1024,
	INT64CONST(1073741824), 8 * 1024 * 1024},
	{"cache_ttl", SRV(o.cache_ttl), OPT_INT, 0, 86400, 0, GUC_UNIT_S},
	{"rate_limit", SRV(o.rate_limit), OPT_INT, 1, 100000, 0},
	{"ca_file", SRV(o.ca_file), OPT_TEXT},
	{"proxy", SRV(o.proxy), OPT_URL},
	{"when_unreachable", SRV(o.when_unreachable), OPT_UNREACHABLE},
	/* user mapping */
	{"access_key", UM(access_key), OPT_TEXT},
	{"secret_key", UM(secret_key), OPT_TEXT, 0, 0, 0, 0, true},
	{"security_token", UM(security_token), OPT_TEXT, 0, 0, 0, 0, true},
	{"auth_token", UM(auth_token), OPT_TEXT, 0, 0, 0, 0, true},
	/* foreign table */
	{"resource", TBL(resource), OPT_RESOURCE},
	{"project_id", TBL(o.project_id), OPT_ID},
	/* dr_events: events per page (the API's limit); for tests of paging */
	{"page_size", TBL(o.page_size), OPT_INT, 1, DWS_EVENTS_PAGE_SIZE,
	DWS_EVENTS_PAGE_SIZE},
	/* column */
	{"field", COL(field), OPT_PATH},
	{NULL}
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

/*
 * Reads an integer option: a whole number in digits within the table's
 * range, as ever; a time may be followed by a unit (30s, 5min, 1h), read by
 * PostgreSQL's parse_int as a setting's would be, and a plain number is in
 * the option's own unit.  The digits are checked here because parse_int
 * also takes blanks, a sign, fractions, octal and hex.
 */
static int64
parse_int_option(const DwsOption *opt, const char *value)
{
	bool		negative = (value[0] == '-');
	const char *digits = value + negative;
	size_t		ndigits = strspn(digits, "0123456789");
	const char *unit = digits + ndigits;
	const char *unit_hint = NULL;
	int			v = 0;
	bool		ok;

	while (ndigits > 1 && digits[0] == '0')
	{
		digits++;				/* 010 is ten, not octal */
		ndigits--;
	}
	ok = ndigits > 0 &&
		(unit[0] == '\0' ||
		 (opt->unit != 0 &&
		  strspn(unit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
		  strlen(unit))) &&
		parse_int(psprintf("%s%s", negative ? "-" : "", digits), &v,
				  opt->unit, &unit_hint);
	if (ok && v >= opt->min && v <= opt->max)
		return v;
	if (opt->unit == 0 || unit[0] == '\0' || ndigits == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						opt->name, value),
				 errhint("Use a whole number from " INT64_FORMAT " to " INT64_FORMAT ".",
						 opt->min, opt->max)));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"",
					opt->name, value),
			 ok || unit_hint == NULL ?
			 errhint("Use a time from " INT64_FORMAT " to " INT64_FORMAT " %s: a whole number, or one with a unit such as 30s, 5min or 1h.",
					 opt->min, opt->max, opt->unit == GUC_UNIT_S ? "s" : "ms") :
			 errhint("%s", _(unit_hint))));
	return 0;					/* keep compiler quiet */
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

		if (!dws_valid_host_entry(e))
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
 * CREATE/ALTER SERVER by a role that is not a superuser: the endpoint (or
 * the one the region derives) and the proxy must be allowed hosts.
 */
static void
check_hosts_at_ddl(const char *optname, const char *url)
{
	char	   *host;

	if (url == NULL || superuser() || dws_url_host_allowed(url, dws_allowed_hosts, &host))
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

	if (url == NULL || dws_url_host_allowed(url, dws_allowed_hosts, &host))
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

/* Stores value in the member of dst that the option's entry names. */
static void
store_option(const DwsOption *opt, void *dst, char *value)
{
	char	   *member = (char *) dst + opt->offset;

	switch (opt->type)
	{
		case OPT_INT:
			if (opt->size == sizeof(int64))
				*(int64 *) member = parse_int_option(opt, value);
			else
			{
				Assert(opt->size == sizeof(int));
				*(int *) member = (int) parse_int_option(opt, value);
			}
			break;
		case OPT_UNREACHABLE:
			Assert(opt->size == sizeof(DwsUnreachable));
			*(DwsUnreachable *) member = parse_unreachable(value);
			break;
		default:
			Assert(opt->size == sizeof(char *));
			*(char **) member = value;
			break;
	}
}

/*
 * Reads the options of one catalog into dst, zeroed by the caller (the
 * context's struct of the table): the integers' defaults, then every
 * option given.
 */
static void
read_options(List *options, Oid context, void *dst)
{
	const DwsOption *opt;
	ListCell   *lc;

	for (opt = dws_options; opt->name; opt++)
		if (opt->context == context && opt->type == OPT_INT)
		{
			if (opt->size == sizeof(int64))
				*(int64 *) ((char *) dst + opt->offset) = opt->dflt;
			else
				*(int *) ((char *) dst + opt->offset) = (int) opt->dflt;
		}
	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		opt = find_option(def->defname, context);
		if (opt != NULL)
			store_option(opt, dst, defGetString(def));
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
	}

	if (catalog == ForeignServerRelationId)
	{
		ServerRead	r;

		memset(&r, 0, sizeof(r));
		read_options(options, catalog, &r);
		/* as file_fdw's filename: reading a file is a server privilege */
		if (r.o.ca_file && !superuser() &&
			!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to set option \"ca_file\""),
					 errdetail("Only superusers and roles with privileges of the pg_read_server_files role may name a file of the database server.")));
		if (r.o.endpoint)
			check_hosts_at_ddl("endpoint", r.o.endpoint);
		else if (r.region)
			check_hosts_at_ddl("region", dws_region_endpoint(r.region));
		check_hosts_at_ddl("proxy", r.o.proxy);
	}

	if (catalog == UserMappingRelationId)
	{
		DwsUserOptions u;
		bool		has_ak,
					has_sk;

		memset(&u, 0, sizeof(u));
		read_options(options, catalog, &u);
		has_ak = u.access_key != NULL;
		has_sk = u.secret_key != NULL;
		if (has_ak != has_sk)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("access_key and secret_key must be given together")));
		if (u.security_token && !has_ak)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("security_token requires access_key and secret_key"),
					 errhint("A security token comes with temporary credentials: give all three.")));
		if (u.auth_token && has_ak)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("auth_token cannot be combined with access_key"),
					 errhint("Use either access_key and secret_key (signed requests) or auth_token (an IAM token).")));
	}

	PG_RETURN_VOID();
}

/*
 * The server's options with defaults applied and the endpoint resolved.
 */
void
dws_server_options(ForeignServer *server, DwsServerOptions *opts)
{
	ServerRead	r;

	memset(&r, 0, sizeof(r));
	read_options(server->options, ForeignServerRelationId, &r);
	*opts = r.o;
	opts->endpoint_option = "endpoint";
	if (opts->endpoint == NULL && r.region != NULL)
	{
		opts->endpoint = dws_region_endpoint(r.region);
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
	read_options(um->options, UserMappingRelationId, opts);

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
	TableRead	r;

	memset(&r, 0, sizeof(r));
	read_options(GetForeignTable(relid)->options, ForeignTableRelationId, &r);
	*opts = r.o;
	if (r.resource == NULL || !dws_resource_from_name(r.resource, &opts->resource))
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
	ColumnRead	r;

	memset(&r, 0, sizeof(r));
	read_options(GetForeignColumnOptions(relid, attnum), AttributeRelationId,
				 &r);
	return r.field;
}
