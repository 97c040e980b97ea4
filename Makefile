# dwsdr_fdw: PGXS build.  `make && make install`; `make PG_CFLAGS=-Werror`
# fails on any warning (CI does).  The tests: scripts/test (see README.md).

MODULE_big = dwsdr_fdw
OBJS = dwsdr_fdw.o src/options.o src/schema.o src/pushdown.o src/fetch.o \
	src/http.o src/cache.o src/sign.o src/record.o src/jsontext.o src/apitime.o src/dwsbuf.o src/jsonpg.o src/msgtext.o src/list.o
EXTENSION = dwsdr_fdw
DATA = dwsdr_fdw--1.0.sql
PGFILEDESC = "dwsdr_fdw - foreign data wrapper for GaussDB(DWS) DR tasks"

REGRESS = options import scan pushdown types times join missing errors cancel network auth concurrency cache observability cookbook cron connections privileges encoding messages faults
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

# every object depends on the shared headers (PGXS tracks no headers)
$(OBJS): src/dwsdr.h src/record.h src/sign.h src/dwsbuf.h src/list.h
