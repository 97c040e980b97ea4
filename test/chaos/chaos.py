#!/usr/bin/env python3
"""Chaos soak of dwsdr_fdw: concurrent sessions against a faulty stand-in.

Started by test/chaos/run (which has a cluster running and PGHOST/PGPORT/
PGUSER set).  It starts its own stand-in (test/mock/dws_mock.py on a free
port, with generated tasks), makes a database with two servers (one with
cache_ttl), and runs SESSIONS sessions for SECONDS seconds.  Each session
sends statements on the three tables with random mixes of existing, missing
and faulty task ids (every fault kind of the stand-in, once, twice or for
good), full scans of projects whose list call answers a random sequence of
faults across its retries, random statement timeouts, transactions rolled
back, savepoints rolled back and cursors closed after a few rows; another
thread cancels running statements with pg_cancel_backend.

The expected answer of every statement is computed from the stand-in's own
data (its Task objects) and from what each fault does to a call (retried,
no row, or an error with a given SQLSTATE).  Checks (one TAP line each):
  1. no backend crashed (server log, and no session lost its connection)
  2. every statement gave the right rows or an ERROR with an allowed
     SQLSTATE (see ALLOWED)
  3. no dwsdr memory context is left once a statement has ended, other
     than the backend's connections (see leftover_contexts)
  4. every statement ended within its bound, and the soak stopped by itself
  5. the cluster still answers at the end (a new session, a good query)

Statements of a session are drawn from random.Random(f"{seed}/{session}"):
the same SEED gives the same statements (the timing of cancels and of the
sessions against each other is not replayable).  Every statement carries a
comment /* chaos sN.M */ that the server log's "Failed process was running"
line repeats, so a crash names its statement.
"""

import collections
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal, InvalidOperation

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "..", "mock", "dws_mock.py")
sys.path.insert(0, os.path.join(HERE, "..", "mock"))
sys.path.insert(0, HERE)

import dws_mock as M  # noqa: E402  the stand-in's data and fault grammar
import pq             # noqa: E402

VALGRIND = bool(os.environ.get("DWSDR_VALGRIND"))
SLOW = 10 if VALGRIND else 1           # time scale under valgrind
SESSIONS = int(os.environ.get("DWSDR_CHAOS_SESSIONS", "2" if VALGRIND else "4"))
GENERATED = int(os.environ.get("DWSDR_CHAOS_TASKS", "200"))
MAX_RETRIES = 3
TIMEOUT_MS = 3000 * SLOW               # timeout_ms of the servers
RETRY_TIME_MS = 8000 * SLOW            # max_retry_time_ms
SLOW_OVER = TIMEOUT_MS + 500           # a slow fault longer than an attempt
CAP_MS = 40000 * SLOW                  # statement_timeout of every session
BOUND_S = CAP_MS / 1000 + 20           # a statement taking longer is stuck
DB = "dwsdr_chaos"

P_MAIN, P_EU, P_GEN = M.PROJECT_MAIN, M.PROJECT_EU, M.PROJECT_GENERATED

# The SQLSTATEs a statement may end with, by what caused them.
ALLOWED = {
    "HV000": "API refused the call (4xx, redirect, error object)",
    "HV004": "a field of the wrong JSON type",
    "HV00K": "an answer that is not the expected JSON",
    "HV00N": "no answer, or still failing after the retries",
    "54000": "answer larger than max_response_bytes",
    "28000": "HTTP 401",
    "42501": "HTTP 403",
    "22xxx": "a value that does not convert (wrongtypes only)",
    "57014": "statement timeout or pg_cancel_backend",
}

# ---------------------------------------------------------------------------
# The stand-in's data and the expected rows
# ---------------------------------------------------------------------------

TASKS = {}
for _t in M.fixed_tasks():
    TASKS[(_t.project_id, _t.id)] = _t
for _i in range(1, GENERATED + 1):
    _t = M.generated_task(_i)
    TASKS[(_t.project_id, _t.id)] = _t
IDS = collections.defaultdict(list)
for (_p, _id) in TASKS:
    IDS[_p].append(_id)


def txt(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def num(v):
    """Numeric text compared by value (100 = 100.0)."""
    if v is None:
        return None
    try:
        return str(Decimal(str(v)).normalize())
    except InvalidOperation:
        return str(v)


def cluster_rows(project, t):
    rows = []
    for side, cl in (("primary", t.primary), ("standby", t.standby)):
        if cl is not None:
            rows.append((project, t.id, side, txt(cl.get("status")),
                         num(cl.get("progress"))))
    return rows


def dr_rows(project, t):
    return [(project, t.id, txt(t.status),
             txt((t.primary or {}).get("id")),
             txt((t.standby or {}).get("status")), txt(t.dr_sync_period))]


def progress_rows(project, t):
    p = t.progress or {}
    rpo = p.get("recovery_point_object")
    return [(project, t.id, None if rpo is None else str(int(rpo)),
             txt((p.get("primary_cluster") or {}).get("action_type")))]


TABLES = {
    "dr_clusters": ("project_id, dr_id, side, status, progress", "detail",
                    cluster_rows, 4),
    "disaster_recoveries": ("project_id, dr_id, status, primary_id, "
                            "standby_status, dr_sync_period", "detail",
                            dr_rows, None),
    "dr_progress": ("project_id, dr_id, recovery_point_object, "
                    "primary_action_type", "progress", progress_rows, None),
}


def normalize(table, rows):
    col = TABLES[table][3]
    if col is None:
        return rows
    return [r[:col] + (num(r[col]),) + r[col + 1:] for r in rows]


def task_for(project, ident):
    """The task the stand-in answers for (project, id), None if missing."""
    t = TASKS.get((project, ident))
    if t is None and M.is_magic(ident):
        t = M.fault_task(project, ident)
    return t


# ---------------------------------------------------------------------------
# Faults: what each one does to a call
# ---------------------------------------------------------------------------

class Outcome:
    """What a call ends in.  kind: rows (the normal answer), none (no such
    task / an empty project), retry (retried; for good: HV00N), error
    (errors), either (rows or errors), unpredictable (rows not checked, or
    errors)."""

    def __init__(self, kind, errors=(), alt=(), synthetic=False):
        self.kind = kind
        self.errors = set(errors)
        self.alt = set(alt)          # also allowed (a retry budget cut short)
        # the stand-in builds this answer from its "fault task", not from
        # the project's data (deep, huge, gzipbomb, times, bignum)
        self.synthetic = synthetic

    def __repr__(self):
        return f"{self.kind}{sorted(self.errors | self.alt) or ''}"


RETRY_STATUSES = {429, 500, 502, 503, 504}


def fault_catalogue():
    """(fault name, Outcome, heavy) for every fault kind of the stand-in.
    A kind this table does not know (added to the stand-in later) is still
    sent, with any allowed SQLSTATE or unchecked rows accepted."""
    out = []
    for status in sorted(set(M.STATUS_ERRORS) | {418, 501}):
        if status in RETRY_STATUSES:
            o = Outcome("retry")
        elif status == 401:
            o = Outcome("error", {"28000"})
        elif status == 403:
            o = Outcome("error", {"42501"})
        else:
            o = Outcome("error", {"HV000"})
        out.append((str(status), o, False))
    plain = {
        "badjson": Outcome("error", {"HV00K"}),
        "html": Outcome("error", {"HV00K"}),
        "html502": Outcome("retry"),
        "200error": Outcome("error", {"HV000"}),
        "notobject": Outcome("error", {"HV00K"}),
        "wrongtypes": Outcome("unpredictable", {"HV004", "HV00K", "22xxx"}),
        "truncated": Outcome("retry"),
        "close": Outcome("retry"),
        "gzip": Outcome("rows"),
        "missing": Outcome("none"),
        "404missing": Outcome("none"),     # DWS.10101 on a 404 (list: LIST_ONLY)
        "404dws": Outcome("error", {"HV000"}),
        "404html": Outcome("error", {"HV000"}),
        "redirect": Outcome("error", {"HV000"}),
        "503date": Outcome("retry"),
        # extra fields the scan does not read: odd time spellings, numbers
        # beyond 64 bits and doubles (a value not read never fails a query)
        "times": Outcome("rows", synthetic=True),
        "bignum": Outcome("rows", synthetic=True),
        "hostile": Outcome("error", {"HV000"}),
        "hostilebody": Outcome("retry"),
    }
    # a bad list item: only the list call serves one (LIST_ONLY)
    plain.update({kind: Outcome("rows") for kind in M.BAD_LIST_ITEMS})
    for kind in sorted(M._PLAIN_KINDS):
        out.append((kind, plain.get(kind, Outcome("unpredictable", ALLOWED)), False))
    args = {
        "slow": [("slow-50", Outcome("rows"), False),
                 (f"slow-{SLOW_OVER}", Outcome("retry"), True)],
        "slowbody": [("slowbody-50", Outcome("rows"), False),
                     (f"slowbody-{SLOW_OVER}", Outcome("retry"), True)],
        "huge": [("huge-1", Outcome("rows", synthetic=True), True),
                 ("huge-9", Outcome("error", {"54000"}), True)],
        "gzipbomb": [("gzipbomb-1", Outcome("rows", synthetic=True), True),
                     ("gzipbomb-16", Outcome("error", {"54000"}), True)],
        "deep": [("deep-10", Outcome("rows", synthetic=True), False),
                 ("deep-1000", Outcome("either", {"HV00K"}, synthetic=True), False)],
    }
    for kind in sorted(M._ARG_KINDS):
        out.extend(args.get(kind, [(f"{kind}-1", Outcome("unpredictable", ALLOWED), False)]))
    out.append(("nonsense", Outcome("error", {"HV000"}), False))
    return out


CATALOGUE = fault_catalogue()
# Outcomes that differ on the list call: it has no "missing" answer (any 404
# is an error), and a list with a bad item is an error naming it.
LIST_ONLY = {"404missing": Outcome("error", {"HV000"}),
             **{kind: Outcome("error", {"HV00K"}) for kind in M.BAD_LIST_ITEMS}}
OUTCOME = {name: o for name, o, _ in CATALOGUE}
# faults a rule may give (a rule refuses an unknown name; heavy ones are
# kept to magic ids, whose answers the stand-in caches)
RULE_FAULTS = [name for name, o, heavy in CATALOGUE
               if not heavy and name != "nonsense"]


def through_retries(seq, route=None):
    """The Outcome of a call (of that route) whose attempts get the faults
    of seq in turn, then the normal answer."""
    retried = False
    for attempt in range(MAX_RETRIES + 1):
        if attempt >= len(seq):
            o = Outcome("rows")
        elif route == "list" and seq[attempt] in LIST_ONLY:
            o = LIST_ONLY[seq[attempt]]
        else:
            o = OUTCOME[seq[attempt]]
        if o.kind == "retry":
            retried = True
            continue
        return Outcome(o.kind, o.errors, {"HV00N"} if retried else (),
                       o.synthetic)
    return Outcome("error", {"HV00N"})


# Answers that a scan's state across retries is most exposed to: cut off,
# no answer, no such task / empty, server errors, not JSON, fine.
SEQUENCE_FAULTS = ["truncated", "close", "slowbody-50", "404missing", "404missing",
                   "missing", "503", "500", "429", "badjson", "html", "404", "gzip"]


def fault_sequence(rng):
    """Faults for the attempts of one call, in order (0 to 3): often an
    answer cut off first, then another answer of any kind."""
    r = rng.random()
    if r < 0.15:
        return []
    if r < 0.6:
        return [rng.choice(["truncated", "close"])] + [
            rng.choice(SEQUENCE_FAULTS) for _ in range(rng.randint(1, 2))]
    return [rng.choice(SEQUENCE_FAULTS) if rng.random() < 0.6 else rng.choice(RULE_FAULTS)
            for _ in range(rng.randint(1, 3))]


def magic_outcome(name, rep):
    """Outcome of a magic id fault-NAME (rep 0: every call fails; 1 once;
    2 twice): a retried fault that stops failing gives the rows."""
    o = OUTCOME[name]
    if o.kind == "retry":
        if rep == 0:
            return Outcome("error", {"HV00N"})
        return Outcome("rows", (), {"HV00N"})
    return o


# ---------------------------------------------------------------------------
# Expected answers of a statement
# ---------------------------------------------------------------------------

class Expect:
    """rows: the right rows (None: not checked); must_error: no rows may
    come back; errors: the SQLSTATEs that may end it; ignore: ids whose rows
    are not checked."""

    def __init__(self, rows, must_error, errors, ignore=()):
        self.rows = rows
        self.must_error = must_error
        self.errors = set(errors)
        self.ignore = set(ignore)


def combine(parts, table):
    """Expect of a scan over several (project, id, Outcome) calls."""
    rows, errors, ignore, must = [], set(), set(), False
    for project, ident, o in parts:
        errors |= o.errors | o.alt
        if o.kind in ("error", "retry"):
            must = True
        elif o.kind == "unpredictable":
            ignore.add(ident)
        elif o.kind in ("rows", "either"):
            t = task_for(project, ident)
            if t is not None:
                rows.extend(TABLES[table][2](project, t))
    return Expect(normalize(table, rows), must, errors, ignore)


def sqlstate_allowed(code, allowed):
    return code in allowed or (code and code.startswith("22") and "22xxx" in allowed)


# ---------------------------------------------------------------------------
# The stand-in
# ---------------------------------------------------------------------------

class Mock:
    def __init__(self, logfile):
        self.proc = subprocess.Popen(
            [sys.executable, MOCK, "--port", "0", "--generate", str(GENERATED),
             "--quiet"], stdout=subprocess.PIPE, stderr=logfile, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://([0-9.]+):([0-9]+)", line)
        if not m:
            raise SystemExit(f"the stand-in did not start: {line!r}")
        self.url = f"http://{m.group(1)}:{m.group(2)}"

    def _call(self, method, path, body=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def add_rule(self, fault, route, ident):
        self._call("POST", "/__mock/fault",
                   {"fault": fault, "times": 1, "route": route, "id": ident})

    def drop_rules(self, ident):
        self._call("DELETE", "/__mock/fault", {"id": ident})

    def stats(self):
        return self._call("GET", "/__mock/stats")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------

class Stmt:
    def __init__(self, sql, expect, desc, table=None, rules=(), lock=False,
                 reask=None):
        self.sql = sql
        self.expect = expect
        self.desc = desc
        self.table = table
        self.rules = list(rules)      # (fault, route, id), in order
        self.lock = lock              # uses the shared generated project
        self.reask = reask            # (schema, project, id) to ask again


def in_list(ids, rng):
    quoted = [pq.quote(i) for i in ids]
    if len(ids) == 1 and rng.random() < 0.5:
        return f"dr_id = {quoted[0]}"
    if rng.random() < 0.5:
        return f"dr_id IN ({', '.join(quoted)})"
    return f"dr_id = ANY(ARRAY[{', '.join(quoted)}])"


class Generator:
    """Draws statements from a session's PRNG."""

    def __init__(self, rng, session):
        self.rng = rng
        self.session = session
        self.n = 0

    def nonce(self):
        self.n += 1
        return f"s{self.session}n{self.n}"

    def fault_name(self, allow_heavy=True):
        while True:
            name, _, heavy = self.rng.choice(CATALOGUE)
            if allow_heavy or not heavy:
                if heavy and self.rng.random() < 0.7:
                    continue          # the heavy ones less often
                return name

    def ids_stmt(self, schema):
        """A scan naming ids: existing, missing and faulty ones."""
        rng = self.rng
        table = rng.choice(list(TABLES))
        cols, route, _, _ = TABLES[table]
        r = rng.random()
        projects = ([P_MAIN] if r < 0.5 else [P_EU] if r < 0.65 else
                    [P_GEN] if r < 0.85 else [P_MAIN, P_EU])
        two = len(projects) > 1
        ids, notes, rules, reask = [], [], [], None
        calls = []                    # (project, id, Outcome)
        for _ in range(rng.randint(1, 6)):
            what = rng.random()
            if what < 0.35:
                p = rng.choice(projects)
                ident = rng.choice(IDS[p])
                o = None
            elif what < 0.5:
                ident = f"chaos-missing-{self.nonce()}"
                o = None
            elif what < 0.65 and not two:
                # a call that gets a sequence of faults across its retries
                ident = f"fault-gzip-once-{self.nonce()}"
                seq = fault_sequence(rng) or [rng.choice(SEQUENCE_FAULTS)]
                rules += [(f, route, ident) for f in seq]
                o = through_retries(seq)
                notes.append(f"{ident}: rules {seq} -> {o}")
            else:
                name = self.fault_name(allow_heavy=not two)
                # once / twice only where a single call gets the fault
                # (with two projects either call could), and not for the
                # heavy answers (the stand-in caches those per id)
                if two or name.startswith(("huge", "gzipbomb", "deep")):
                    rep = 0
                else:
                    rep = rng.choice([0, 1, 1, 2])
                ident = f"fault-{name}" + ("" if rep == 0 else
                                           f"-{'once' if rep == 1 else 'twice'}-{self.nonce()}")
                o = magic_outcome(name, rep)
                notes.append(f"{ident} -> {o}")
                if rep == 1 and not rules and len(ids) == 0:
                    reask = (schema, projects[0], ident, o)
            if ident in ids:
                continue
            ids.append(ident)
            for p in projects:
                if o is None:
                    oo = Outcome("rows") if (p, ident) in TASKS else Outcome("none")
                else:
                    oo = o
                calls.append((p, ident, oo))
        where = in_list(ids, rng)
        if projects != [P_MAIN] or rng.random() < 0.3:
            if two:
                where += f" AND project_id IN ({pq.quote(P_MAIN)}, {pq.quote(P_EU)})"
            else:
                where += f" AND project_id = {pq.quote(projects[0])}"
        sql = f"SELECT {cols} FROM {schema}.{table} WHERE {where}"
        expect = combine(calls, table)
        if reask and not (len(ids) == 1 and not rules):
            reask = None
        return Stmt(sql, expect, "; ".join(notes) or "no fault", table, rules,
                    reask=reask)

    def list_stmt(self, schema):
        """A full scan of a project; its list call may get a sequence of
        faults across its retries."""
        rng = self.rng
        r = rng.random()
        lock = False
        if schema == "plain" and r < 0.35:
            project = f"fault-gzip-once-{self.nonce()}"     # one task
        elif schema == "plain" and r < 0.75:
            project, lock = P_GEN, True
        else:
            project = rng.choice([P_MAIN, P_EU])
        rules, seq = [], []
        if schema == "plain" and project != P_MAIN and project != P_EU:
            seq = fault_sequence(rng)
            rules = [(f, "list", project) for f in seq]
        o = through_retries(seq, "list")
        tasks = ([M.fault_task(project, project)] if M.is_magic(project) or o.synthetic else
                 [TASKS[(project, i)] for i in IDS[project]])
        if o.kind in ("none",):
            tasks = []
        # the stand-in's made-up item of a real project is a task its
        # detail and show-progress calls do not know
        called = tasks if (M.is_magic(project) or not o.synthetic) else []
        shape = rng.random()
        q = pq.quote(project)
        if shape < 0.2:
            table = "disaster_recoveries"
            sql = (f"SELECT project_id, dr_id, status FROM {schema}.{table} "
                   f"WHERE project_id = {q}")
            rows = [(project, t.id, txt(t.status)) for t in tasks]
        elif shape < 0.4:
            table = "disaster_recoveries"
            sql = (f"SELECT count(*), count(DISTINCT dr_id) FROM {schema}.{table} "
                   f"WHERE project_id = {q}")
            rows = [(str(len(tasks)), str(len(tasks)))]
        elif shape < 0.65:
            # the list, then a detail call per task
            table = "dr_clusters"
            sql = (f"SELECT count(progress) FROM {schema}.{table} "
                   f"WHERE project_id = {q}")
            n = sum(1 for t in called for cl in (t.primary, t.standby)
                    if cl is not None and cl.get("progress") is not None)
            rows = [(str(n),)]
        elif shape < 0.85:
            # the list, then a show-progress call per task
            table = "dr_progress"
            sql = (f"SELECT count(recovery_point_object) FROM {schema}.{table} "
                   f"WHERE project_id = {q}")
            n = sum(1 for t in called
                    if (t.progress or {}).get("recovery_point_object") is not None)
            rows = [(str(n),)]
        else:
            table = "disaster_recoveries"
            sql = (f"SELECT count(dr_sync_period) FROM {schema}.{table} "
                   f"WHERE project_id = {q}")
            rows = [(str(sum(1 for t in called if t.dr_sync_period is not None)),)]
        if o.kind in ("error", "retry"):
            expect = Expect(None, True, o.errors | o.alt)
        elif o.kind == "unpredictable":
            expect = Expect(None, False, o.errors | o.alt)
        else:
            expect = Expect(rows, False, o.errors | o.alt)
        return Stmt(sql, expect, f"list of {project}: rules {seq} -> {o}",
                    None, rules, lock=lock)

    def reask_stmt(self, reask):
        """The same once-faulty id again: the stand-in answers it now, so a
        failed answer kept by the FDW would show here."""
        schema, project, ident, _ = reask
        table = "dr_clusters"
        cols = TABLES[table][0]
        sql = (f"SELECT {cols} FROM {schema}.{table} WHERE dr_id = {pq.quote(ident)}"
               f" AND project_id = {pq.quote(project)}")
        expect = combine([(project, ident, Outcome("rows"))], table)
        return Stmt(sql, expect, f"{ident} asked again (its once-fault was served)", table)

    def next(self):
        schema = "plain" if self.rng.random() < 0.7 else "cached"
        if self.rng.random() < 0.3:
            return self.list_stmt(schema)
        return self.ids_stmt(schema)


# ---------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------

# The backend's memory contexts, each as its chain from TopMemoryContext.
# Up to 17 the rows come in pre-order with a level; from 18 each row has a
# path of context ids (the last one its own), in another order.
MEMQ = ("SELECT name, coalesce(ident, ''), level FROM pg_get_backend_memory_contexts() "
        "WITH ORDINALITY AS c(name, ident, parent, level, total_bytes, total_nblocks, "
        "free_bytes, free_chunks, used_bytes, o) ORDER BY o")
MEMQ_18 = ("SELECT name, coalesce(ident, ''), array_to_string(path, ',') "
           "FROM pg_get_backend_memory_contexts()")


def context_chains(rows, by_path):
    """Each context as a list of (name, ident) from the top down."""
    if by_path:
        paths = [(name, ident, [int(x) for x in path.split(",")]) for name, ident, path in rows]
        byid = {p[-1]: (name, ident) for name, ident, p in paths}
        return [[byid.get(i, ("?", "")) for i in p] for _, _, p in paths]
    stack, chains = [], []
    for name, ident, level in rows:
        del stack[int(level):]
        stack.append((name, ident))
        chains.append(list(stack))
    return chains


# Backend-level contexts that live on by design: a connection (under
# CacheMemoryContext, with what hangs below it: the cache_ttl answers), a
# foreign table's description and the hash of them (under
# CacheMemoryContext, one per table, dropped when the table changes), and
# the backend's hash tables of connections, statistics and the project
# sizes seen in list answers.
CONN_CONTEXT = "dwsdr_fdw connection"
CACHE_CONTEXTS = {"dwsdr_fdw table description", "dwsdr_fdw table descriptions"}
BACKEND_HASHES = {"dwsdr_fdw connections", "dwsdr_fdw server stats",
                  "dwsdr_fdw tasks seen"}


def leftover_contexts(chains):
    """The dwsdr contexts that are not a connection's, a table
    description's or a backend-level hash table."""
    left = []
    for stack in chains:
        name, ident = stack[-1]
        if not (name.startswith("dwsdr") or ident.startswith("dwsdr")):
            continue
        under_conn = any(n == CONN_CONTEXT and i > 0 and stack[i - 1][0] == "CacheMemoryContext"
                         for i, (n, _) in enumerate(stack))
        backend_hash = ((name in BACKEND_HASHES or ident in BACKEND_HASHES)
                        and len(stack) == 2 and stack[0][0] == "TopMemoryContext")
        table_desc = (name in CACHE_CONTEXTS and len(stack) == 3
                      and stack[1][0] == "CacheMemoryContext")
        path = " / ".join(n + (f" ({i})" if i else "") for n, i in stack)
        if not (under_conn or backend_hash or table_desc):
            left.append(path)
        else:
            KEPT.add(re.sub(r"^.*?CacheMemoryContext / ", "", path))
    return left


KEPT = set()      # the paths of the contexts that lived on by design


class Soak:
    def __init__(self, seed, seconds, mock, log):
        self.seed = seed
        self.seconds = seconds
        self.mock = mock
        self.log = log
        self.stop = threading.Event()
        self.lock = threading.Lock()           # counters and failures
        self.gen_lock = threading.Lock()       # the generated project's list
        self.c = collections.Counter()
        self.errors = collections.Counter()    # (sqlstate, kind)
        self.fail = {"crash": [], "answer": [], "memory": [], "bound": [], "alive": []}
        self.descs = {}                        # tag -> statement description

    def count(self, key, n=1):
        with self.lock:
            self.c[key] += n

    def failure(self, check, text):
        text = re.sub(r"\s*\n\s*", " ", text)
        with self.lock:
            self.fail[check].append(text)
        self.log.write(f"FAIL {check}: {text}\n")
        self.log.flush()


class Session(threading.Thread):
    def __init__(self, soak, index):
        super().__init__(daemon=True)
        self.soak = soak
        self.index = index
        self.rng = random.Random(f"{soak.seed}/{index}")
        self.gen = Generator(self.rng, index)
        self.state = threading.Lock()
        self.running = None            # (tag, started) of a chaos statement
        self.by_path = None            # memory contexts listed by path (18+)
        self.cancelled = False
        self.conn = None
        self.pid = None
        self.reask = None

    # -- connection ------------------------------------------------------

    def connect(self):
        deadline = time.monotonic() + 60 * SLOW
        while True:
            try:
                self.conn = pq.Conn(f"dbname={DB} application_name=chaos{self.index}")
                break
            except ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.pid = self.conn.pid
        self.aux(f"SET statement_timeout = {CAP_MS}")

    def lost(self, tag, res):
        self.soak.count("lost connections")
        self.soak.failure("crash", f"{tag}: session lost its connection: {res.message}")
        try:
            self.conn.close()
        except Exception:
            pass
        self.connect()

    def aux(self, sql):
        """A statement around the chaos ones; it must work (a cancel that
        comes late is absorbed by trying again)."""
        for _ in range(3):
            res = self.conn.execute(sql)
            if res.ok or res.lost or res.sqlstate != "57014":
                break
        if res.lost:
            raise ConnectionAbortedError(res.message)
        if not res.ok:
            self.soak.failure("answer", f"s{self.index}: {sql}: ERROR {res.sqlstate} {res.message}")
        return res

    # -- one chaos statement ---------------------------------------------

    def chaos(self, tag, stmt, sql, timeout, fetch=None):
        soak = self.soak
        with self.state:
            self.running = (tag, time.monotonic())
            self.cancelled = False
        t0 = time.monotonic()
        res = self.conn.execute(sql)
        took = time.monotonic() - t0
        with self.state:
            self.running = None
            cancelled = self.cancelled
        soak.count("statements")
        soak.log.write(f"{tag} {took:.2f}s {res!r} [{stmt.desc}] {sql[:300]}\n")
        if res.lost:
            raise ConnectionAbortedError(res.message)
        if took > BOUND_S:
            soak.failure("bound", f"{tag} took {took:.1f} s: {stmt.desc}")
        ok, why, kind = self.judge(stmt, res, timeout, cancelled, fetch)
        if res.ok:
            soak.count("answers right" if ok else "answers wrong")
        else:
            soak.count("clean errors" if ok else "errors wrong")
            with soak.lock:
                soak.errors[(res.sqlstate, kind)] += 1
        if not ok:
            soak.failure("answer", f"{tag} [{stmt.desc}] {sql} (timeout {timeout}, "
                                   f"cancel {cancelled}, fetch {fetch}): {why}")
        return res, ok

    def judge(self, stmt, res, timeout, cancelled, fetch):
        """(right, why, kind of error)."""
        e = stmt.expect
        if not res.ok:
            code, msg = res.sqlstate, res.message
            if code == "57014":
                if "statement timeout" in msg:
                    if timeout is None:
                        return False, f"timed out at the cap: {msg}", "cap"
                    self.soak.count("timeouts")
                    return True, "", "timeout"
                if "user request" in msg and cancelled:
                    self.soak.count("cancels that hit")
                    return True, "", "cancel"
                return False, f"57014 without a cancel: {msg}", "cancel?"
            if sqlstate_allowed(code, e.errors):
                return True, "", "fault"
            return False, f"ERROR {code} {msg} (allowed: {sorted(e.errors) or 'none'})", "unexpected"
        rows = res.rows
        if stmt.table:
            rows = normalize(stmt.table, [r for r in rows if r[1] not in e.ignore])
        if fetch is None and e.must_error:
            return False, f"{len(rows)} rows where an error must come", ""
        if e.rows is None:
            return True, "", ""
        want = sorted(e.rows, key=repr)
        got = sorted(rows, key=repr)
        if fetch is None:
            if got != want:
                return False, f"rows {got[:6]}{'...' if len(got) > 6 else ''} != expected {want[:6]}{'...' if len(want) > 6 else ''} ({len(got)} vs {len(want)})", ""
            return True, "", ""
        # a cursor's first rows: part of the answer, all of it if fewer
        pool = collections.Counter(want)
        pool.subtract(collections.Counter(got))
        if any(v < 0 for v in pool.values()):
            return False, f"fetched rows not in the answer: {got[:6]} vs {want[:6]}", ""
        if len(res.rows) < fetch and (e.must_error or got != want) and not e.ignore:
            return False, f"cursor ended after {len(got)} rows, expected {want[:6]}", ""
        return True, "", ""

    # -- wrappers --------------------------------------------------------

    def set_timeout(self, local):
        timeout = None
        if self.rng.random() < 0.3:
            timeout = self.rng.randint(20, 2500) * SLOW
            self.aux(f"SET {'LOCAL ' if local else ''}statement_timeout = {timeout}")
        return timeout

    def iteration(self):
        soak = self.soak
        if self.reask is not None:
            stmt, self.reask = self.gen.reask_stmt(self.reask), None
        else:
            stmt = self.gen.next()
        have_lock = False
        rules = []
        if stmt.lock:
            have_lock = soak.gen_lock.acquire(blocking=False)
            if not have_lock:
                stmt = self.gen.ids_stmt("plain")
        try:
            rules += stmt.rules
            for fault, route, ident in stmt.rules:
                self.soak.mock.add_rule(fault, route, ident)
            wrapper = self.rng.choices(["plain", "rollback", "savepoint", "cursor"],
                                       [40, 15, 20, 25])[0]
            soak.count(f"wrapper {wrapper}")
            tag = f"s{self.index}.{self.gen.n}.{soak.c['statements']}"
            soak.descs[tag] = stmt.desc
            sql = f"/* chaos {tag} */ {stmt.sql}"
            if wrapper == "plain":
                timeout = self.set_timeout(False)
                res, ok = self.chaos(tag, stmt, sql, timeout)
                if timeout is not None:
                    self.aux(f"SET statement_timeout = {CAP_MS}")
            elif wrapper == "rollback":
                self.aux("BEGIN")
                timeout = self.set_timeout(True)
                res, ok = self.chaos(tag, stmt, sql, timeout)
                self.aux("ROLLBACK")
            elif wrapper == "savepoint":
                self.aux("BEGIN")
                self.aux("SAVEPOINT chaos")
                timeout = self.set_timeout(True)
                res, ok = self.chaos(tag, stmt, sql, timeout)
                self.aux("ROLLBACK TO SAVEPOINT chaos")
                soak.count("savepoints rolled back")
                # the statement's scan is gone with its savepoint, before
                # the transaction ends
                self.check_memory("after ROLLBACK TO SAVEPOINT")
                # the transaction goes on after the savepoint
                second = self.gen.ids_stmt(self.rng.choice(["plain", "cached"]))
                rules += second.rules
                for fault, route, ident in second.rules:
                    self.soak.mock.add_rule(fault, route, ident)
                tag2 = tag + "b"
                soak.descs[tag2] = second.desc
                self.chaos(tag2, second, f"/* chaos {tag2} */ {second.sql}", None)
                self.aux(self.rng.choice(["COMMIT", "ROLLBACK"]))
            else:
                self.aux("BEGIN")
                timeout = self.set_timeout(True)
                self.aux(f"DECLARE chaos NO SCROLL CURSOR FOR {sql}")
                k = self.rng.randint(1, 3)
                res, ok = self.chaos(tag, stmt, f"/* chaos {tag} */ FETCH {k} FROM chaos",
                                     timeout, fetch=k)
                if res.ok and self.rng.random() < 0.6:
                    self.aux("CLOSE chaos")
                    soak.count("cursors closed early")
                    # a cursor closed early frees its scan at once
                    self.check_memory("after CLOSE")
                    self.aux(self.rng.choice(["COMMIT", "ROLLBACK"]))
                else:
                    self.aux("ROLLBACK")
            if not self.conn.idle():
                self.aux("ROLLBACK")
            if (stmt.reask and res.ok is False and ok and res.sqlstate != "57014"
                    and stmt.reask[3].kind == "error") or \
               (stmt.reask and res.ok and stmt.reask[0] == "plain"):
                # the once-fault was served: the id must now give its rows
                # (on the cached server only errors, which are never kept)
                self.reask = stmt.reask
        finally:
            # rules a statement left (it ended before its calls took them)
            for ident in {r[2] for r in rules}:
                self.soak.mock.drop_rules(ident)
            if have_lock:
                soak.gen_lock.release()
        self.check_memory("after the transaction")

    def check_memory(self, where):
        if self.by_path is None:
            ver = self.aux("SHOW server_version_num")
            self.by_path = ver.ok and int(ver.rows[0][0]) >= 180000
        res = self.aux(MEMQ_18 if self.by_path else MEMQ)
        if not res.ok:
            return
        self.soak.count("memory checks")
        left = leftover_contexts(context_chains(res.rows, self.by_path))
        if left:
            self.soak.count("leftover contexts", len(left))
            self.soak.failure("memory", f"s{self.index} statement {self.gen.n}, {where}: "
                                        + "; ".join(left[:5]))

    def run(self):
        try:
            self.connect()
        except ConnectionError as exc:
            self.soak.failure("alive", f"s{self.index} could not connect: {exc}")
            return
        while not self.soak.stop.is_set():
            try:
                self.iteration()
            except ConnectionAbortedError as exc:
                self.lost(f"s{self.index}.{self.gen.n}", pq.Result(message=str(exc), lost=True))
            except Exception as exc:          # a bug of the soak itself
                self.soak.failure("answer", f"s{self.index}: soak error {exc!r}")
                time.sleep(0.5)
        self.conn.close()


def canceller(soak, sessions, rng):
    """Cancels a running statement of a random session now and then."""
    conn = pq.Conn(f"dbname={DB} application_name=chaos_cancel")
    while not soak.stop.wait(rng.uniform(0.1, 1.5) * SLOW):
        s = rng.choice(sessions)
        with s.state:
            if s.running is None:
                continue
            s.cancelled = True
            res = conn.execute(f"SELECT pg_cancel_backend({s.pid})")
        soak.count("cancels sent")
        if not res.ok:
            if res.lost:
                try:
                    conn.close()
                    conn = pq.Conn(f"dbname={DB} application_name=chaos_cancel")
                except ConnectionError:
                    time.sleep(1)
    conn.close()


# ---------------------------------------------------------------------------
# Set-up, the run, the checks
# ---------------------------------------------------------------------------

def setup(mock):
    admin = pq.Conn("dbname=postgres")
    for sql in (f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", f"CREATE DATABASE {DB}"):
        res = admin.execute(sql)
        if not res.ok:
            raise SystemExit(f"{sql}: {res.message}")
    admin.close()
    db = pq.Conn(f"dbname={DB}")
    opts = (f"endpoint {pq.quote(mock.url)}, project_id {pq.quote(P_MAIN)}, "
            f"max_retries '{MAX_RETRIES}', timeout_ms '{TIMEOUT_MS}', "
            f"connect_timeout_ms '{2000 * SLOW}', max_retry_time_ms '{RETRY_TIME_MS}'")
    for sql in ["SET client_min_messages = warning",
                "CREATE EXTENSION dwsdr_fdw",
                f"CREATE SERVER chaos FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS ({opts})",
                f"CREATE SERVER chaos_cached FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS ({opts}, cache_ttl '60')",
                "CREATE SCHEMA plain", "CREATE SCHEMA cached"] + [
                f"CREATE USER MAPPING FOR PUBLIC SERVER {s} OPTIONS (access_key "
                f"{pq.quote(M.DEFAULT_ACCESS_KEY)}, secret_key {pq.quote(M.DEFAULT_SECRET_KEY)})"
                for s in ("chaos", "chaos_cached")] + [
                "IMPORT FOREIGN SCHEMA dwsdr FROM SERVER chaos INTO plain",
                "IMPORT FOREIGN SCHEMA dwsdr FROM SERVER chaos_cached INTO cached"]:
        res = db.execute(sql)
        if not res.ok:
            raise SystemExit(f"{sql}: {res.sqlstate} {res.message}")
    db.close()


# What the postmaster logs (at LOG) when a backend crashed, and PANIC.  The
# same lines at DEBUG level (log_min_messages = debug5 in scripts/test) and
# the exit code 2 of the sessions it then stops are not counted twice.
CRASH_RE = re.compile(r"\] (LOG:  .*(terminated by signal|was terminated by exception|"
                      r"server process \(PID [0-9]+\) exited with exit code [^01]|"
                      r"all server processes terminated)|PANIC: )")


def crashes_in_log(path, offset):
    """Crash lines of the server log written since offset, each with the
    statement its process was running."""
    found = []
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            lines = f.read().decode(errors="replace").splitlines()
    except OSError as exc:
        return [f"cannot read the server log {path}: {exc}"]
    for n, line in enumerate(lines):
        if CRASH_RE.search(line):
            item = line.strip()
            nxt = lines[n + 1] if n + 1 < len(lines) else ""
            if "Failed process was running" in nxt:
                item += " | " + nxt.strip()[:400]
            found.append(item)
    return found


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: test/chaos/run SECONDS [SEED]")
    seconds = float(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else int.from_bytes(os.urandom(4), "big")
    print(f"chaos: seed {seed}, {seconds:g} s, {SESSIONS} sessions, "
          f"{len(CATALOGUE)} faults, {GENERATED} generated tasks "
          f"(replay: test/chaos/run {seconds:g} {seed})", flush=True)
    workdir = os.environ.get("DWSDR_CHAOS_DIR") or "/tmp"
    log = open(os.path.join(workdir, f"chaos.{seed}.log"), "w")
    server_log = os.environ.get("DWSDR_SERVER_LOG", "")
    offset = os.path.getsize(server_log) if server_log and os.path.exists(server_log) else 0
    mock = Mock(log)
    try:
        setup(mock)
        soak = Soak(seed, seconds, mock, log)
        sessions = [Session(soak, i + 1) for i in range(SESSIONS)]
        for s in sessions:
            s.start()
        cancel_rng = random.Random(f"{seed}/cancel")
        ct = threading.Thread(target=canceller, args=(soak, sessions, cancel_rng), daemon=True)
        ct.start()
        watchdog = pq.Conn("dbname=postgres application_name=chaos_watchdog")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.5)
            for s in sessions:
                with s.state:
                    r = s.running
                if r and time.monotonic() - r[1] > BOUND_S and s.pid:
                    soak.failure("bound", f"{r[0]} still running after {BOUND_S:.0f} s: "
                                          f"{soak.descs.get(r[0], '?').__str__()}; terminated")
                    watchdog.execute(f"SELECT pg_terminate_backend({s.pid})")
        soak.stop.set()
        stop_by = time.monotonic() + BOUND_S + 10
        for s in sessions + [ct]:
            s.join(max(0.1, stop_by - time.monotonic()))
            if s.is_alive():
                soak.failure("bound", f"{s.name} did not stop within {BOUND_S + 10:.0f} s")
        watchdog.close()

        # the cluster still answers: a new session, and a good query
        try:
            final = pq.Conn(f"dbname={DB}")
            t = TASKS[(P_MAIN, M.TASK_PUBLISHED)]
            res = final.execute(f"SELECT {TABLES['dr_clusters'][0]} FROM plain.dr_clusters "
                                f"WHERE dr_id = {pq.quote(t.id)}")
            want = normalize("dr_clusters", cluster_rows(P_MAIN, t))
            got = normalize("dr_clusters", res.rows or [])
            if not res.ok or sorted(got) != sorted(want):
                soak.failure("alive", f"final query: {res!r} {got} != {want}")
            final.close()
        except ConnectionError as exc:
            soak.failure("alive", f"no new session at the end: {exc}")

        if server_log:
            for line in crashes_in_log(server_log, offset):
                m = re.search(r"/\* chaos (\S+) \*/", line)
                desc = soak.descs.get(m.group(1), "") if m else ""
                soak.failure("crash", line + (f" || faults: {desc}" if desc else ""))
        else:
            print("# note: DWSDR_SERVER_LOG not set, crashes are seen only as lost sessions")
        try:
            drop = pq.Conn("dbname=postgres")
            drop.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
            drop.close()
        except ConnectionError:
            pass
    finally:
        mock.stop()
        log.close()

    c = soak.c
    print(f"statements: {c['statements']} (answers right {c['answers right']}, "
          f"clean errors {c['clean errors']}, wrong answers {c['answers wrong']}, "
          f"wrong errors {c['errors wrong']})")
    print(f"wrappers: plain {c['wrapper plain']}, rolled back {c['wrapper rollback']}, "
          f"savepoint {c['wrapper savepoint']} (rolled back {c['savepoints rolled back']}), "
          f"cursor {c['wrapper cursor']} (closed early {c['cursors closed early']})")
    print(f"cancels: {c['cancels sent']} sent, {c['cancels that hit']} ended a statement; "
          f"timeouts: {c['timeouts']}; lost connections: {c['lost connections']}; "
          f"crashes in the log: {sum(1 for f in soak.fail['crash'] if 'terminated by' in f)}; "
          f"memory checks: {c['memory checks']} (leftover contexts {c['leftover contexts']})")
    by_code = collections.Counter()
    for (code, kind), n in soak.errors.items():
        by_code[code] += n
    print("errors by SQLSTATE: " + (", ".join(f"{k} {v}" for k, v in sorted(by_code.items(), key=str)) or "none"))
    print("errors by kind: " + (", ".join(f"{code}/{kind} {n}" for (code, kind), n in
                                          sorted(soak.errors.items(), key=str)) or "none"))
    checks = [("crash", "no backend crash (server log, sessions)"),
              ("answer", "every statement: the right rows or an allowed ERROR"),
              ("memory", "no dwsdr memory context left after a statement"),
              ("bound", "every statement ended within its bound, the soak stopped by itself"),
              ("alive", "the cluster still answers")]
    passed = failed = 0
    for n, (key, name) in enumerate(checks, 1):
        fails = soak.fail[key]
        if fails:
            failed += 1
            print(f"not ok {n} - {name}: {len(fails)} failure(s)")
            # the server log's lines (with the statement) before the
            # sessions that lost their connection
            for f in sorted(fails, key=lambda f: "lost its connection" in f)[:8]:
                print(f"#   {f[:1500]}")
        else:
            passed += 1
            print(f"ok {n} - {name}")
    print("contexts kept by design: " + ("; ".join(sorted(KEPT)) or "none"))
    print(f"# seed {seed}; details in {log.name}")
    print(f"# {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
