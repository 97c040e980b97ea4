/*-------------------------------------------------------------------------
 * apitime.c
 *	  API periods as text PostgreSQL can read.
 *
 * API times need no code of their own: PostgreSQL's timestamptz input
 * reads them (see time_value in schema.c).  What PostgreSQL cannot read is
 * the DR sync period ("20m", "3H", "1d"), whose units differ from an
 * interval's ("m" is minutes, "H" hours): this file turns it into an
 * interval literal.  No PostgreSQL headers, so the unit tests and the
 * fuzzers link it alone.
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "record.h"

/*
 * Turns a DR sync period into an interval literal.  Strict: digits then
 * one unit letter (m, H or d, case-sensitive as documented), nothing else.
 */
int
dws_sync_period_interval(const char *in, char *out, size_t outlen)
{
	const char *p = in;
	int			value = 0;
	const char *unit;
	char		buf[32];
	size_t		len;

	if (in == NULL || out == NULL)
		return -1;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
	{
		value = value * 10 + (*p - '0');
		if (value > 3000)
			return -1;
		p++;
	}
	switch (*p)
	{
		case 'm':
			unit = "minutes";
			break;
		case 'H':
			unit = "hours";
			break;
		case 'd':
			unit = "days";
			break;
		default:
			return -1;
	}
	if (p[1] != '\0' || value < 1)
		return -1;

	snprintf(buf, sizeof(buf), "%d %s", value, unit);
	len = strlen(buf);
	if (len + 1 > outlen)
		return -1;
	memcpy(out, buf, len + 1);
	return 0;
}

