#!/usr/bin/env python3
"""Quick self-contained check of dws_mock.py (the local DWS DR API stand-in).

Starts the mock on a free port in a subprocess, signs requests with a small
signer of its own (independent of the mock's), and checks the detail, list
and progress calls, missing tasks, bad paths, authentication failures, fault
injection, the statistics, proxy (absolute-form) requests, redirects, and the
API over HTTPS with a throwaway CA made by openssl (skipped without it).  Prints TAP-like "ok"/"not ok" lines and a
final "# N passed, M failed"; exits 0 when everything passed, else 1.

    python3 test/mock/test_mock.py
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "dws_mock.py")

AK, SK = "DEMOACCESSKEY000001", "demo-secret-key-0001"
TEMP_AK, TEMP_SK = "TEMPACCESSKEY000002", "temp-secret-key-0002"
SECURITY_TOKEN = "demo-security-token-0002"
IAM_TOKEN = "demo-iam-token-0003"

P_MAIN = "0536cdee2200d5912f7cc00b877980f1"
P_EU = "e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6"
P_GEN = "b0000000000000000000000000000000"
T_PUB = "b303b78d-438c-41dd-aaf6-c98eea1fc2a6"
T_FIN = "6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a"
T_ABN = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
T_LAG = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
T_NEW = "f0e1d2c3-b4a5-4968-8776-655443322110"

PUBLISHED = {"disaster_recovery": {
    "id": "b303b78d-438c-41dd-aaf6-c98eea1fc2a6", "name": "dws-it-02",
    "status": "running", "dr_type": "region",
    "primary_cluster": {
        "id": "3de21046-e65e-4fcf-86bf-583115b39c27",
        "name": "dws-203-primary", "cluster_az": "cn-north-7c",
        "role": "primary", "region": "cn-north-7", "status": "waiting",
        "progress": "100", "last_success_time": "2023-04-29T06:39:56",
        "obs_bucket_name": None},
    "standby_cluster": {
        "id": "5d946c51-9ffa-49e3-9129-2bea4d23d3fd",
        "name": "dws-205-standby", "cluster_az": None, "role": "standby",
        "region": "cn-north-208", "status": "waiting", "progress": "100",
        "last_success_time": "2023-04-29T06:39:56", "obs_bucket_name": None},
    "dr_sync_period": "3H", "start_time": "2023-04-28T09:23:38",
    "create_time": "2023-04-28T08:51:54"}}

LIST_KEYS = {"id", "status", "name", "dr_type", "primary_cluster_id",
             "primary_cluster_name", "standby_cluster_id",
             "standby_cluster_name", "primary_cluster_role",
             "standby_cluster_role", "primary_cluster_status",
             "standby_cluster_status", "primary_cluster_region",
             "standby_cluster_region", "primary_cluster_project_id",
             "standby_cluster_project_id", "last_disaster_time",
             "start_time", "create_time"}

# ---------------------------------------------------------------------------
# A tiny independent signer: the caller gives decoded path segments and
# decoded query parameters, as a client would.
# ---------------------------------------------------------------------------


def enc(s: str) -> str:
    return quote(s, safe="-_.~")


def signed_request(segments, params=(), *, ak=AK, sk=SK, header_project=None,
                   token=None, date=None, extra_headers=None, sign=True):
    """(target, headers) for a GET of /seg1/seg2/...?params."""
    path = "/" + "/".join(enc(s) for s in segments)
    pairs = sorted((enc(k), enc(v)) for k, v in params)
    query = "&".join(f"{k}={v}" for k, v in pairs)
    target = path + ("?" + query if query else "")
    if not sign:
        return target, dict(extra_headers or {})
    headers = {"X-Sdk-Date": date or dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
               "X-Project-Id": header_project if header_project is not None else segments[1],
               "Content-Type": "application/json"}
    if token:
        headers["X-Security-Token"] = token
    headers.update(extra_headers or {})
    return target, headers


def authorize(conn, target, headers, ak, sk, body=b"", host=None):
    """Add Host (this connection's, unless given) and Authorization."""
    headers = dict(headers)
    headers["Host"] = host or f"{conn.host}:{conn.port}"
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(n for n in lower if "_" not in n)
    path, _, query = target.partition("?")
    canon_uri = path if path.endswith("/") else path + "/"
    canon = "\n".join([
        "GET", canon_uri, query,
        "".join(f"{n}:{lower[n]}\n" for n in names),
        ";".join(names), hashlib.sha256(body).hexdigest()])
    sts = "SDK-HMAC-SHA256\n%s\n%s" % (
        lower["x-sdk-date"], hashlib.sha256(canon.encode()).hexdigest())
    sig = hmac.new(sk.encode(), sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"SDK-HMAC-SHA256 Access={ak}, "
                                f"SignedHeaders={';'.join(names)}, Signature={sig}")
    return headers


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class Client:
    def __init__(self, port, host="127.0.0.1", context=None):
        self.port, self.host, self.context = port, host, context
        self.conn = self._connect()

    def _connect(self):
        if self.context is not None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=30,
                                               context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def new_connection(self):
        self.conn.close()
        self.conn = self._connect()

    def get(self, segments, params=(), *, ak=AK, sk=SK, sign=True, **kw):
        target, headers = signed_request(segments, params, sign=sign, **kw)
        if sign:
            headers = authorize(self.conn, target, headers, ak, sk)
        return self.raw("GET", target, headers)

    def raw(self, method, target, headers=None, body=None):
        try:
            self.conn.request(method, target, body=body, headers=headers or {})
            r = self.conn.getresponse()
            data = r.read()
            return Response(r.status, r.headers, data)
        except Exception:
            self.new_connection()
            raise

    def control(self, method, name, body=None):
        r = self.raw(method, "/__mock/" + name,
                     {"Content-Type": "application/json"},
                     json.dumps(body).encode() if body is not None else None)
        return r.json()


def detail(c, project, task_id, **kw):
    return c.get(["v2", project, "disaster-recovery", task_id], **kw)


def listing(c, project, params=(), **kw):
    return c.get(["v2", project, "disaster-recoveries"], params, **kw)


def progress(c, project, task_id, **kw):
    return c.get(["v1", project, "disaster-recovery", task_id, "show-progress"], **kw)


# ---------------------------------------------------------------------------
# Test harness
# ---------------------------------------------------------------------------

PASSED = FAILED = 0


def check(name, cond, info=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print(f"ok {PASSED + FAILED} - {name}")
    else:
        FAILED += 1
        print(f"not ok {PASSED + FAILED} - {name}" + (f"  # {info}" if info else ""))


def start_mock(*args, tls=False):
    """(process, port), or (process, port, tls_port) with tls=True."""
    proc = subprocess.Popen([sys.executable, MOCK, "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    ports = []
    for scheme in ("http", "https") if tls else ("http",):
        line = proc.stdout.readline()
        m = re.match(rf"dws_mock listening on {scheme}://127\.0\.0\.1:(\d+)$",
                     line.strip())
        if not m:
            proc.kill()
            raise RuntimeError(f"mock did not start: {line!r} {proc.stderr.read()}")
        ports.append(int(m.group(1)))
    return (proc, *ports)


def stop_mock(proc):
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def is_error(r, status, code):
    try:
        body = r.json()
    except ValueError:
        return False
    return r.status == status and body.get("error_code") == code


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

def test_selftest():
    r = subprocess.run([sys.executable, MOCK, "--selftest"],
                       capture_output=True, text=True)
    check("--selftest exits 0", r.returncode == 0, r.stdout[-500:])
    check("--selftest reproduces the GET/POST vectors",
          "ok - GET signature vector" in r.stdout
          and "ok - POST signature vector" in r.stdout
          and "ok - query vector from parameters" in r.stdout)


def test_reads(c):
    r = detail(c, P_MAIN, T_PUB)
    check("detail of the published example: 200", r.status == 200, r.body[:200])
    check("detail equals the published example exactly", r.json() == PUBLISHED)
    check("X-Request-Id is 32 hex chars",
          re.fullmatch(r"[0-9a-f]{32}", r.headers.get("X-Request-Id", "")))
    check("Content-Type application/json;charset=utf8",
          r.headers.get("Content-Type") == "application/json;charset=utf8")
    r2 = detail(c, P_MAIN, T_PUB)
    check("request ids are unique",
          r2.headers["X-Request-Id"] != r.headers["X-Request-Id"])

    fin = detail(c, P_MAIN, T_FIN).json()["disaster_recovery"]
    check("finance: numeric progress 87.5 on primary, '100' on standby",
          fin["primary_cluster"]["progress"] == 87.5
          and fin["standby_cluster"]["progress"] == "100")
    check("finance: newer fields and offset times",
          fin["primary_cluster"]["datastore_version"] == "8.2.1"
          and fin["primary_cluster"]["disk_used"] == "412.5"
          and fin["standby_cluster"]["last_success_time"] == "2024-03-01T18:30:00.250+08:00"
          and fin["dr_sync_period"] == "20m")
    abn = detail(c, P_MAIN, T_ABN).json()["disaster_recovery"]
    check("abnormal: standby_cluster null, dr_type az",
          abn["standby_cluster"] is None and abn["dr_type"] == "az"
          and abn["primary_cluster"]["last_success_time"] == "2024-01-05 08:00:00")
    new = detail(c, P_MAIN, T_NEW).json()["disaster_recovery"]
    check("creating: null period and start_time",
          new["status"] == "creating" and new["dr_sync_period"] is None
          and new["start_time"] is None)

    r = listing(c, P_MAIN)
    items = r.json()["disaster_recovery"]
    check("list of the main project: 5 flat items", r.status == 200 and len(items) == 5)
    check("list items have exactly the documented keys",
          all(set(i) == LIST_KEYS for i in items))
    pub = next(i for i in items if i["id"] == T_PUB)
    check("published list item consistent with detail",
          pub["name"] == "dws-it-02" and pub["standby_cluster_region"] == "cn-north-208"
          and pub["primary_cluster_project_id"] == P_MAIN
          and pub["last_disaster_time"] is None)
    abn_item = next(i for i in items if i["id"] == T_ABN)
    check("abnormal list item: standby fields null",
          abn_item["standby_cluster_id"] is None
          and abn_item["standby_cluster_project_id"] is None)
    fin_item = next(i for i in items if i["id"] == T_FIN)
    check("finance list item last_disaster_time",
          fin_item["last_disaster_time"] == "2024-02-20T03:04:05")

    r = listing(c, P_MAIN, [("id", T_LAG)])
    check("list filter id", [i["id"] for i in r.json()["disaster_recovery"]] == [T_LAG])
    r = listing(c, P_MAIN, [("primary_cluster_id", "3de21046-e65e-4fcf-86bf-583115b39c27")])
    check("list filter primary_cluster_id",
          [i["id"] for i in r.json()["disaster_recovery"]] == [T_PUB])
    r = listing(c, P_MAIN, [("standby_cluster_id", "nope"), ("id", T_PUB)])
    check("list filters combine (AND)", r.json()["disaster_recovery"] == [])
    r = listing(c, P_EU)
    check("EU project: 2 tasks in eu-west-101",
          [i["name"] for i in r.json()["disaster_recovery"]] == ["dr-eu-01", "dr-eu-02"]
          and all(i["primary_cluster_region"] == "eu-west-101"
                  for i in r.json()["disaster_recovery"]))
    r = listing(c, "0" * 32)
    check("unknown project: empty list",
          r.status == 200 and r.json() == {"disaster_recovery": []})

    r = progress(c, P_MAIN, T_PUB)
    p = r.json().get("disaster_recovery_progress", {})
    check("progress of the published task",
          r.status == 200 and p.get("primary_cluster", {}).get("key") == "20230327_201637"
          and p["primary_cluster"]["action_start_time"] == "2023-03-27 20:16:34"
          and p["standby_cluster"]["action_type"] == "Restore"
          and p["recovery_point_object"] == 180 and p["last_recovery_spend"] == 27)


def test_missing_and_paths(c):
    r = detail(c, P_MAIN, "00000000-0000-0000-0000-000000000000")
    check("missing task: 400 DWS.10101", is_error(r, 400, "DWS.10101"), r.body)
    r = detail(c, P_EU, T_PUB)
    check("task of another project: 400 DWS.10101", is_error(r, 400, "DWS.10101"))
    r = progress(c, P_MAIN, "nope")
    check("missing progress: 400 DWS.10101", is_error(r, 400, "DWS.10101"))
    r = detail(c, P_MAIN, "a/b")
    check("id with encoded '/' is one segment: 400 DWS.10101", is_error(r, 400, "DWS.10101"), r.body)
    r = detail(c, P_MAIN, "..")
    check("id '..' (sent as %2E%2E) is one segment: 400 DWS.10101", is_error(r, 400, "DWS.10101"))
    r = c.raw("GET", f"/v2/{P_MAIN}/disaster-recovery/")
    check("empty id segment: 404 APIGW.0101", is_error(r, 404, "APIGW.0101"))
    r = c.raw("GET", f"/v2/{P_MAIN}/disaster-recovery/{T_PUB}/extra")
    check("extra path segment: 404 APIGW.0101", is_error(r, 404, "APIGW.0101"))
    body = r.json()
    check("the gateway's 404 text",
          body.get("error_msg") == "The API does not exist or has not been "
          "published in the environment" and body.get("request_id"), r.body)
    r = c.raw("GET", f"/__www/v2/{P_MAIN}/disaster-recoveries")
    check("/__www: a plain web server's 404 page",
          r.status == 404 and r.headers["Content-Type"] == "text/html"
          and b"File not found" in r.body)
    r = c.get(["__legacy", "v2", P_MAIN, "disaster-recoveries"], [("id", T_PUB)],
              header_project=P_MAIN)
    ids = [t["id"] for t in r.json().get("disaster_recovery", [])]
    check("/__legacy: the list ignores ?id= (the whole project)",
          r.status == 200 and len(ids) == 5 and T_PUB in ids, r.body)
    r = listing(c, P_MAIN, [("id", T_PUB)])
    check("without the prefix the list honours ?id=",
          r.status == 200 and [t["id"] for t in r.json()["disaster_recovery"]] == [T_PUB])
    r = c.get(["__legacy", "v2", P_MAIN, "disaster-recovery", T_PUB],
              header_project=P_MAIN)
    check("/__legacy: the detail call, signed over the full path",
          r.status == 200 and r.json() == PUBLISHED, r.body)
    r = c.get(["__legacy", "v2", P_MAIN, "disaster-recovery", T_PUB],
              header_project=P_MAIN, sk="wrong")
    check("/__legacy: still authenticated", is_error(r, 401, "APIGW.0301"))
    t0 = time.monotonic()
    r = c.get(["__delay300", "v2", P_MAIN, "disaster-recovery", T_PUB],
              header_project=P_MAIN)
    check("/__delay300: the detail call, 300 ms late, signed over the full path",
          r.status == 200 and r.json() == PUBLISHED
          and time.monotonic() - t0 >= 0.3, r.body)
    r = c.get(["__delay10", "__legacy", "v2", P_MAIN, "disaster-recoveries"],
              [("id", T_PUB)], header_project=P_MAIN)
    check("/__delay10/__legacy: the older API, late",
          r.status == 200 and len(r.json().get("disaster_recovery", [])) == 5, r.body)
    r = c.raw("POST", f"/v2/{P_MAIN}/disaster-recoveries", {}, b"{}")
    check("POST on an API route: 405 JSON", r.status == 405 and "error_code" in r.json())


def test_auth(c):
    r = detail(c, P_MAIN, T_PUB, sign=False)
    check("no credentials: 401 APIGW.0301", is_error(r, 401, "APIGW.0301"))
    check("401 body request_id equals X-Request-Id",
          r.json().get("request_id") == r.headers.get("X-Request-Id"))
    r = detail(c, P_MAIN, T_PUB, sk="wrong-secret")
    check("wrong secret: 401 APIGW.0301", is_error(r, 401, "APIGW.0301"))
    r = detail(c, P_MAIN, T_PUB, ak="UNKNOWNAK")
    check("unknown access key: 401", is_error(r, 401, "APIGW.0301"))
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    r = detail(c, P_MAIN, T_PUB, date=old)
    check("X-Sdk-Date 20 minutes old: 401", is_error(r, 401, "APIGW.0301"))
    r = detail(c, P_MAIN, T_PUB, date="2024-01-01T00:00:00Z")
    check("malformed X-Sdk-Date: 401", is_error(r, 401, "APIGW.0301"))
    r = detail(c, P_MAIN, T_PUB, header_project=P_EU)
    check("X-Project-Id not matching the path: 401", is_error(r, 401, "APIGW.0301"))
    r = detail(c, P_MAIN, T_PUB, ak=TEMP_AK, sk=TEMP_SK, token=SECURITY_TOKEN)
    check("temporary AK/SK with security token: 200", r.status == 200, r.body)
    r = detail(c, P_MAIN, T_PUB, ak=TEMP_AK, sk=TEMP_SK)
    check("temporary AK/SK without token: 401", is_error(r, 401, "APIGW.0301"))
    r = detail(c, P_MAIN, T_PUB, ak=TEMP_AK, sk=TEMP_SK, token="bad-token")
    check("temporary AK/SK with a wrong token: 401", is_error(r, 401, "APIGW.0301"))
    r = detail(c, P_MAIN, T_PUB, token=SECURITY_TOKEN)
    check("permanent AK with a security token: 401", is_error(r, 401, "APIGW.0301"))
    r = detail(c, P_MAIN, T_PUB, sign=False, extra_headers={"X-Auth-Token": IAM_TOKEN})
    check("IAM token: 200", r.status == 200 and r.json() == PUBLISHED)
    r = detail(c, P_MAIN, T_PUB, sign=False, extra_headers={"X-Auth-Token": "nope"})
    check("wrong IAM token: 401", is_error(r, 401, "APIGW.0301"))
    # A header changed after signing.
    target, headers = signed_request(["v2", P_MAIN, "disaster-recovery", T_PUB])
    headers = authorize(c.conn, target, headers, AK, SK)
    headers["X-Project-Id"] = P_MAIN + " "   # trimmed: still valid
    r = c.raw("GET", target, headers)
    check("signed header value is trimmed before comparing", r.status == 200, r.body)
    target2 = target.replace(T_PUB, T_FIN)
    r = c.raw("GET", target2, headers)
    check("path changed after signing: 401", is_error(r, 401, "APIGW.0301"))
    # Query parameters with characters that need encoding.
    r = listing(c, P_MAIN, [("id", "x y/é*()"), ("primary_cluster_id", "~a-b_c.d")])
    check("list with encoded query values is accepted (empty result)",
          r.status == 200 and r.json() == {"disaster_recovery": []}, r.body)


def test_faults(c):
    nonce = uuid.uuid4().hex[:8]
    fid = f"fault-500-once-{nonce}"
    r1, r2 = detail(c, P_MAIN, fid), detail(c, P_MAIN, fid)
    check("fault-500-once: first 500 DWS.9999", is_error(r1, 500, "DWS.9999"))
    check("fault-500-once: then a synthesized task",
          r2.status == 200 and r2.json()["disaster_recovery"]["name"] == "fault task"
          and r2.json()["disaster_recovery"]["id"] == fid)
    fid = f"fault-503-twice-{nonce}"
    rs = [detail(c, P_MAIN, fid) for _ in range(3)]
    check("fault-503-twice: 503, 503, 200 with Retry-After",
          [r.status for r in rs] == [503, 503, 200]
          and rs[0].headers.get("Retry-After") == "1")
    r = detail(c, P_MAIN, "fault-429")
    check("fault-429: APIGW.0308 + Retry-After",
          is_error(r, 429, "APIGW.0308") and r.headers.get("Retry-After") == "1")
    r = detail(c, P_MAIN, "fault-403")
    check("fault-403: DWS.0015", is_error(r, 403, "DWS.0015"))
    r = progress(c, P_MAIN, "fault-500")
    check("progress fault-500", is_error(r, 500, "DWS.9999"))
    r = progress(c, P_MAIN, f"fault-502-once-{nonce}")
    r = progress(c, P_MAIN, f"fault-502-once-{nonce}")
    check("progress fault-502-once then success",
          r.status == 200 and "disaster_recovery_progress" in r.json())
    r = listing(c, "fault-500")
    check("list with project fault-500: 500", is_error(r, 500, "DWS.9999"))
    r = listing(c, "fault-slow-10")
    check("list with project fault-slow-10: one synthesized item",
          r.status == 200 and len(r.json()["disaster_recovery"]) == 1)
    r = detail(c, P_MAIN, "fault-missing")
    check("fault-missing: 400 DWS.10101", is_error(r, 400, "DWS.10101"))
    r = detail(c, P_MAIN, "fault-404missing")
    check("fault-404missing: 404 DWS.10101", is_error(r, 404, "DWS.10101"))
    r = detail(c, P_MAIN, "fault-404dws")
    check("fault-404dws: 404 DWS.0404", is_error(r, 404, "DWS.0404"))
    r = detail(c, P_MAIN, "fault-404html")
    check("fault-404html: 404 text/html",
          r.status == 404 and r.headers["Content-Type"] == "text/html"
          and b"File not found" in r.body)
    bad = {"itemnumber": 7, "itemnull": None,
           "itemstring": "b303b78d-438c-41dd-aaf6-c98eea1fc2a6",
           "idempty": "", "idnumber": 7, "idbig": 2 ** 64,
           "idmissing": KeyError, "idnull": None}
    for kind, want in bad.items():
        r = listing(c, f"fault-{kind}")
        items = r.json()["disaster_recovery"] if r.status == 200 else []
        second = items[1] if len(items) == 2 else KeyError
        got = (second if kind.startswith("item") else
               second.get("id", KeyError) if isinstance(second, dict) else second)
        check(f"fault-{kind}: a good item, then a bad one",
              r.status == 200 and items[0]["id"] == f"fault-{kind}"
              and got == want and type(got) is type(want), r.body)
    r = detail(c, P_MAIN, "fault-idempty")
    check("fault-idempty on a detail call: answered normally",
          r.status == 200 and r.json()["disaster_recovery"]["id"] == "fault-idempty")
    r = detail(c, P_MAIN, "fault-otherid")
    check("fault-otherid: another task's detail",
          r.status == 200 and r.json()["disaster_recovery"]["id"]
          == "b303b78d-438c-41dd-aaf6-c98eea1fc2a6")
    r = listing(c, "fault-otherid")
    check("fault-otherid on a list: answered normally",
          r.status == 200 and r.json()["disaster_recovery"][0]["id"] == "fault-otherid")
    r = detail(c, P_MAIN, "fault-typo")
    check("unknown fault kind: 400 DWS.0001", is_error(r, 400, "DWS.0001"))

    t0 = time.monotonic()
    r = detail(c, P_MAIN, "fault-slow-300")
    check("fault-slow-300 waits and answers",
          r.status == 200 and time.monotonic() - t0 >= 0.3)
    t0 = time.monotonic()
    r = detail(c, P_MAIN, "fault-slowbody-300")
    check("fault-slowbody-300 delivers a complete valid body",
          r.status == 200 and r.json()["disaster_recovery"]["id"] == "fault-slowbody-300"
          and time.monotonic() - t0 >= 0.3)
    r = detail(c, P_MAIN, "fault-badjson")
    check("fault-badjson: truncated JSON",
          r.status == 200 and r.body == b'{"disaster_recovery": {"id": "x",')
    r = detail(c, P_MAIN, "fault-html")
    check("fault-html: 200 text/html",
          r.status == 200 and r.headers["Content-Type"] == "text/html"
          and b"502 Bad Gateway" in r.body)
    r = detail(c, P_MAIN, "fault-html502")
    check("fault-html502: 502 text/html",
          r.status == 502 and r.headers["Content-Type"] == "text/html")
    r = detail(c, P_MAIN, "fault-200error")
    check("fault-200error", r.status == 200 and r.json()["error_code"] == "DWS.9999")
    r = detail(c, P_MAIN, "fault-notobject")
    check("fault-notobject", r.status == 200 and r.json() == [1, 2, 3])
    d = detail(c, P_MAIN, "fault-wrongtypes").json()["disaster_recovery"]
    check("fault-wrongtypes", d["name"] == 42 and d["status"] is True
          and d["primary_cluster"] == "oops" and d["start_time"] == {"a": 1}
          and d["standby_cluster"]["progress"] == 99.5)
    r = detail(c, P_MAIN, "fault-bignum")
    d = r.json()["disaster_recovery"]
    check("fault-bignum: 2**64 as an integer",
          r.status == 200 and d["big_int"] == 2 ** 64
          and d["primary_cluster"]["disk_used"] == 2 ** 64
          and b"huge_real" not in r.body and d["name"] == "fault task")
    r = detail(c, P_MAIN, "fault-hugereal")
    check("fault-hugereal: 2**64 and 1e400",
          r.status == 200 and b'"huge_real": 1e400' in r.body
          and r.json()["disaster_recovery"]["big_int"] == 2 ** 64)
    r = detail(c, P_MAIN, "fault-digits")
    check("fault-digits: numbers spelled as written",
          r.status == 200 and b'"progress": 87.50' in r.body
          and b'"huge_integer": 123456789012345678901234567890' in r.body
          and b'"negative_zero": -0,' in r.body and b'"small": 1E-7' in r.body
          and r.json()["disaster_recovery"]["name"] == "fault task")
    d = detail(c, P_MAIN, "fault-times").json()["disaster_recovery"]
    check("fault-times: times in many spellings",
          d["times"]["t_frac10"] == "2023-04-29T06:39:56.1234567890"
          and d["name"] == "fault task" and "big_int" not in d)
    r = detail(c, P_MAIN, "fault-deep")
    check("fault-deep: 1000 nested arrays under disaster_recovery.extra",
          r.status == 200 and b'"extra": ' + b"[" * 1000 + b"]" * 1000 in r.body
          and b"[" * 1001 not in r.body)
    r = detail(c, P_MAIN, "fault-huge-2")
    name = r.json()["disaster_recovery"]["name"]
    check("fault-huge-2: valid JSON, name of 2 MB", len(name) == 2 << 20)
    r = detail(c, P_MAIN, "fault-gzip")
    check("fault-gzip: gzip body with valid JSON",
          r.headers.get("Content-Encoding") == "gzip"
          and json.loads(gzip.decompress(r.body))["disaster_recovery"]["id"] == "fault-gzip")
    r = detail(c, P_MAIN, "fault-gzipbomb-20")
    inflated = gzip.decompress(r.body)
    check("fault-gzipbomb-20: small body inflating to 20 MB of JSON",
          len(r.body) < 200_000 and len(inflated) > 20 << 20
          and len(json.loads(inflated)["disaster_recovery"]["name"]) == 20 << 20)
    try:
        detail(c, P_MAIN, "fault-truncated")
        check("fault-truncated: incomplete read", False, "got a full answer")
    except http.client.IncompleteRead:
        check("fault-truncated: incomplete read", True)
    try:
        detail(c, P_MAIN, "fault-close")
        check("fault-close: connection closed without answer", False, "got an answer")
    except (http.client.RemoteDisconnected, ConnectionError):
        check("fault-close: connection closed without answer", True)
    r = detail(c, P_MAIN, T_PUB)
    check("a fresh connection works after fault-close", r.status == 200)

    # Redirects: a 302 pointing at the same call for the published task.
    r = detail(c, P_MAIN, "fault-redirect")
    check("fault-redirect: 302 with Location of the published task's detail",
          r.status == 302 and r.headers.get("Location")
          == f"/v2/{P_MAIN}/disaster-recovery/{T_PUB}", (r.status, r.headers))
    r2 = c.raw("GET", r.headers["Location"],
               authorize(c.conn, *signed_request(
                   ["v2", P_MAIN, "disaster-recovery", T_PUB]), AK, SK))
    check("fault-redirect: where it points is the published task",
          r2.status == 200 and r2.json() == PUBLISHED)
    r = progress(c, P_MAIN, "fault-redirect")
    check("fault-redirect on progress: 302 to its show-progress",
          r.status == 302 and r.headers.get("Location")
          == f"/v1/{P_MAIN}/disaster-recovery/{T_PUB}/show-progress")
    r = listing(c, "fault-redirect")
    check("fault-redirect as list project: 302 to the main project's list",
          r.status == 302 and r.headers.get("Location")
          == f"/v2/{P_MAIN}/disaster-recoveries")
    fid = f"fault-redirect-once-{nonce}"
    check("fault-redirect-once: 302, then the synthesized task",
          [detail(c, P_MAIN, fid).status for _ in range(2)] == [302, 200])

    # Fault rules through the control API.
    c.control("POST", "fault", {"fault": "503", "times": 1, "route": "detail",
                                "id": T_PUB})
    r1, r2 = detail(c, P_MAIN, T_PUB), detail(c, P_MAIN, T_PUB)
    check("POST /__mock/fault rule: 503 once on a real task, then normal",
          r1.status == 503 and r2.status == 200 and r2.json() == PUBLISHED)


def test_stats(c):
    c.control("POST", "reset")
    c.new_connection()
    detail(c, P_MAIN, T_PUB)
    detail(c, P_MAIN, T_PUB)
    detail(c, P_MAIN, T_FIN)
    listing(c, P_MAIN)
    progress(c, P_MAIN, T_PUB)
    detail(c, P_MAIN, T_PUB, sign=False)
    s = c.control("GET", "stats")
    check("stats: counts by route",
          (s["requests"], s["detail"], s["list"], s["progress"]) == (6, 4, 1, 1), s)
    check("stats: auth failures", s["auth_failures"] == 1, s)
    check("stats: by_id", s["by_id"] == {T_PUB: 3, T_FIN: 1}, s)
    check("stats: keep-alive (one connection for all of it)",
          s["connections"] == 1, s)

    nonce = uuid.uuid4().hex[:8]
    fid = f"fault-500-once-{nonce}"
    detail(c, P_MAIN, fid)
    c.control("POST", "reset")
    check("reset clears the once state", detail(c, P_MAIN, fid).status == 500)

    c.control("POST", "reset")

    def worker(port):
        cl = Client(port)
        detail(cl, P_MAIN, "fault-slow-400")
        cl.conn.close()

    threads = [threading.Thread(target=worker, args=(c.port,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = c.control("GET", "stats")
    check("stats: max_in_flight sees concurrent requests",
          s["max_in_flight"] >= 2 and s["connections"] >= 4, s)
    c.control("POST", "reset_max_in_flight")
    s2 = c.control("GET", "stats")
    check("reset_max_in_flight starts a new peak and keeps the counters",
          s2["max_in_flight"] == 0 and s2["requests"] == s["requests"], s2)
    detail(c, P_MAIN, "fault-slow-100")
    check("one request at a time: a peak of 1",
          c.control("GET", "stats")["max_in_flight"] == 1)


def proxied_get(c, authority, segments, params=(), host=None):
    """A GET in absolute form (http://authority/path), the way a client
    talks to an HTTP proxy, signed for Host authority (or host)."""
    target, headers = signed_request(segments, params)
    headers = authorize(c.conn, target, headers, AK, SK, host=host or authority)
    if host:    # signed for one host, sent with the authority's
        headers["Host"] = authority
    return c.raw("GET", f"http://{authority}{target}", headers)


def test_proxy(c):
    c.control("POST", "reset")
    far = "dws.example.invalid"
    r = proxied_get(c, far, ["v2", P_MAIN, "disaster-recovery", T_PUB])
    check("proxy: absolute-form detail, Host dws.example.invalid: 200",
          r.status == 200 and r.json() == PUBLISHED, r.body[:200])
    r = proxied_get(c, far + ":8080", ["v2", P_MAIN, "disaster-recoveries"],
                    [("id", T_FIN)])
    check("proxy: absolute-form list with a port and a query",
          r.status == 200
          and [i["id"] for i in r.json()["disaster_recovery"]] == [T_FIN], r.body)
    r = proxied_get(c, far, ["v1", P_MAIN, "disaster-recovery", T_PUB,
                             "show-progress"])
    check("proxy: absolute-form progress: 200", r.status == 200)
    r = proxied_get(c, far, ["v2", P_MAIN, "disaster-recovery", T_PUB],
                    host="other.example")
    check("proxy: signed for another Host than the one sent: 401",
          is_error(r, 401, "APIGW.0301"))
    r = proxied_get(c, far, ["v2", P_MAIN, "disaster-recovery", "fault-503"])
    check("proxy: faults work in absolute form", is_error(r, 503, "DWS.0503"))
    r = c.raw("GET", f"http://{far}/__mock/health")
    check("proxy: control routes in absolute form", r.status == 200
          and r.json().get("ok") is True)
    detail(c, P_MAIN, T_PUB)
    r = c.raw("CONNECT", "dws.example.invalid:443")
    check("proxy: CONNECT without an HTTPS port: 501", r.status == 501)
    c.new_connection()
    r = c.raw("GET", f"/v2/{P_MAIN}/disaster-recovery/a://b")
    check("'://' inside a path: not a proxy request (404)",
          is_error(r, 404, "APIGW.0101"), r.body)
    s = c.control("GET", "stats")
    check("stats: proxied counts the absolute-form API requests only",
          s.get("proxied") == 5 and s["requests"] == 7 and s.get("tls") == 0, s)


def make_test_ca(directory):
    """A private CA and a server certificate for localhost and 127.0.0.1
    signed by it (openssl); returns (ca.pem, server.pem, server.key)."""
    ca_key, ca = (os.path.join(directory, n) for n in ("ca.key", "ca.pem"))
    key, csr, crt = (os.path.join(directory, n)
                     for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(directory, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName = DNS:localhost, IP:127.0.0.1\n"
                "basicConstraints = CA:FALSE\n"
                "keyUsage = digitalSignature, keyEncipherment\n"
                "extendedKeyUsage = serverAuth\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True,
                                    capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=dws_mock test CA", "-keyout", ca_key, "-out", ca)
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", key, "-out", csr)
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt)
    return ca, crt, key


def test_tls():
    if shutil.which("openssl") is None:
        print("# TLS checks skipped: no openssl")
        return
    r = subprocess.run([sys.executable, MOCK, "--tls-port", "0"],
                       capture_output=True, text=True)
    check("--tls-port without --tls-cert/--tls-key: usage error",
          r.returncode == 2 and "--tls-cert" in r.stderr, r.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        ca, crt, key = make_test_ca(tmp)
        proc, port, tls_port = start_mock("--tls-port", "0", "--tls-cert", crt,
                                          "--tls-key", key, tls=True)
        try:
            check("TLS banner: a second port", tls_port != port)
            trusted = ssl.create_default_context(cafile=ca)
            c = Client(tls_port, "localhost", trusted)
            r = detail(c, P_MAIN, T_PUB)
            check("HTTPS to localhost, verified against the private CA: 200",
                  r.status == 200 and r.json() == PUBLISHED, r.body[:200])
            check("HTTPS: ALPN http/1.1",
                  c.conn.sock.selected_alpn_protocol() in ("http/1.1", None))
            r = listing(c, P_MAIN)
            check("HTTPS: list and keep-alive",
                  r.status == 200 and len(r.json()["disaster_recovery"]) == 5)
            r = detail(c, P_MAIN, "fault-redirect")
            check("HTTPS: faults too (fault-redirect: 302)", r.status == 302)
            c.conn.close()
            r = detail(Client(tls_port, "127.0.0.1", trusted), P_MAIN, T_PUB)
            check("HTTPS to 127.0.0.1 (IP subjectAltName): 200", r.status == 200)

            try:
                detail(Client(tls_port, "localhost",
                              ssl.create_default_context()), P_MAIN, T_PUB)
                check("HTTPS with the system CAs: certificate refused", False,
                      "the handshake succeeded")
            except ssl.SSLCertVerificationError:
                check("HTTPS with the system CAs: certificate refused", True)
            # a stalled handshake does not hold up the others
            idle = socket.create_connection(("127.0.0.1", tls_port))
            try:
                t0 = time.monotonic()
                r = detail(Client(tls_port, "localhost", trusted), P_MAIN, T_PUB)
                check("a client stalling its handshake holds up no one",
                      r.status == 200 and time.monotonic() - t0 < 5)
            finally:
                idle.close()
            try:
                r = detail(Client(tls_port), P_MAIN, T_PUB)
                check("plain HTTP to the TLS port gets no API answer",
                      r.status != 200, r.status)
            except (http.client.HTTPException, ConnectionError):
                check("plain HTTP to the TLS port gets no API answer", True)

            plain = Client(port)
            r = detail(plain, P_MAIN, T_PUB)
            check("plain HTTP still served next to HTTPS", r.status == 200)
            s = plain.control("GET", "stats")
            check("HTTP and HTTPS share one state: tls counts the HTTPS requests",
                  s["requests"] == 6 and s.get("tls") == 5, s)

            # CONNECT on the plain port: a tunnel to the HTTPS port,
            # whatever host it names (the certificate decides)
            tunnel = http.client.HTTPSConnection("127.0.0.1", port, timeout=30,
                                                 context=trusted)
            tunnel.set_tunnel("localhost", 443)
            tc = Client(port)
            tc.conn.close()
            tc.conn = tunnel
            r = detail(tc, P_MAIN, T_PUB)
            r2 = progress(tc, P_MAIN, T_PUB)
            check("CONNECT tunnel to the HTTPS port: certificate verified "
                  "for localhost, two calls in one tunnel",
                  r.status == 200 and r.json() == PUBLISHED and r2.status == 200,
                  r.body[:200])
            tunnel.close()
            tunnel = http.client.HTTPSConnection(
                "127.0.0.1", port, timeout=30, context=trusted)
            tunnel.set_tunnel("dws.example.invalid", 443)
            try:
                tunnel.connect()
                check("CONNECT to a name the certificate lacks: refused", False)
            except ssl.SSLCertVerificationError:
                check("CONNECT to a name the certificate lacks: refused", True)
            finally:
                tunnel.close()
            s = plain.control("GET", "stats")
            check("stats: tunnels counted, the API requests in them as tls",
                  s.get("tunnels") == 2 and s.get("tls") == 7
                  and s.get("proxied") == 0, s)
        finally:
            stop_mock(proc)


def test_generate():
    t0 = time.monotonic()
    proc, port = start_mock("--quiet", "--generate", "2000")
    try:
        startup = time.monotonic() - t0
        c = Client(port)
        r = listing(c, P_GEN)
        items = r.json()["disaster_recovery"]
        check("--generate 2000: list has 2000 items",
              len(items) == 2000 and items[0]["id"] == "00000000-0000-4000-8000-000000000001")
        r = detail(c, P_GEN, "00000000-0000-4000-8000-000000002000")
        check("--generate: detail of the last task",
              r.status == 200 and r.json()["disaster_recovery"]["name"] == "gen-dr-002000")
        r2 = detail(c, P_GEN, "00000000-0000-4000-8000-000000002000")
        check("--generate: answers are deterministic", r2.body == r.body)
        t0 = time.monotonic()
        for i in range(1, 201):
            detail(c, P_GEN, f"00000000-0000-4000-8000-{i:012d}")
        rate = 200 / (time.monotonic() - t0)
        print(f"# startup {startup:.2f}s, {rate:.0f} signed detail requests/s on one connection")
        check("--generate: serving is fast", rate > 100)
    finally:
        stop_mock(proc)


def test_text(c):
    """Project 7e57...: non-ASCII names, and the hostile error answers."""
    project = "7e570000000000000000000000000000"
    r = detail(c, project, "7e570000-0000-4000-8000-000000000002")
    check("text task: name in UTF-8",
          r.status == 200
          and r.json()["disaster_recovery"]["name"] == "東京-大阪 DR"
          and "東京".encode() in r.body)
    r = listing(c, project)
    check("text project: 4 tasks, none of them elsewhere",
          r.status == 200 and len(r.json()["disaster_recovery"]) == 4
          and all(t["id"].startswith("7e570000-")
                  for t in r.json()["disaster_recovery"]))
    r = detail(c, P_MAIN, "fault-hostile")
    body = r.json() if r.status == 400 else {}
    check("fault-hostile: 400, escapes, a 100 kB request_id, no X-Request-Id",
          "\x1b" in body.get("error_code", "")
          and "\x1b" in body.get("error_msg", "")
          and len(body.get("request_id", "")) == 100_000
          and r.headers.get("X-Request-Id") is None)
    r = detail(c, P_MAIN, "fault-hostilebody")
    rid = (r.headers.get("X-Request-Id") or "").encode("latin-1")
    check("fault-hostilebody: 502, invalid UTF-8, a long UTF-8 request id",
          r.status == 502 and b"\xff\xfe" in r.body and b"\x1b[31m" in r.body
          and rid.decode() == "req-" + "é" * 98)


def test_quota_and_delay():
    """--quota: per access key, 429 APIG.0308 without Retry-After past the
    quota in a second; --delay-ms: every answer that late; both changeable
    through /__mock/config."""
    proc, port = start_mock("--quiet", "--quota", "3", "--delay-ms", "150")
    try:
        c = Client(port)
        check("config: the command line's delay and quota",
              c.control("GET", "config") == {"delay_ms": 150, "quota": 3})
        t0 = time.monotonic()
        got = [detail(c, P_MAIN, T_PUB) for _ in range(5)]
        took = time.monotonic() - t0
        # 5 answers at 150 ms each: the window of the first call is over by
        # the fifth only if more than a second passed
        check("delay: each answer waits the delay", took >= 0.7, took)
        statuses = [r.status for r in got]
        check("quota: 3 calls of a key in a second, then 429",
              statuses[:3] == [200, 200, 200] and 429 in statuses[3:], statuses)
        r = next(r for r in got if r.status == 429)
        check("quota: the gateway's throttling body, no Retry-After",
              r.json() == {"error_code": "APIG.0308",
                           "error_msg": "The throttling threshold has been reached: "
                                        "policy user over ratelimit,limit:3,time:1 second"}
              and r.headers.get("Retry-After") is None
              and r.headers.get("X-Request-Id"), (r.status, r.body, dict(r.headers)))
        c.control("POST", "config", {"delay_ms": 0})
        time.sleep(1.1)
        quick = [detail(c, P_MAIN, T_PUB).status for _ in range(4)]
        other = detail(c, P_MAIN, T_PUB, sign=False,
                       extra_headers={"X-Auth-Token": IAM_TOKEN}).status
        check("quota: counted per key (another key is not throttled)",
              quick == [200, 200, 200, 429] and other == 200, (quick, other))
        s = c.control("GET", "stats")
        check("stats: throttled calls counted",
              s["throttled"] >= 2 and s["by_status"].get("429") == s["throttled"], s)
        c.control("POST", "config", {"quota": 0})
        check("config: quota 0 turns it off",
              [detail(c, P_MAIN, T_PUB).status for _ in range(6)] == [200] * 6)
        c.control("POST", "reset")
        check("reset keeps the settings",
              c.control("GET", "config") == {"delay_ms": 0, "quota": 0})
        bad = c.raw("POST", "/__mock/config", {"Content-Type": "application/json"},
                    b'{"quota": -1}')
        check("config: a bad value is refused", bad.status == 400, bad.status)
        c.control("POST", "config", {"delay_ms": 300})
        t0 = time.monotonic()
        detail(c, P_MAIN, T_PUB)
        check("config: a delay set at run time applies",
              time.monotonic() - t0 >= 0.3)
    finally:
        stop_mock(proc)


def events(c, project, offset=None, limit=None, **kw):
    params = []
    if offset is not None:
        params.append(("offset", str(offset)))
    if limit is not None:
        params.append(("limit", str(limit)))
    return c.get(["v2", project, "events"], params, **kw)


def test_events(c):
    """GET /v2/{p}/events: pages by index, the page faults of events-...
    projects, the counters."""
    c.control("POST", "reset")
    r = events(c, P_MAIN)
    body = r.json() if r.status == 200 else {}
    evs = body.get("events", [])
    check("events: PROJECT_MAIN, one page of its 9 events, newest first",
          r.status == 200 and body.get("count") == 9 and len(evs) == 9
          and [e["occur_time"] for e in evs] ==
          sorted((e["occur_time"] for e in evs), reverse=True), body)
    check("events: the published example is there",
          any(e["event_id"] == "f63ccf96-e3e0-474a-835a-fd1a779f68bd"
              and e["occur_time"] == 1664331248330 for e in evs))
    types = {e["source_type"] for e in evs}
    dr = [e for e in evs if e["source_type"] == "disaster-recovery"]
    check("events: several source types; DR events name DR tasks",
          types == {"cluster", "backup", "disaster-recovery"}
          and {e["source_id"] for e in dr} == {T_PUB, T_FIN, T_ABN}, types)
    p = "events-n25-xa"
    pages = [events(c, p, k, 10).json() for k in range(4)]
    ids = [e["event_id"] for pg in pages for e in pg["events"]]
    check("events: 25 events in pages of 10: 10, 10, 5 (short), then none",
          [len(pg["events"]) for pg in pages] == [10, 10, 5, 0]
          and all(pg["count"] == 25 for pg in pages) and len(set(ids)) == 25)
    check("events: limit defaults to 1000", len(events(c, p).json()["events"]) == 25)
    check("events: limit above 1000 refused",
          events(c, p, 0, 1001).status == 400)
    b1 = [events(c, "events-n25-base1-xb", k, 10).json()["events"] for k in range(4)]
    check("events base1: page 0 is page 1; page 3 is the short last one",
          b1[0] == b1[1] and len(b1[3]) == 5 and len(b1[2]) == 10)
    check("events base1empty: page 0 is empty, the count is kept",
          events(c, "events-n25-base1empty-xc", 0, 10).json() ==
          {"events": [], "count": 25})
    d = [events(c, "events-n25-dup1-xd", k, 10).json()["events"] for k in range(3)]
    check("events dup1: page 1 repeats the last 2 events of page 0",
          d[1][:2] == d[0][-2:] and len(d[2]) == 7)
    pf = "events-n25-flaky1-xe"
    check("events flaky1: page 1 fails once (500), then answers",
          events(c, pf, 1, 10).status == 500 and events(c, pf, 1, 10).status == 200
          and events(c, pf, 0, 10).status == 200)
    check("events fail1: page 1 always 500, page 0 fine",
          events(c, "events-n25-fail1-xf", 1, 10).status == 500
          and events(c, "events-n25-fail1-xf", 1, 10).status == 500
          and events(c, "events-n25-fail1-xf", 0, 10).status == 200)
    check("events page faults: no count, count as text, events an object, "
          "an event not an object, HTML",
          "count" not in events(c, "events-nocount0", 0, 10).json()
          and events(c, "events-strcount0", 0, 10).json()["count"] == "25"
          and isinstance(events(c, "events-noarray0", 0, 10).json()["events"], dict)
          and events(c, "events-notobject0", 0, 10).json()["events"][-1] == "not an event"
          and events(c, "events-html0", 0, 10).body.startswith(b"<html>"))
    check("events ignoreoffset: every page is the first",
          events(c, "events-ignoreoffset", 2, 10).json()["events"] ==
          events(c, "events-ignoreoffset", 0, 10).json()["events"])
    check("events: an unknown part of the project is a 400",
          events(c, "events-n25-bogus", 0, 10).status == 400)
    check("events: other projects have none",
          events(c, P_EU).json() == {"events": [], "count": 0})
    t0 = time.monotonic()
    events(c, "events-n3-slow300", 0, 10)
    check("events slow300: the page waits", time.monotonic() - t0 >= 0.3)
    s = c.control("GET", "stats")
    check("events: counted by project and page",
          s["events_by_project"].get(p) == 6
          and s["event_pages"].get(p) == [0, 1, 2, 3, 0, 0]
          and s["events"] >= 30, s)


def main():
    test_selftest()
    test_quota_and_delay()
    proc, port = start_mock()   # not quiet: the log is checked below
    try:
        c = Client(port)
        test_reads(c)
        test_missing_and_paths(c)
        test_auth(c)
        test_faults(c)
        test_text(c)
        test_events(c)
        test_stats(c)
        test_proxy(c)
    finally:
        err = stop_mock(proc)
    check("log has one line per request",
          err.count('"GET /v2/') >= 20 and "rid=" in err)
    check("log never shows credentials",
          not any(secret in err for secret in
                  (IAM_TOKEN, SECURITY_TOKEN, SK, TEMP_SK, "Signature=")))
    test_tls()
    test_generate()
    print(f"# {PASSED} passed, {FAILED} failed")
    return 0 if FAILED == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
