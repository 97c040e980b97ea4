/*-------------------------------------------------------------------------
 * tap.h
 *	  A minimal TAP-style check harness for the dwsdr_fdw C unit tests.
 *
 * Each check prints "ok N - description" or "not ok N - description";
 * tap_done() prints "# P passed, F failed" and gives the exit status.
 * Header-only (static functions) so each test program stays one file.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_TAP_H
#define DWSDR_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_count = 0;
static int	tap_failed = 0;

/* Records one check; returns cond so callers can skip dependent checks. */
static int
tap_ok(int cond, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static int
tap_ok(int cond, const char *fmt,...)
{
	va_list		ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* Compares two strings (either may be NULL), showing both on mismatch. */
static int
tap_str(const char *got, const char *want, const char *desc)
{
	int			same;

	if (got == NULL || want == NULL)
		same = (got == want);
	else
		same = (strcmp(got, want) == 0);
	if (!tap_ok(same, "%s", desc))
	{
		printf("#   got:  %s%s%s\n", got ? "\"" : "", got ? got : "NULL",
			   got ? "\"" : "");
		printf("#   want: %s%s%s\n", want ? "\"" : "", want ? want : "NULL",
			   want ? "\"" : "");
	}
	return same;
}

/* Prints the summary line; the result is the process exit status. */
static int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	printf("# %d passed, %d failed\n", tap_count - tap_failed, tap_failed);
	return tap_failed == 0 ? 0 : 1;
}

#endif
