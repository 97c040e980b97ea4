/*-------------------------------------------------------------------------
 * analyze.h
 *	  ANALYZE of a foreign table (analyze.c).
 *-------------------------------------------------------------------------
 */
#ifndef DWS_ANALYZE_H
#define DWS_ANALYZE_H

#include "foreign/fdwapi.h"

extern bool dws_analyze_foreign_table(Relation relation,
									  AcquireSampleRowsFunc *func,
									  BlockNumber *totalpages);

#endif							/* DWS_ANALYZE_H */
