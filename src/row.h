/*-------------------------------------------------------------------------
 * row.h
 *	  Rows built from records (row.c).
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_ROW_H
#define DWSDR_ROW_H

#include "schema.h"

/*
 * The bytes a record was read from, for the API's own text of its values
 * (jsonsource.c): a per-task answer, whose record is its member "member",
 * or a list item (member NULL), whose primary_cluster.X is its flat key
 * primary_cluster_X.  body is NULL when there are none (a record read from
 * a whole list parsed at once); it need not be NUL-terminated.
 */
typedef struct DwsSource
{
	const char *body;
	size_t		len;
	const char *member;
	bool		list_item;
	TimestampTz fetched_at;		/* when the oldest answer behind the
								 * record was received, or 0 */
} DwsSource;

extern int	dws_record_rows(DwsTableDesc *desc, json_t *record);
extern void dws_build_row(DwsTableDesc *desc, json_t *record,
						  const DwsSource *src, int rowno, Datum *values,
						  bool *nulls);

#endif							/* DWSDR_ROW_H */
