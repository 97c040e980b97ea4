/*-------------------------------------------------------------------------
 * schema.h
 *	  The API's fields and the foreign tables' columns (schema.c): table
 *	  descriptions, the calls their columns need, IMPORT FOREIGN SCHEMA.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_SCHEMA_H
#define DWSDR_SCHEMA_H

#include "dwsdr.h"

typedef enum DwsColKind
{
	DWS_COL_PATH,				/* a JSON path of the canonical record */
	DWS_COL_SIDE,				/* dr_clusters.side */
	DWS_COL_RAW,				/* the record as the API returned it */
	DWS_COL_FETCHED				/* when its answer came from the API */
} DwsColKind;

/* How one attribute of a foreign table is filled */
typedef struct DwsColumn
{
	AttrNumber	attnum;
	char	   *name;
	DwsColKind	kind;
	char	   *path;			/* DWS_COL_PATH: dotted JSON path */
	bool		cluster_relative;	/* path starts at the row's cluster */
	int			sources;		/* DWS_SRC_* that provide it */
	bool		unused;			/* the plan never reads it: left NULL */
	bool		epoch_ms;		/* an integer of epoch milliseconds (a
								 * time column reads it as an instant) */
	Oid			typid;
	int32		typmod;
	Oid			basetypid;		/* typid, or a domain's base type */
	int32		basetypmod;
	Oid			typioparam;
	FmgrInfo	typinput;
} DwsColumn;

/* All attributes of a foreign table, resolved */
typedef struct DwsTableDesc
{
	Oid			relid;
	char	   *relname;
	DwsResource resource;
	int			ncolumns;		/* = relation's natts; dropped ones kind PATH
								 * with path NULL */
	DwsColumn  *columns;		/* indexed by attnum - 1 */
	AttrNumber	id_attnum;		/* column holding the task id, or 0 */
	AttrNumber	project_attnum; /* column holding the project id, or 0 */
} DwsTableDesc;

extern DwsTableDesc *dws_table_desc(Relation rel, DwsResource res);
extern void dws_table_desc_restrict(DwsTableDesc *desc, List *used_attnums);
extern void dws_columns_needs(DwsTableDesc *desc, Bitmapset *attrs_used,
							  bool *list_fields, bool *per_id_fields);
extern List *dws_import_statements(ImportForeignSchemaStmt *stmt,
								   ForeignServer *server);
extern DwsCallKind dws_per_id_call(DwsResource res);
extern const char *dws_resource_name(DwsResource res);
extern bool dws_resource_from_name(const char *name, DwsResource *res);

#endif							/* DWSDR_SCHEMA_H */
