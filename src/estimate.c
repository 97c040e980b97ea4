/*-------------------------------------------------------------------------
 * estimate.c
 *	  The sizes answers showed, for the planner of later queries: the
 *	  number of tasks in a project's last list answer (key: the project
 *	  id), or of its events (events.c's key).  Per backend, per server.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "estimate.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"

typedef struct SeenKey
{
	Oid			serverid;
	char		key[NAMEDATALEN * 2];
} SeenKey;

typedef struct SeenEntry
{
	SeenKey		key;
	double		n;
} SeenEntry;

static HTAB *seen = NULL;

/* false when key is too long to be kept (it is then ignored) */
static bool
seen_key(SeenKey *k, Oid serverid, const char *key)
{
	if (key == NULL || strlen(key) >= sizeof(k->key))
		return false;
	memset(k, 0, sizeof(SeenKey));
	k->serverid = serverid;
	strlcpy(k->key, key, sizeof(k->key));
	return true;
}

/* Remembers n for (serverid, key). */
void
dws_estimate_note(Oid serverid, const char *key, double n)
{
	SeenKey		k;
	SeenEntry  *e;

	if (!OidIsValid(serverid) || !seen_key(&k, serverid, key))
		return;
	if (seen == NULL)
		seen = dws_backend_hash("dwsdr_fdw tasks seen", 16, sizeof(SeenKey),
								sizeof(SeenEntry), TopMemoryContext);
	e = hash_search(seen, &k, HASH_ENTER, NULL);
	e->n = n;
}

/* The last n noted for (serverid, key), or -1. */
double
dws_estimate_get(Oid serverid, const char *key)
{
	SeenKey		k;
	SeenEntry  *e;

	if (seen == NULL || !seen_key(&k, serverid, key))
		return -1;
	e = hash_search(seen, &k, HASH_FIND, NULL);
	return e ? e->n : -1;
}
