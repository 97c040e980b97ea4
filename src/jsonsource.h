/*-------------------------------------------------------------------------
 * jsonsource.h
 *	  The API's own text of values, read from the bytes of its answer
 *	  (jsonsource.c).
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_JSONSOURCE_H
#define DWSDR_JSONSOURCE_H

#include "row.h"

extern void dws_source_texts(const DwsSource *src, int n,
							 const char *const *paths, json_t *const *values,
							 char **texts);

#endif							/* DWSDR_JSONSOURCE_H */
