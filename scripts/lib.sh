# Shared by scripts/demo, scripts/test and bench/run: install what the build
# needs, build and install the extension, start a throwaway PostgreSQL
# cluster (as the postgres user) and the local DWS API stand-in, and stop
# both on exit.  Source it; it expects to run as root (the callers re-run
# themselves under sudo).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
# DWSDR_PGBIN: another installation's bin directory (a private copy of the
# server, so that two checkouts can install and test at once)
PGBIN=${DWSDR_PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}
: "${DWSDR_PGPORT:=54329}"
: "${DWSDR_MOCK_PORT:=18931}"
: "${DWSDR_MOCK_TLS_PORT:=18932}"
RUNDIR=""
MOCK_PID=""

log() { printf '%s\n' "-- $*" >&2; }

as_root() {
	if [ "$(id -u)" -ne 0 ]; then
		exec sudo -E bash "$0" "$@"
	fi
}

# Debian packages: the server, its headers, libcurl, jansson, OpenSSL,
# Python (the stand-in), pg_cron, and openssl with the system CA store (the
# stand-in's test certificates; verification against the system store).
# Installs only what is missing.
ensure_deps() {
	local pkgs="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libcurl4-openssl-dev
		libjansson-dev libssl-dev pkg-config make gcc python3 postgresql-$PG_MAJOR-cron
		curl openssl ca-certificates ${EXTRA_PKGS:-}"
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

build_install() {
	log "building dwsdr_fdw"
	make -C "$REPO" -s PG_CONFIG="$PGBIN/pg_config" ${PG_CFLAGS:+PG_CFLAGS="$PG_CFLAGS"} >&2
	make -C "$REPO" -s PG_CONFIG="$PGBIN/pg_config" install >&2
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
	if [ -n "${DWSDR_VALGRIND:-}" ]; then
		# every backend is a fork of the postmaster, so all of them run
		# under valgrind; each process writes its own report
		log "the server runs under valgrind (slow)"
		runuser -u postgres -- valgrind --quiet --trace-children=no --leak-check=no \
			--num-callers=40 --error-limit=no \
			--suppressions="$REPO/test/valgrind.supp" \
			--log-file="$RUNDIR/valgrind.%p.log" \
			"$PGBIN/postgres" -D "$RUNDIR/data" > "$RUNDIR/server.log" 2>&1 &
		for _ in $(seq 1 600); do
			"$PGBIN/pg_isready" -q -h "$RUNDIR" -p "$DWSDR_PGPORT" && break
			sleep 0.2
		done
	else
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUNDIR/data" -l "$RUNDIR/server.log" -w start >/dev/null
	fi
	export PGHOST=$RUNDIR PGPORT=$DWSDR_PGPORT PGUSER=postgres
}

# A private CA and a certificate signed by it for localhost, 127.0.0.1 and
# dws.example.invalid (a name that never resolves: network.sql reaches it
# only through the stand-in as a proxy), made anew in $1: ca.pem (readable by all, so by the postgres user),
# server.pem and server.key (for the stand-in, which runs as root).
make_test_certs() {
	local dir=$1
	mkdir -p "$dir"
	chmod 755 "$dir"
	(
		cd "$dir"
		umask 077
		printf '%s\n' "subjectAltName = DNS:localhost, DNS:dws.example.invalid, IP:127.0.0.1" \
			"basicConstraints = CA:FALSE" "extendedKeyUsage = serverAuth" > server.ext
		openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=dwsdr_fdw test CA" \
			-keyout ca.key -out ca.pem 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
			-keyout server.key -out server.csr 2>/dev/null
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 7 -extfile server.ext -out server.pem 2>/dev/null
		rm -f server.csr
		chmod 644 ca.pem server.pem
	)
}

# The local DWS API stand-in on 127.0.0.1:$DWSDR_MOCK_PORT, and (when openssl
# is there to make a test CA) the same over HTTPS on $DWSDR_MOCK_TLS_PORT,
# with DWSDR_CA_FILE exported: the CA that signed its certificate.
start_mock() {
	if curl -s -o /dev/null "http://127.0.0.1:$DWSDR_MOCK_PORT/__mock/stats"; then
		echo "port $DWSDR_MOCK_PORT is already in use; set DWSDR_MOCK_PORT" >&2
		exit 1
	fi
	local tls=()
	if [ -n "$RUNDIR" ] && command -v openssl >/dev/null; then
		if curl -sk -o /dev/null "https://127.0.0.1:$DWSDR_MOCK_TLS_PORT/__mock/stats"; then
			echo "port $DWSDR_MOCK_TLS_PORT is already in use; set DWSDR_MOCK_TLS_PORT" >&2
			exit 1
		fi
		make_test_certs "$RUNDIR/tls"
		tls=(--tls-port "$DWSDR_MOCK_TLS_PORT" --tls-cert "$RUNDIR/tls/server.pem"
			--tls-key "$RUNDIR/tls/server.key")
		export DWSDR_CA_FILE=$RUNDIR/tls/ca.pem
	fi
	python3 "$REPO/test/mock/dws_mock.py" --port "$DWSDR_MOCK_PORT" --quiet "${tls[@]}" "$@" \
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
