/*-------------------------------------------------------------------------
 * options.h
 *	  The options of servers, user mappings, foreign tables and columns, as
 *	  read by the validator's table (options.c), and dwsdr_fdw.allowed_hosts.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_OPTIONS_H
#define DWSDR_OPTIONS_H

#include "dwsdr.h"

/* What a scan does when the API cannot be reached (when_unreachable) */
typedef enum DwsUnreachable
{
	DWS_UNREACHABLE_ERROR,		/* the statement fails (the default) */
	DWS_UNREACHABLE_SKIP,		/* the scan returns no rows, with a WARNING */
	DWS_UNREACHABLE_STALE		/* the last kept answers, else as skip */
} DwsUnreachable;

typedef struct DwsServerOptions
{
	char	   *endpoint;		/* base URL, no trailing '/' */
	char	   *project_id;		/* default project, or NULL */
	int			max_concurrency;
	int			connect_timeout_ms;
	int			timeout_ms;
	int			max_retries;
	int			max_retry_time_ms;
	int			cache_ttl;		/* seconds; 0 = no cache across queries */
	int			rate_limit;		/* calls per second of the budget; 0 = none */
	int64		max_response_bytes;
	char	   *ca_file;
	char	   *proxy;
	const char *endpoint_option;	/* "endpoint" or "region": names it */
	DwsUnreachable when_unreachable;
} DwsServerOptions;

typedef struct DwsUserOptions
{
	char	   *access_key;
	char	   *secret_key;
	char	   *security_token;
	char	   *auth_token;
} DwsUserOptions;

typedef struct DwsTableOptions
{
	DwsResource resource;
	char	   *project_id;		/* overrides the server's, or NULL */
	int			page_size;		/* dr_events: events per page (limit) */
} DwsTableOptions;

#define DWS_EVENTS_PAGE_SIZE 1000	/* the API's default and largest limit */

extern void dws_server_options(ForeignServer *server, DwsServerOptions *opts);
extern void dws_check_hosts(ForeignServer *server, const DwsServerOptions *opts);
extern void dws_user_options(UserMapping *um, ForeignServer *server,
							 DwsUserOptions *opts);
extern void dws_table_options(Oid relid, DwsTableOptions *opts);
extern char *dws_column_field(Oid relid, AttrNumber attnum);
extern bool dws_has_control_char(const char *value);
extern void dws_options_init(void);

/* moves on at each change of dwsdr_fdw.allowed_hosts (connection.c reads it) */
extern PGDLLIMPORT uint64 dws_allowed_hosts_generation;

#endif							/* DWSDR_OPTIONS_H */
