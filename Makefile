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
OBJS = dwsdr_fdw.o src/options.o src/schema.o src/pushdown.o src/plan.o src/fetch.o \
	src/cache.o src/sign.o src/record.o src/jsontext.o src/apitime.o \
	src/dwsbuf.o src/jsonsource.o src/msgtext.o src/list.o src/wipe.o src/events.o \
	src/shared.o
OBJS += src/row.o src/hosts.o
OBJS += src/connection.o src/api.o src/stats.o src/transport.o src/batch.o src/waitset.o
OBJS += src/analyze.o src/answer.o src/estimate.o src/explain.o src/fetchlist.o \
	src/unreachable.o
OBJS += src/budget.o src/activity.o
EXTENSION = dwsdr_fdw
DATA = dwsdr_fdw--1.0.sql dwsdr_fdw--1.0--1.1.sql dwsdr_fdw--1.1--1.2.sql
PGFILEDESC = "dwsdr_fdw - foreign data wrapper for GaussDB(DWS) DR tasks"

REGRESS = setup options import scan pushdown types times join analyze missing errors cancel network auth concurrency cache observability connections privileges encoding messages faults events regions unreachable plancheck
REGRESS += shared upgrade
# the files that need pg_cron preloaded (installcheck-cron runs them)
REGRESS_CRON = cookbook cron
REGRESS_OPTS = --load-extension=dwsdr_fdw

PKG_CONFIG ?= pkg-config
PG_CPPFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl jansson libcrypto)
SHLIB_LINK = $(shell $(PKG_CONFIG) --libs libcurl jansson libcrypto)
EXTRA_CLEAN = test/unit/test_sign test/unit/test_record recipes

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

print-regress:
	@echo $(REGRESS)

print-regress-cron:
	@echo $(REGRESS_CRON)

# every object depends on the shared headers (PGXS tracks no headers)
$(OBJS): src/dwsdr.h src/record.h src/sign.h src/compat.h src/dwsbuf.h src/list.h src/shared.h
$(OBJS): src/msgtext.h src/schema.h src/row.h src/jsonsource.h src/options.h src/hosts.h
$(OBJS): src/api.h src/connection.h src/stats.h src/transport.h src/transport_int.h src/waitset.h
$(OBJS): src/cache.h src/budget.h src/activity.h src/pushdown.h
$(OBJS): src/plan.h src/fetch.h src/events.h src/answer.h src/analyze.h src/estimate.h src/explain.h src/fetch_int.h

# ---- installcheck against a running server ----
MOCK_DIR = $(CURDIR)/.mock
MOCK_PORT ?= 18931
MOCK_TLS_PORT ?= 18932
export DWSDR_CA_FILE ?= $(MOCK_DIR)/tls/ca.pem

# the cookbook's SQL blocks go to ./recipes/ (pg_regress's output directory),
# where sql/cookbook.sql and sql/cron.sql include them
installcheck-cron:
	python3 scripts/cookbook-recipes .
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS_CRON)

# the DWS API stand-in in the background, over HTTP and HTTPS (test CA)
mock-start:
	@mkdir -p $(MOCK_DIR)
	@bash -c 'source scripts/lib.sh && make_test_certs "$(MOCK_DIR)/tls"'
	@python3 test/mock/dws_mock.py --port $(MOCK_PORT) --quiet \
		--tls-port $(MOCK_TLS_PORT) --tls-cert $(MOCK_DIR)/tls/server.pem \
		--tls-key $(MOCK_DIR)/tls/server.key > $(MOCK_DIR)/mock.log 2>&1 & \
		echo $$! > $(MOCK_DIR)/pid
	@for i in $$(seq 1 50); do \
		curl -s -o /dev/null http://127.0.0.1:$(MOCK_PORT)/__mock/stats && exit 0; \
		sleep 0.1; \
	done; cat $(MOCK_DIR)/mock.log; exit 1
	@echo "stand-in on 127.0.0.1:$(MOCK_PORT) and :$(MOCK_TLS_PORT); test CA $(MOCK_DIR)/tls/ca.pem"

mock-stop:
	@if [ -f $(MOCK_DIR)/pid ]; then kill $$(cat $(MOCK_DIR)/pid) 2>/dev/null || true; fi
	@rm -rf $(MOCK_DIR)

.PHONY: print-regress print-regress-cron installcheck-cron mock-start mock-stop
