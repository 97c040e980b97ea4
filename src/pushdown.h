/*-------------------------------------------------------------------------
 * pushdown.h
 *	  The WHERE clauses that name tasks or projects (pushdown.c).
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_PUSHDOWN_H
#define DWSDR_PUSHDOWN_H

#include "dwsdr.h"

typedef struct DwsKeyQual
{
	Expr	   *expr;			/* the non-Var side */
	Node	   *clause;			/* the clause, as found in the list given */
	bool		is_array;		/* = ANY(expr) */
	int			nvalues;		/* known number of values, -1 if unknown */
} DwsKeyQual;

extern DwsKeyQual *dws_find_key_qual(PlannerInfo *root, RelOptInfo *baserel,
									 List *clauses, AttrNumber attnum,
									 Relids allowed_outer);
extern List *dws_key_values(ExprState *state, bool is_array,
							ExprContext *econtext, Oid typid);

/* the guess of the values of an array parameter (= ANY($1)) */
#define DWS_ARRAY_GUESS 10
extern double dws_key_guess(const DwsKeyQual *q);

#endif							/* DWSDR_PUSHDOWN_H */
