# Shared by scripts/demo, scripts/test and bench/run: install what the build
# needs, build and install the extension, start a throwaway PostgreSQL
# cluster (as the postgres user) and the local DWS API stand-in, and stop
# both on exit.  Source it; it expects to run as root (the callers re-run
# themselves under sudo).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin
: "${DWSDR_PGPORT:=54329}"
: "${DWSDR_MOCK_PORT:=18931}"
RUNDIR=""
MOCK_PID=""

log() { printf '%s\n' "-- $*" >&2; }

as_root() {
	if [ "$(id -u)" -ne 0 ]; then
		exec sudo -E bash "$0" "$@"
	fi
}

# Debian packages: the server, its headers, libcurl, jansson, OpenSSL,
# Python (the stand-in), and pg_cron.  Installs only what is missing.
ensure_deps() {
	local pkgs="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libcurl4-openssl-dev
		libjansson-dev libssl-dev pkg-config make gcc python3 postgresql-$PG_MAJOR-cron
		curl ${EXTRA_PKGS:-}"
	local missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "installing:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq --no-install-recommends $missing >&2
	fi
}

# DWSDR_ASAN=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer.
build_install() {
	local cflags=${PG_CFLAGS:-}
	local ldflags=""
	if [ -n "${DWSDR_ASAN:-}" ]; then
		cflags="$cflags -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
		ldflags="-fsanitize=address,undefined"
	fi
	log "building dwsdr_fdw${DWSDR_ASAN:+ with ASan and UBSan}"
	# rebuild everything when the flags change (a sanitizer build or not)
	if [ "$(cat "$REPO/.build-flags" 2>/dev/null)" != "$cflags" ]; then
		make -C "$REPO" -s clean >/dev/null 2>&1 || true
		printf '%s' "$cflags" > "$REPO/.build-flags"
	fi
	make -C "$REPO" -s PG_CONFIG="$PGBIN/pg_config" PG_CFLAGS="$cflags" \
		${ldflags:+PG_LDFLAGS="$ldflags"} >&2
	make -C "$REPO" -s install >&2
}

cleanup() {
	local rc=$?
	if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; fi
	if [ -n "$RUNDIR" ] && [ -d "$RUNDIR/data" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUNDIR/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	if [ -n "$RUNDIR" ] && [ -z "${DWSDR_KEEP:-}" ]; then rm -rf "$RUNDIR"; fi
	exit $rc
}

# A new cluster in a temporary directory, listening only on a Unix socket
# and 127.0.0.1:$DWSDR_PGPORT.  Extra postgresql.conf lines come in $1.
start_cluster() {
	RUNDIR=$(mktemp -d /tmp/dwsdr_fdw.XXXXXX)
	chmod 755 "$RUNDIR"
	chown postgres: "$RUNDIR"
	trap cleanup EXIT INT TERM
	log "starting a throwaway cluster in $RUNDIR (port $DWSDR_PGPORT)"
	runuser -u postgres -- "$PGBIN/initdb" -D "$RUNDIR/data" -A trust -U postgres >/dev/null
	cat >> "$RUNDIR/data/postgresql.conf" <<CONF
port = $DWSDR_PGPORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$RUNDIR'
fsync = off
${1:-}
CONF
	local env=()
	if [ -n "${DWSDR_ASAN:-}" ]; then
		# the server loads an AddressSanitizer build of the extension: the
		# runtime must come first, so preload it into the postmaster
		env=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
			ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1:log_path=$RUNDIR/asan"
			UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$RUNDIR/ubsan")
	fi
	runuser -u postgres -- env "${env[@]}" "$PGBIN/pg_ctl" -D "$RUNDIR/data" -l "$RUNDIR/server.log" -w start >/dev/null
	export PGHOST=$RUNDIR PGPORT=$DWSDR_PGPORT PGUSER=postgres
}

# The local DWS API stand-in on 127.0.0.1:$DWSDR_MOCK_PORT.
start_mock() {
	if curl -s -o /dev/null "http://127.0.0.1:$DWSDR_MOCK_PORT/__mock/stats"; then
		echo "port $DWSDR_MOCK_PORT is already in use; set DWSDR_MOCK_PORT" >&2
		exit 1
	fi
	python3 "$REPO/test/mock/dws_mock.py" --port "$DWSDR_MOCK_PORT" --quiet "$@" \
		> "${RUNDIR:-/tmp}/mock.log" 2>&1 &
	MOCK_PID=$!
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "http://127.0.0.1:$DWSDR_MOCK_PORT/__mock/stats" && return 0
		sleep 0.1
	done
	echo "the DWS API stand-in did not start:" >&2
	cat "${RUNDIR:-/tmp}/mock.log" >&2
	exit 1
}
