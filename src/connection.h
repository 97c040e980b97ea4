/*-------------------------------------------------------------------------
 * connection.h
 *	  The connection of each user mapping, kept across queries: its
 *	  options and credentials, its transport, its cache_ttl answers; the
 *	  SQL functions dwsdr_get_connections() and dwsdr_disconnect*().
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_CONNECTION_H
#define DWSDR_CONNECTION_H

#include "dwsdr.h"

#include "foreign/foreign.h"

#include "hosts.h"
#include "cache.h"
#include "options.h"
#include "stats.h"
#include "transport.h"

typedef struct DwsConn DwsConn;

/* What a batch last checked of its connection's hosts (dws_conn_check) */
typedef struct DwsConnChecked
{
	uint64		epoch;			/* catalog changes seen */
	uint64		generation;		/* dws_allowed_hosts_generation seen */
} DwsConnChecked;

extern DwsConn *dws_get_conn(ForeignServer *server, UserMapping *um);
extern void dws_conn_pin(DwsConn *conn, MemoryContext owner);
extern bool dws_conn_current(DwsConn *conn);
extern void dws_conn_check(DwsConn *conn, DwsConnChecked *checked,
						   bool always);

extern DwsCache *dws_conn_cache(DwsConn *conn);
extern const DwsServerOptions *dws_conn_options(DwsConn *conn);
extern const DwsUserOptions *dws_conn_creds(DwsConn *conn);
extern const DwsUrl *dws_conn_url(DwsConn *conn);
extern Oid	dws_conn_serverid(DwsConn *conn);
extern Oid	dws_conn_userid(DwsConn *conn);
extern DwsStats *dws_conn_stats(DwsConn *conn);
extern struct DwsShared *dws_conn_shared(DwsConn *conn);
extern DwsTransport *dws_conn_transport(DwsConn *conn);
extern int	dws_conn_max_concurrency(DwsConn *conn);

extern void dws_cache_clear_all(void);

#endif							/* DWSDR_CONNECTION_H */
