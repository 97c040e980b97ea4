# Shared by scripts/demo, scripts/test and bench/run: install what the build
# needs, build and install the extension, start a throwaway PostgreSQL
# cluster (as the postgres user) and the local DWS API stand-in, and stop
# both on exit.  Source it; it expects to run as root (the callers re-run
# themselves under sudo).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# DWSDR_PG: the PostgreSQL major version to build and test against.  15 is
# Debian 12's packaged server; 18 is built from the source tarball in
# shared/pg into a cached prefix (see ensure_pg18).
PG_MAJOR=${DWSDR_PG:-15}
# the pinned PostgreSQL 18 source: shared/ sits beside the clone
PG18_VERSION=18.6
PG18_SHARED=${DWSDR_SHARED:-$REPO/../shared}
PG18_CACHE=${DWSDR_PG18_PREFIX:-/var/cache/dwsdr_fdw/pg18}
PG18_MARKER=.dwsdr-installed
case $PG_MAJOR in
	15)
		# DWSDR_PGBIN: another installation's bin directory (a private copy
		# of the server, so that two checkouts can install and test at once)
		PGBIN=${DWSDR_PGBIN:-/usr/lib/postgresql/15/bin}
		;;
	18)
		# DWSDR_PG18BIN: the same for 18; when only DWSDR_PGBIN names a
		# private copy of 15 (/PRIVATE/usr/lib/postgresql/15/bin), 18 gets
		# a private copy of the cached prefix beside it, /PRIVATE/pg18
		if [ -n "${DWSDR_PG18BIN:-}" ]; then
			PGBIN=$DWSDR_PG18BIN
		elif [ -n "${DWSDR_PGBIN:-}" ] && [ "${DWSDR_PGBIN%/usr/lib/postgresql/15/bin}" != "$DWSDR_PGBIN" ]; then
			PGBIN=${DWSDR_PGBIN%/usr/lib/postgresql/15/bin}/pg18/bin
		else
			PGBIN=$PG18_CACHE/bin
		fi
		;;
	*)
		echo "unsupported PostgreSQL version $PG_MAJOR (15 or 18)" >&2
		exit 2
		;;
esac
export PGBIN PG_MAJOR
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

# Debian packages: the server (15) or what building 18 from source needs,
# the server headers, libcurl, jansson, OpenSSL, Python (the stand-in),
# pg_cron (15 only: there is no pg_cron for 18 here), and openssl with the
# system CA store (the stand-in's test certificates; verification against
# the system store).  Installs only what is missing; then builds 18 when it
# is the version under test.
ensure_deps() {
	local pkgs="libcurl4-openssl-dev libjansson-dev libssl-dev pkg-config make gcc python3
		curl openssl ca-certificates ${EXTRA_PKGS:-}"
	if [ "$PG_MAJOR" = 15 ]; then
		pkgs="$pkgs postgresql-15 postgresql-server-dev-15 postgresql-15-cron"
	else
		# postgresql-common for the postgres user; the rest builds the server
		pkgs="$pkgs postgresql-common bzip2 libreadline-dev zlib1g-dev bison flex perl"
	fi
	install_pkgs $pkgs
	if [ "$PG_MAJOR" = 18 ]; then
		ensure_pg18
	fi
}

# apt-get install of those of the packages named that are not installed
install_pkgs() {
	local missing="" p
	for p in "$@"; do
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

# PostgreSQL 18 in $PG18_CACHE, built once from the checksummed tarball in
# shared/pg and reused: the marker file is written only after a successful
# install, so an interrupted build is redone from scratch.  When PGBIN is a
# private copy (DWSDR_PGBIN, DWSDR_PG18BIN), the copy is refreshed from the
# cache when the cache's marker is newer than the copy's.
ensure_pg18() {
	local tarball=$PG18_SHARED/pg/postgresql-$PG18_VERSION.tar.bz2
	local src=$(dirname "$PG18_CACHE")/src
	if [ ! -f "$PG18_CACHE/$PG18_MARKER" ]; then
		[ -f "$tarball" ] || { echo "no $tarball (set DWSDR_SHARED to the shared/ directory)" >&2; exit 1; }
		log "checking $(basename "$tarball") against SHA256SUMS"
		(cd "$(dirname "$tarball")" && grep " postgresql-$PG18_VERSION.tar.bz2\$" SHA256SUMS | sha256sum -c --quiet -) >&2 ||
			{ echo "checksum mismatch for $tarball" >&2; exit 1; }
		log "building PostgreSQL $PG18_VERSION into $PG18_CACHE (a few minutes, once)"
		rm -rf "$PG18_CACHE" "$src/postgresql-$PG18_VERSION"
		mkdir -p "$src"
		tar -xjf "$tarball" -C "$src"
		(
			cd "$src/postgresql-$PG18_VERSION"
			./configure --prefix="$PG18_CACHE" --without-icu --without-llvm >configure.log 2>&1 ||
				{ tail -n 30 configure.log; exit 1; }
			make -j"$(nproc)" world-bin >build.log 2>&1 || { tail -n 50 build.log; exit 1; }
			make install-world-bin >install.log 2>&1 || { tail -n 30 install.log; exit 1; }
		) >&2
		echo "PostgreSQL $PG18_VERSION $(cut -d' ' -f1 < <(sha256sum "$tarball")) $(date -u +%FT%TZ)" \
			> "$PG18_CACHE/$PG18_MARKER"
	fi
	local copy=${PGBIN%/bin}
	if [ "$copy" != "$PG18_CACHE" ] && ! cmp -s "$PG18_CACHE/$PG18_MARKER" "$copy/$PG18_MARKER"; then
		log "private copy of PostgreSQL 18 in $copy"
		rm -rf "$copy"
		mkdir -p "$(dirname "$copy")"
		cp -a "$PG18_CACHE" "$copy"
	fi
}

# pg_regress of the installation under test
pg_regress_bin() {
	echo "$(dirname "$("$PGBIN/pg_config" --pgxs)")/../test/regress/pg_regress"
}

# Builds and installs the extension into the installation under test.  The
# objects are rebuilt from scratch when the previous build was for another
# installation (PGXS does not notice a change of headers).
build_install() {
	local stamp=$REPO/.build/pg_config
	mkdir -p "$REPO/.build"
	if [ "$(cat "$stamp" 2>/dev/null)" != "$PGBIN/pg_config" ]; then
		make -C "$REPO" -s PG_CONFIG="$PGBIN/pg_config" clean >&2
		echo "$PGBIN/pg_config" > "$stamp"
	fi
	log "building dwsdr_fdw for PostgreSQL $("$PGBIN/pg_config" --version | cut -d' ' -f2)"
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
		local ready=no
		for _ in $(seq 1 600); do
			if "$PGBIN/pg_isready" -q -h "$RUNDIR" -p "$DWSDR_PGPORT"; then
				ready=yes
				break
			fi
			sleep 0.2
		done
		if [ $ready = no ]; then
			echo "the server under valgrind did not start in 120 s:" >&2
			tail -n 20 "$RUNDIR/server.log" >&2
			exit 1
		fi
	else
		# a loaded machine may need more than pg_ctl's default 60 s; when
		# the start fails, the server's own words say why
		if ! PGCTLTIMEOUT=300 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUNDIR/data" \
			-l "$RUNDIR/server.log" -w start >/dev/null; then
			tail -n 20 "$RUNDIR/server.log" >&2
			exit 1
		fi
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
