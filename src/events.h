/*-------------------------------------------------------------------------
 * events.h
 *	  dr_events: the pages of the events call (events.c).
 *-------------------------------------------------------------------------
 */
#ifndef DWS_EVENTS_H
#define DWS_EVENTS_H

#include "fetch.h"

typedef struct DwsEvents DwsEvents;

extern DwsEvents *dws_events_begin(DwsFetch *f, DwsFetchSpec *spec,
								   DwsTableDesc *desc, int window);
extern json_t *dws_events_next(DwsEvents *ev, MemoryContext rowcxt,
							   TimestampTz *fetched_at);
extern char *dws_events_describe(Oid serverid, const char *project_id,
								 int page_size);
extern double dws_events_known(Oid serverid, const char *project_id);

#endif							/* DWS_EVENTS_H */
