# dwsdr_fdw: PGXS build.  `make && make install`; `make PG_CFLAGS=-Werror`
# fails on any warning (CI does).  The tests: scripts/test (see README.md).
#
# `make installcheck` runs the pg_regress files against a server you run
# (PGHOST, PGPORT, PGUSER as for psql; a superuser), with the DWS API
# stand-in listening on 127.0.0.1:18931 (HTTP) and 18932 (HTTPS):
#   make install && make mock-start && make installcheck && make mock-stop
# mock-start writes a test CA to .mock/tls/ca.pem (it must be readable by
# the server's user); installcheck hands it to the tests as DWSDR_CA_FILE.
# `make installcheck-cron` runs the files that need pg_cron, in a server
# with shared_preload_libraries = 'pg_cron',
# cron.database_name = 'contrib_regression' and
# cron.use_background_workers = on.

MODULE_big = dwsdr_fdw
OBJS = dwsdr_fdw.o src/options.o src/schema.o src/pushdown.o src/fetch.o \
	src/http.o src/cache.o src/sign.o src/record.o src/jsontext.o src/apitime.o src/dwsbuf.o src/jsonpg.o src/msgtext.o
EXTENSION = dwsdr_fdw
DATA = dwsdr_fdw--1.0.sql dwsdr_fdw--1.1.sql dwsdr_fdw--1.0--1.1.sql
PGFILEDESC = "dwsdr_fdw - foreign data wrapper for GaussDB(DWS) DR tasks"

REGRESS = options import scan pushdown types times join missing errors cancel network auth concurrency cache observability connections privileges encoding messages
REGRESS += upgrade
# the files that need pg_cron preloaded (installcheck-cron runs them)
REGRESS_CRON = cookbook cron
REGRESS_OPTS = --load-extension=dwsdr_fdw

PKG_CONFIG ?= pkg-config
PG_CPPFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl jansson libcrypto)
SHLIB_LINK = $(shell $(PKG_CONFIG) --libs libcurl jansson libcrypto)
EXTRA_CLEAN = test/unit/test_sign test/unit/test_record

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

print-regress:
	@echo $(REGRESS)

print-regress-cron:
	@echo $(REGRESS_CRON)

# every object depends on the shared headers (PGXS tracks no headers)
REGRESS = options import scan pushdown types times join missing errors cancel network auth concurrency cache observability connections privileges encoding messages
REGRESS += upgrade
# the files that need pg_cron preloaded (installcheck-cron runs them)
REGRESS_CRON = cookbook cron
