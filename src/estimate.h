/*-------------------------------------------------------------------------
 * estimate.h
 *	  What this backend learned of a project's size from answers: the
 *	  tasks of its last list, the events of its last events count.  The
 *	  scans write it (fetch.c, events.c), the planner reads it; neither
 *	  calls the other.
 *-------------------------------------------------------------------------
 */
#ifndef DWS_ESTIMATE_H
#define DWS_ESTIMATE_H

extern void dws_estimate_note(Oid serverid, const char *key, double n);
extern double dws_estimate_get(Oid serverid, const char *key);

#endif							/* DWS_ESTIMATE_H */
