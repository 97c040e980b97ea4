/*-------------------------------------------------------------------------
 * pushdown.c
 *	  Which WHERE clauses name tasks (or projects), and their values.
 *
 * A clause "col = expr" or "col = ANY(expr)" (IN lists are the latter),
 * where col is the task-id (or project-id) column, the operator is the
 * column type's equality and expr uses no column of this table, turns into
 * calls.  expr may be a constant, a parameter ($1, a PL/pgSQL variable, an
 * initplan such as ARRAY(SELECT ...)) or, on a parameterized path, a column
 * of the outer side of a nested loop.  The clause chosen is guaranteed by
 * the scan (fetch.c checks that each answer is for the id asked), so the
 * plan drops it from the per-row filter; any other clause stays a filter.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "pushdown.h"

#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "executor/executor.h"
#include "catalog/pg_operator.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/restrictinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"


static List *key_values_from_datum(Datum d, bool isnull, bool is_array,
								   Oid typid);

/* The Var of baserel's column attnum, under any binary-compatible relabel. */
static bool
is_key_var(Node *node, RelOptInfo *baserel, AttrNumber attnum)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node && IsA(node, Var) &&
		((Var *) node)->varno == baserel->relid &&
		((Var *) node)->varattno == attnum &&
		((Var *) node)->varlevelsup == 0;
}

/*
 * True when "col = value" (opno, with input collation collid) is byte
 * equality of the id as the API knows it, so that asking for the value's
 * text finds exactly the rows the clause keeps.  Only text, varchar and uuid
 * keys qualify, under a deterministic collation: a case-insensitive
 * collation or type (citext), or bpchar's blank-padding, would make
 * '...' = '...' true for ids the API spells differently, and those rows
 * would never be fetched.
 */
static bool
is_key_equality(Oid opno, Oid collid, Node *keyvar)
{
	Oid			typid;
	TypeCacheEntry *tce;

	while (IsA(keyvar, RelabelType))
		keyvar = (Node *) ((RelabelType *) keyvar)->arg;
	typid = exprType(keyvar);
	if (typid != TEXTOID && typid != VARCHAROID && typid != UUIDOID)
		return false;
	if (OidIsValid(collid) && !get_collation_isdeterministic(collid))
		return false;
	if (opno == TextEqualOperator)
		return typid != UUIDOID;
	tce = lookup_type_cache(typid, TYPECACHE_EQ_OPR);
	return OidIsValid(tce->eq_opr) && tce->eq_opr == opno;
}

/*
 * The other side can be evaluated before the scan: no column of this table,
 * only columns of allowed_outer rels, nothing volatile, no subplan.
 */
static bool
is_usable_value(Node *expr, RelOptInfo *baserel, Relids allowed_outer)
{
	Relids		varnos = pull_varnos(NULL, expr);
	bool		ok;

	ok = !bms_is_member(baserel->relid, varnos) &&
		bms_is_subset(varnos, allowed_outer) &&
		!contain_volatile_functions(expr) &&
		!contain_subplans(expr) &&
		!contain_agg_clause(expr) &&
		!contain_window_function(expr);
	bms_free(varnos);
	return ok;
}

/*
 * Number of distinct non-null values of a constant key expression, -1 when
 * it is not a constant (a parameter, an outer column).
 */
static int
const_values(Node *expr, bool is_array)
{
	if (IsA(expr, Const))
		return list_length(key_values_from_datum(((Const *) expr)->constvalue,
												 ((Const *) expr)->constisnull,
												 is_array,
												 ((Const *) expr)->consttype));
	return -1;
}

/*
 * Known number of values, or the guess: one for "=", DWS_ARRAY_GUESS for
 * "= ANY" of a parameter.  The one guess: choosing a clause and costing
 * the scan both read it.
 */
double
dws_key_guess(const DwsKeyQual *q)
{
	if (q->nvalues >= 0)
		return q->nvalues;
	return q->is_array ? DWS_ARRAY_GUESS : 1;
}

/*
 * The best clause of clauses (RestrictInfos or bare expressions) naming
 * values of column attnum, or NULL: the one with the fewest known values,
 * "=" before "= ANY".
 */
DwsKeyQual *
dws_find_key_qual(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
				  AttrNumber attnum, Relids allowed_outer)
{
	DwsKeyQual *best = NULL;
	ListCell   *lc;

	if (attnum == 0)
		return NULL;

	foreach(lc, clauses)
	{
		Node	   *clause = (Node *) lfirst(lc);
		DwsKeyQual	cand = {0};

		if (IsA(clause, RestrictInfo))
			clause = (Node *) ((RestrictInfo *) clause)->clause;

		if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
		{
			OpExpr	   *op = (OpExpr *) clause;
			Node	   *l = linitial(op->args);
			Node	   *r = lsecond(op->args);

			if (is_key_var(r, baserel, attnum))
			{
				Node	   *t = l;

				l = r;
				r = t;
			}
			if (!is_key_var(l, baserel, attnum) || !is_key_equality(op->opno, op->inputcollid, l) ||
				!is_usable_value(r, baserel, allowed_outer))
				continue;
			cand.expr = (Expr *) r;
			cand.clause = (Node *) lfirst(lc);
			cand.is_array = false;
			cand.nvalues = const_values(r, false);
		}
		else if (IsA(clause, ScalarArrayOpExpr))
		{
			ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) clause;
			Node	   *l = linitial(sa->args);
			Node	   *r = lsecond(sa->args);

			if (!sa->useOr || !is_key_var(l, baserel, attnum) ||
				!is_key_equality(sa->opno, sa->inputcollid, l) ||
				!is_usable_value(r, baserel, allowed_outer))
				continue;
			cand.expr = (Expr *) r;
			cand.clause = (Node *) lfirst(lc);
			cand.is_array = true;
			cand.nvalues = const_values(r, true);
		}
		else
			continue;

		if (best == NULL || dws_key_guess(&cand) < dws_key_guess(best))
		{
			if (best == NULL)
				best = palloc(sizeof(DwsKeyQual));
			*best = cand;
		}
	}
	return best;
}

static int
cmp_cstring_cells(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*
 * The distinct non-null values of a key datum (an array when is_array) as
 * text, sorted.
 */
static List *
key_values_from_datum(Datum d, bool isnull, bool is_array, Oid typid)
{
	List	   *result = NIL;
	Oid			elemtype;
	Oid			outfunc;
	bool		varlena;
	Datum	   *elems;
	bool	   *elemnulls;
	int			nelems;
	int			i;

	if (isnull)
		return NIL;

	if (!is_array)
	{
		elems = &d;
		elemnulls = &isnull;
		nelems = 1;
		elemtype = typid;
	}
	else
	{
		ArrayType  *arr = DatumGetArrayTypeP(d);
		int16		typlen;
		bool		typbyval;
		char		typalign;

		elemtype = ARR_ELEMTYPE(arr);
		get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
		deconstruct_array(arr, elemtype, typlen, typbyval, typalign,
						  &elems, &elemnulls, &nelems);
	}

	/*
	 * The API's text is UTF-8: the values go into URLs, headers and JSON,
	 * and are compared with the ids of its answers, so they are converted
	 * from the database encoding here, once (always possible to UTF-8).
	 */
	getTypeOutputInfo(elemtype, &outfunc, &varlena);
	for (i = 0; i < nelems; i++)
		if (!elemnulls[i])
		{
			char	   *text = OidOutputFunctionCall(outfunc, elems[i]);

			result = lappend(result,
							 pg_server_to_any(text, strlen(text), PG_UTF8));
		}

	/* sort and drop duplicates: each id is asked once */
	if (list_length(result) > 1)
	{
		ListCell   *lc;
		char	   *prev = NULL;
		List	   *uniq = NIL;

		list_sort(result, cmp_cstring_cells);
		foreach(lc, result)
		{
			char	   *s = (char *) lfirst(lc);

			if (prev == NULL || strcmp(prev, s) != 0)
				uniq = lappend(uniq, s);
			prev = s;
		}
		list_free(result);
		result = uniq;
	}
	return result;
}

/*
 * Evaluates a key expression and returns its distinct non-null values as
 * text (List of char *), sorted.
 */
List *
dws_key_values(ExprState *state, bool is_array, ExprContext *econtext,
			   Oid typid)
{
	bool		isnull;
	Datum		d = ExecEvalExpr(state, econtext, &isnull);

	return key_values_from_datum(d, isnull, is_array, typid);
}
