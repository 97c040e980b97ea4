#!/usr/bin/env python3
"""Local stand-in for the Huawei Cloud GaussDB(DWS) disaster-recovery API.

Used by the regression tests, the demo and the benchmark of the dwsdr_fdw
PostgreSQL foreign data wrapper so that they never talk to the real cloud.
Standard library only (Python 3.11).

What it serves (GET only; the DWS DR API as Huawei documents it):

  GET /v2/{project_id}/disaster-recovery/{id}                  detail
  GET /v2/{project_id}/disaster-recoveries[?id=&primary_cluster_id=&standby_cluster_id=]
                                                               list
  GET /v1/{project_id}/disaster-recovery/{id}/show-progress    progress

Requests must be authenticated like the real API gateway does it: an AK/SK
signature (``SDK-HMAC-SHA256``, verified here with our own implementation of
the algorithm), optionally with a temporary security token, or an IAM token in
``X-Auth-Token``.  Failures answer 401 ``APIGW.0301``.

HTTPS: with --tls-port PORT --tls-cert FILE --tls-key FILE the same API
(same data, state and statistics) is also served over TLS on that port.

Proxy requests: a request whose target is in absolute form
(``GET http://host:port/path HTTP/1.1``, as an HTTP proxy receives it) is
served like its path, and counted as "proxied" in the statistics; the
signature is checked against the Host header received, as always.  With
HTTPS on, ``CONNECT host:port`` (how a client reaches an https endpoint
through a proxy) opens a tunnel to the HTTPS port, whatever host it names,
counted as "tunnels".

Unknown paths get the API gateway's 404: {"error_code": "APIGW.0101",
"error_msg": "The API does not exist or has not been published in the
environment", "request_id": ...}.

Path prefixes (an endpoint such as http://127.0.0.1:18931/__www):

  /__www/...       an ordinary web server, not the API: every request gets
                   HTTP 404 with an HTML page (what `python3 -m http.server`
                   sends); no authentication, not counted
  /__legacy/...    the API as older versions serve it: the list call
                   ignores its query filters (?id=, primary_cluster_id,
                   standby_cluster_id) and answers the whole project;
                   otherwise the same API (signed over the full path,
                   counted, faults included)
  /__delay<ms>/... the API (or /__legacy below it) answering each request
                   <ms> milliseconds (at most 60000) after it came in,
                   counted in flight meanwhile: one stand-in plays several
                   distant regions, each endpoint with its own delay

Control routes (no authentication, not counted in the statistics):

  GET  /__mock/health      {"ok": true}
  GET  /__mock/stats       request counters (see MockState.snapshot)
  POST /__mock/reset       zero the counters, the once/twice state and rules
  POST /__mock/reset_max_in_flight
                           start a new peak: max_in_flight (the most API
                           requests held at once) becomes the number in
                           flight now; nothing else changes
  POST /__mock/fault       add a fault rule, body
                           {"fault": "fault-503", "times": 1,
                            "route": "detail|list|progress|events|any",
                            "id": null}
                           (the next `times` matching requests get the fault;
                           times <= 0 means forever; id matches the task id,
                           or the project id for the list route; "project":
                           P matches every request in project P, whatever
                           its route and id: a region that is down)
  DELETE /__mock/fault     drop all fault rules; with a body {"id": X} only
                           the rules for that id (test/chaos: its own rules),
                           with {"project": P} only those for that project
  GET  /__mock/config      {"delay_ms": N, "quota": N}
  POST /__mock/config      change either or both, body {"delay_ms": 250} or
                           {"quota": 50} (0 turns it off); a reset keeps them

Delay and quota (also --delay-ms N and --quota N at start): every API answer
is delayed N ms; with a quota, each access key (an IAM token counts as a key
of its own) gets at most N accepted calls in any one-second window, as the
API gateway's throttling does; a call over it answers 429
{"error_code": "APIG.0308", "error_msg": "The throttling threshold has been
reached: policy user over ratelimit,limit:N,time:1 second"} without a
Retry-After header (the gateway promises none), counted as "throttled".

Fault injection by magic ids (the task id for detail/progress, the project
id for the list call):  fault-<kind>[-<arg>][-once-<nonce>|-twice-<nonce>]
See parse_fault() for the kinds.  A fault id that is not failing (e.g. the
second request for a ``-once-`` id) answers a synthesized valid task whose id
is the fault id (name "fault task", status running, both clusters present).
A sequence, fault-seq-<step>.<step>...-<nonce>, answers its n-th request with
its n-th step (a kind as above without the fault- prefix, or "ok"), and every
request after the last step normally (see parse_fault_seq()).

Usage:
  python3 test/mock/dws_mock.py [--host H] [--port P] [--generate N] [--quiet]
                                [--delay-ms N] [--quota N]
                                [--tls-port P --tls-cert FILE --tls-key FILE]
  python3 test/mock/dws_mock.py --selftest
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import hashlib
import hmac
import email.utils
import json
import re
import select
import signal
import socket
import ssl
import sys
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable
from urllib.parse import unquote_to_bytes

# ---------------------------------------------------------------------------
# Defaults
# ---------------------------------------------------------------------------

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 18931

# Permanent AK/SK.
DEFAULT_ACCESS_KEY = "DEMOACCESSKEY000001"
DEFAULT_SECRET_KEY = "demo-secret-key-0001"
# Temporary AK/SK; requests with it must carry (and sign) X-Security-Token.
DEFAULT_TEMP_ACCESS_KEY = "TEMPACCESSKEY000002"
DEFAULT_TEMP_SECRET_KEY = "temp-secret-key-0002"
DEFAULT_SECURITY_TOKEN = "demo-security-token-0002"
# IAM token, sent in X-Auth-Token instead of a signature.
DEFAULT_IAM_TOKEN = "demo-iam-token-0003"

MAX_CLOCK_SKEW_SECONDS = 15 * 60
SIGN_ALGORITHM = "SDK-HMAC-SHA256"
SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

JSON_CONTENT_TYPE = "application/json;charset=utf8"
HTML_CONTENT_TYPE = "text/html"
HTML_502 = b"<html><body>502 Bad Gateway</body></html>"
REDIRECT_BODY = b"<html><body>302 Found</body></html>"

MAX_REQUEST_BODY = 1 << 20

# Path prefixes that make the stand-in something else (see the docstring).
PLAIN_WEB_PREFIX = "/__www"       # an ordinary web server: HTML 404s
LEGACY_PREFIX = "/__legacy"       # an older API: list filters ignored
DELAY_PREFIX = re.compile(r"/__delay([0-9]{1,5})(?=/|$)")  # a distant API
MAX_DELAY_MS = 60000
# What Python's http.server sends for a path it does not have.
PLAIN_404 = (b'<!DOCTYPE HTML>\n<html lang="en">\n<head>\n'
             b'<meta charset="utf-8">\n<title>Error response</title>\n'
             b'</head>\n<body>\n<h1>Error response</h1>\n'
             b'<p>Error code: 404</p>\n<p>Message: File not found.</p>\n'
             b'</body>\n</html>\n')

API_NOT_FOUND = ("APIGW.0101",
                 "The API does not exist or has not been published in the environment")
TASK_MISSING = ("DWS.10101", "The disaster recovery does not exist.")

# ---------------------------------------------------------------------------
# Data section: the fixed tasks
# ---------------------------------------------------------------------------

PROJECT_MAIN = "0536cdee2200d5912f7cc00b877980f1"
PROJECT_EU = "e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6"
PROJECT_GENERATED = "b0000000000000000000000000000000"

# Ids of the fixed tasks (for readers of this file and for test_mock.py).
TASK_PUBLISHED = "b303b78d-438c-41dd-aaf6-c98eea1fc2a6"
TASK_FINANCE = "6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a"
TASK_ABNORMAL = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
TASK_LAGGING = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
TASK_CREATING = "f0e1d2c3-b4a5-4968-8776-655443322110"
TASK_EU_1 = "11111111-2222-4333-8444-555555555555"
TASK_EU_2 = "66666666-7777-4888-8999-aaaaaaaaaaaa"

# Project PROJECT_TEXT: tasks whose names need more than ASCII (encoding
# tests); nothing else lists them.
PROJECT_TEXT = "7e570000000000000000000000000000"
TEXT_TASK_NAMES = {
    "7e570000-0000-4000-8000-000000000001": "Café Zürich ½",   # LATIN1
    "7e570000-0000-4000-8000-000000000002": "東京-大阪 DR",      # EUC_JP
    "7e570000-0000-4000-8000-000000000003": "Café 東京",        # EUC_JP
    "7e570000-0000-4000-8000-000000000004": "DR \U0001F680 €",  # neither
}


def cluster(id, name, cluster_az, role, region, status, progress,
            last_success_time, obs_bucket_name, **newer) -> dict:
    """A DisasterRecoveryCluster object, keys in the published order.

    `newer` holds the fields of newer API versions (datastore_type,
    datastore_version, disk_capacity, disk_used); they are only present in
    the output when given, so the published example stays exact.
    """
    obj = {"id": id, "name": name, "cluster_az": cluster_az, "role": role,
           "region": region, "status": status, "progress": progress,
           "last_success_time": last_success_time,
           "obs_bucket_name": obs_bucket_name}
    obj.update(newer)
    return obj


def progress_side(key, action_type, unrestore_keys, start, end) -> dict:
    """One side (primary_cluster / standby_cluster) of a progress record."""
    return {"key": key, "action_type": action_type,
            "unrestore_keys": unrestore_keys,
            "action_start_time": start, "action_end_time": end}


def progress_record(primary, standby, latest_barrier_time,
                    last_recovery_spend, rpo, rto) -> dict:
    """The disaster_recovery_progress object."""
    return {"primary_cluster": primary, "standby_cluster": standby,
            "latest_barrier_time": latest_barrier_time,
            "last_recovery_spend": last_recovery_spend,
            "recovery_point_object": rpo, "recovery_time_object": rto}


_SAME_AS_PROJECT = object()


@dataclass
class Task:
    """One DR task: the single internal record its detail, list item and
    progress answers are all derived from."""

    project_id: str
    id: Any
    name: Any
    status: Any
    dr_type: Any
    primary: dict | None
    standby: dict | None
    dr_sync_period: Any
    start_time: Any
    create_time: Any
    progress: dict
    last_disaster_time: Any = None
    # Project of each cluster for the list item; defaults to the task's
    # project (null when the cluster itself is null).
    primary_project_id: Any = _SAME_AS_PROJECT
    standby_project_id: Any = _SAME_AS_PROJECT

    # -- API objects -------------------------------------------------------

    def detail_obj(self) -> dict:
        """DisasterRecoveryQueryResp (key order of the published example)."""
        return {"id": self.id, "name": self.name, "status": self.status,
                "dr_type": self.dr_type,
                "primary_cluster": self.primary,
                "standby_cluster": self.standby,
                "dr_sync_period": self.dr_sync_period,
                "start_time": self.start_time,
                "create_time": self.create_time}

    def _cluster_project(self, cl, override):
        if override is not _SAME_AS_PROJECT:
            return override
        return self.project_id if cl is not None else None

    def list_item_obj(self) -> dict:
        """DisasterRecovery: the flat list item (no period, progress, AZ,
        last_success_time or bucket)."""
        p = self.primary or {}
        s = self.standby or {}
        return {
            "id": self.id, "status": self.status, "name": self.name,
            "dr_type": self.dr_type,
            "primary_cluster_id": p.get("id"),
            "primary_cluster_name": p.get("name"),
            "standby_cluster_id": s.get("id"),
            "standby_cluster_name": s.get("name"),
            "primary_cluster_role": p.get("role"),
            "standby_cluster_role": s.get("role"),
            "primary_cluster_status": p.get("status"),
            "standby_cluster_status": s.get("status"),
            "primary_cluster_region": p.get("region"),
            "standby_cluster_region": s.get("region"),
            "primary_cluster_project_id":
                self._cluster_project(self.primary, self.primary_project_id),
            "standby_cluster_project_id":
                self._cluster_project(self.standby, self.standby_project_id),
            "last_disaster_time": self.last_disaster_time,
            "start_time": self.start_time, "create_time": self.create_time,
        }

    def progress_obj(self) -> dict:
        return self.progress


def fixed_tasks() -> list[Task]:
    """The deterministic data set (projects PROJECT_MAIN and PROJECT_EU)."""
    tasks = []

    # a. Exactly the published example of ShowDisasterDetail.
    tasks.append(Task(
        project_id=PROJECT_MAIN, id=TASK_PUBLISHED, name="dws-it-02",
        status="running", dr_type="region",
        primary=cluster("3de21046-e65e-4fcf-86bf-583115b39c27",
                        "dws-203-primary", "cn-north-7c", "primary",
                        "cn-north-7", "waiting", "100",
                        "2023-04-29T06:39:56", None),
        standby=cluster("5d946c51-9ffa-49e3-9129-2bea4d23d3fd",
                        "dws-205-standby", None, "standby",
                        "cn-north-208", "waiting", "100",
                        "2023-04-29T06:39:56", None),
        dr_sync_period="3H", start_time="2023-04-28T09:23:38",
        create_time="2023-04-28T08:51:54",
        last_disaster_time=None,
        progress=progress_record(
            progress_side("20230327_201637", "Backup", "N/A",
                          "2023-03-27 20:16:34", "2023-03-27 20:17:01"),
            progress_side("20230327_201637", "Restore", "N/A",
                          "2023-03-27 20:16:34", "2023-03-27 20:17:01"),
            "2023-03-27 20:16:37", 27, 180, 27),
    ))

    # b. Running region DR with the newer cluster fields, a numeric
    #    progress, and times with Z / fractional seconds / +08:00 offset.
    tasks.append(Task(
        project_id=PROJECT_MAIN, id=TASK_FINANCE, name="dr-finance-01",
        status="running", dr_type="region",
        primary=cluster("a1b2c3d4-0001-4000-8000-00000000f001",
                        "dws-finance-primary", "cn-north-4a", "primary",
                        "cn-north-4", "backuping", 87.5,
                        "2024-03-01T10:00:00Z", "dr-finance-bucket",
                        datastore_type="dws", datastore_version="8.2.1",
                        disk_capacity="1600", disk_used="412.5"),
        standby=cluster("a1b2c3d4-0002-4000-8000-00000000f002",
                        "dws-finance-standby", "cn-east-3b", "standby",
                        "cn-east-3", "restoring", "100",
                        "2024-03-01T18:30:00.250+08:00", "dr-finance-bucket",
                        datastore_type="dws", datastore_version="8.2.1",
                        disk_capacity="1600", disk_used="398.25"),
        dr_sync_period="20m", start_time="2024-02-01T08:00:00Z",
        create_time="2024-02-01T07:45:12Z",
        last_disaster_time="2024-02-20T03:04:05",
        progress=progress_record(
            progress_side("20240301_103000", "Backup", "N/A",
                          "2024-03-01 10:29:41", "2024-03-01 10:30:12"),
            progress_side("20240301_103000", "Restore", "20240301_103000",
                          "2024-03-01 10:30:15", "2024-03-01 10:30:50"),
            "2024-03-01 10:30:00", 35, 1200, 35),
    ))

    # c. Abnormal AZ DR whose standby cluster is gone (null).
    tasks.append(Task(
        project_id=PROJECT_MAIN, id=TASK_ABNORMAL, name="dr-abnormal-02",
        status="abnormal", dr_type="az",
        primary=cluster("b2c3d4e5-0001-4000-8000-00000000a001",
                        "dws-ops-primary", "cn-south-1a", "primary",
                        "cn-south-1", "abnormal", "0",
                        "2024-01-05 08:00:00", None),
        standby=None,
        dr_sync_period="1d", start_time="2024-01-05 07:30:00",
        create_time="2024-01-05 07:00:00",
        last_disaster_time=None,
        progress=progress_record(
            progress_side("20240105_080000", "Backup", "N/A",
                          "2024-01-05 07:59:40", "2024-01-05 08:00:05"),
            None, "2024-01-05 08:00:00", 0, None, None),
    ))

    # d. Running but the last successful sync is years old (lagging).
    tasks.append(Task(
        project_id=PROJECT_MAIN, id=TASK_LAGGING, name="dr-lagging-03",
        status="running", dr_type="region",
        primary=cluster("c3d4e5f6-0001-4000-8000-00000000d001",
                        "dws-lag-primary", "cn-north-4b", "primary",
                        "cn-north-4", "backuping", "42",
                        "2020-01-01T00:00:00", "dr-lag-bucket"),
        standby=cluster("c3d4e5f6-0002-4000-8000-00000000d002",
                        "dws-lag-standby", "cn-south-1c", "standby",
                        "cn-south-1", "restoring", "42",
                        "2020-01-01T00:00:00", "dr-lag-bucket"),
        dr_sync_period="3H", start_time="2019-12-31T12:00:00",
        create_time="2019-12-31T11:00:00",
        last_disaster_time=None,
        progress=progress_record(
            progress_side("20200101_000000", "Backup", "N/A",
                          "2019-12-31 23:59:10", "2020-01-01 00:00:00"),
            progress_side("20200101_000000", "Restore", "20200101_000000",
                          "2020-01-01 00:00:05", None),
            "2020-01-01 00:00:00", 3600, 10800, 3600),
    ))

    # e. Being created: clusters present but most fields still null.
    tasks.append(Task(
        project_id=PROJECT_MAIN, id=TASK_CREATING, name="dr-creating-04",
        status="creating", dr_type="region",
        primary=cluster("d4e5f6a7-0001-4000-8000-00000000c001",
                        "dws-new-primary", None, "primary", "cn-north-4",
                        None, None, None, None),
        standby=cluster("d4e5f6a7-0002-4000-8000-00000000c002",
                        None, None, "standby", None,
                        None, None, None, None),
        dr_sync_period=None, start_time=None,
        create_time="2024-03-10T12:00:00",
        last_disaster_time=None,
        progress=progress_record(
            progress_side(None, None, None, None, None),
            progress_side(None, None, None, None, None),
            None, None, None, None),
    ))

    # Project PROJECT_EU: two tasks in eu-west-101.
    tasks.append(Task(
        project_id=PROJECT_EU, id=TASK_EU_1, name="dr-eu-01",
        status="running", dr_type="az",
        primary=cluster("e5f6a7b8-0001-4000-8000-00000000e001",
                        "dws-eu-primary-01", "eu-west-101a", "primary",
                        "eu-west-101", "backuping", "100",
                        "2024-04-02T06:00:00", "dr-eu-bucket-01"),
        standby=cluster("e5f6a7b8-0002-4000-8000-00000000e002",
                        "dws-eu-standby-01", "eu-west-101b", "standby",
                        "eu-west-101", "restoring", "100",
                        "2024-04-02T06:00:00", "dr-eu-bucket-01"),
        dr_sync_period="30m", start_time="2024-04-01T09:00:00",
        create_time="2024-04-01T08:30:00",
        last_disaster_time=None,
        progress=progress_record(
            progress_side("20240402_060000", "Backup", "N/A",
                          "2024-04-02 05:59:30", "2024-04-02 06:00:00"),
            progress_side("20240402_060000", "Restore", "N/A",
                          "2024-04-02 06:00:02", "2024-04-02 06:00:20"),
            "2024-04-02 06:00:00", 18, 1800, 18),
    ))
    tasks.append(Task(
        project_id=PROJECT_EU, id=TASK_EU_2, name="dr-eu-02",
        status="stopped", dr_type="az",
        primary=cluster("e5f6a7b8-0003-4000-8000-00000000e003",
                        "dws-eu-primary-02", "eu-west-101a", "primary",
                        "eu-west-101", "stopped", "100",
                        "2024-03-15T22:10:00", "dr-eu-bucket-02"),
        standby=cluster("e5f6a7b8-0004-4000-8000-00000000e004",
                        "dws-eu-standby-02", "eu-west-101c", "standby",
                        "eu-west-101", "stopped", "100",
                        "2024-03-15T22:10:00", "dr-eu-bucket-02"),
        dr_sync_period="2H", start_time="2024-03-01T10:00:00",
        create_time="2024-03-01T09:40:00",
        last_disaster_time="2024-03-16T01:00:00",
        progress=progress_record(
            progress_side("20240315_221000", "Backup", "N/A",
                          "2024-03-15 22:09:20", "2024-03-15 22:10:00"),
            progress_side("20240315_221000", "Restore", "N/A",
                          "2024-03-15 22:10:04", "2024-03-15 22:10:41"),
            "2024-03-15 22:10:00", 37, 7200, 37),
    ))
    return tasks


_GEN_STATUSES = ("running", "running", "running", "stopped", "abnormal",
                 "unstart", "creating", "switchovering")
_GEN_CLUSTER_STATUS = {"running": ("backuping", "restoring"),
                       "stopped": ("stopped", "stopped"),
                       "abnormal": ("abnormal", "abnormal")}
_GEN_BASE = dt.datetime(2024, 1, 1, 0, 0, 0)


def generated_task(i: int) -> Task:
    """Synthetic task number i (1-based) of project PROJECT_GENERATED."""
    def ts(minutes: int, sep: str = "T") -> str:
        return (_GEN_BASE + dt.timedelta(minutes=minutes)).isoformat(sep)

    status = _GEN_STATUSES[i % len(_GEN_STATUSES)]
    p_status, s_status = _GEN_CLUSTER_STATUS.get(status, ("waiting", "waiting"))
    region_dr = i % 2 == 1
    newer = {}
    if i % 2 == 0:
        newer = {"datastore_type": "dws", "datastore_version": "8.2.1",
                 "disk_capacity": str(400 * (1 + i % 4)),
                 "disk_used": f"{(i * 37) % 400}.5"}
    progress = str((i * 7) % 101)
    last_ok = ts(i * 10)
    period = (f"{i % 60 + 1}m", f"{i % 24 + 1}H", f"{i % 7 + 1}d")[i % 3]
    key = (_GEN_BASE + dt.timedelta(minutes=i * 10)).strftime("%Y%m%d_%H%M%S")
    return Task(
        project_id=PROJECT_GENERATED,
        id=f"00000000-0000-4000-8000-{i:012d}",
        name=f"gen-dr-{i:06d}", status=status,
        dr_type="region" if region_dr else "az",
        primary=cluster(f"00000000-0000-4000-8001-{i:012d}",
                        f"gen-primary-{i:06d}", "cn-north-4a", "primary",
                        "cn-north-4", p_status, progress, last_ok,
                        f"gen-bucket-{i % 10}", **newer),
        standby=cluster(f"00000000-0000-4000-8002-{i:012d}",
                        f"gen-standby-{i:06d}",
                        "cn-east-3b" if region_dr else "cn-north-4b",
                        "standby", "cn-east-3" if region_dr else "cn-north-4",
                        s_status, progress, last_ok,
                        f"gen-bucket-{i % 10}", **newer),
        dr_sync_period=period, start_time=ts(i), create_time=ts(i - 30),
        last_disaster_time=ts(i * 5) if i % 10 == 0 else None,
        progress=progress_record(
            progress_side(key, "Backup", "N/A", ts(i * 10 - 1, " "),
                          ts(i * 10, " ")),
            progress_side(key, "Restore", "N/A", ts(i * 10, " "),
                          ts(i * 10 + 1, " ")),
            ts(i * 10, " "), 30 + i % 60, 600 + i % 3600, 30 + i % 60),
    )


def fault_task(project_id: str, task_id: str) -> Task:
    """The valid task answered for a fault id that is not (or no longer)
    failing."""
    return Task(
        project_id=project_id, id=task_id, name="fault task",
        status="running", dr_type="region",
        primary=cluster("fa000000-0000-4000-8000-000000000001",
                        "fault-primary", "cn-north-4a", "primary",
                        "cn-north-4", "backuping", "100",
                        "2024-01-01T00:00:00", None),
        standby=cluster("fa000000-0000-4000-8000-000000000002",
                        "fault-standby", "cn-east-3b", "standby",
                        "cn-east-3", "restoring", "100",
                        "2024-01-01T00:00:00", None),
        dr_sync_period="20m", start_time="2023-12-31T00:00:00",
        create_time="2023-12-30T00:00:00",
        progress=progress_record(
            progress_side("20240101_000000", "Backup", "N/A",
                          "2023-12-31 23:59:30", "2024-01-01 00:00:00"),
            progress_side("20240101_000000", "Restore", "N/A",
                          "2024-01-01 00:00:02", "2024-01-01 00:00:20"),
            "2024-01-01 00:00:00", 20, 1200, 20),
    )


def text_tasks() -> list[Task]:
    """The tasks of PROJECT_TEXT: a fault task's data, with a name (and a
    primary cluster name) that ASCII cannot spell."""
    tasks = []
    for task_id, name in TEXT_TASK_NAMES.items():
        t = fault_task(PROJECT_TEXT, task_id)
        t.name = name
        t.primary = dict(t.primary, name=name + " primary")
        tasks.append(t)
    return tasks


LIST_FILTER_KEYS = ("id", "primary_cluster_id", "standby_cluster_id")


def to_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


class Entry:
    """The serialized answers of one task: what the server actually sends.

    Built once from a Task; the Task itself is not kept, so even a large
    --generate data set is served by dictionary lookups."""

    __slots__ = ("detail", "progress", "item", "filter_keys")

    def __init__(self, task: Task):
        item = task.list_item_obj()
        self.detail = to_json({"disaster_recovery": task.detail_obj()})
        self.progress = to_json({"disaster_recovery_progress": task.progress_obj()})
        self.item = to_json(item)
        self.filter_keys = {k: item[k] for k in LIST_FILTER_KEYS}

    def objects(self) -> dict[str, dict]:
        """Fresh (mutable) copies of the answers, by route kind."""
        return {"detail": json.loads(self.detail),
                "list": {"disaster_recovery": [json.loads(self.item)]},
                "progress": json.loads(self.progress)}


class TaskStore:
    """Entries by project and task id, plus each project's full list."""

    def __init__(self, tasks: Iterable[Task]):
        self.projects: dict[str, dict[str, Entry]] = {}
        for task in tasks:
            self.projects.setdefault(task.project_id, {})[task.id] = Entry(task)
        self._full_list: dict[str, bytes] = {
            project: list_envelope(e.item for e in by_id.values())
            for project, by_id in self.projects.items()}
        self._pending: dict[str, threading.Event] = {}

    def add_in_background(self, project: str, tasks) -> None:
        """Builds a project's entries in a thread, so that the server
        answers at once; requests for that project wait until it is built
        (a large --generate set takes seconds)."""
        ready = threading.Event()
        self._pending[project] = ready

        def build():
            by_id = {t.id: Entry(t) for t in tasks}
            self._full_list[project] = list_envelope(
                e.item for e in by_id.values())
            self.projects[project] = by_id
            ready.set()
        threading.Thread(target=build, daemon=True).start()

    def _wait(self, project: str) -> None:
        ready = self._pending.get(project)
        if ready is not None:
            ready.wait()

    def get(self, project: str, task_id: str) -> Entry | None:
        self._wait(project)
        return self.projects.get(project, {}).get(task_id)

    def list_body(self, project: str, filters: dict[str, str]) -> bytes:
        self._wait(project)
        by_id = self.projects.get(project, {})
        if not filters:
            return self._full_list.get(project, list_envelope(()))
        if "id" in filters:
            task = by_id.get(filters["id"])
            candidates = [task] if task else []
        else:
            candidates = by_id.values()
        return list_envelope(e.item for e in candidates
                             if matches_filters(e, filters))

    def count(self) -> int:
        """Tasks served so far (a project built in the background counts
        once it is built)."""
        return sum(len(v) for v in self.projects.values())


def matches_filters(entry: Entry, filters: dict[str, str]) -> bool:
    keys = entry.filter_keys
    return all(keys[k] == v for k, v in filters.items())


def list_envelope(items: Iterable[bytes]) -> bytes:
    return b'{"disaster_recovery": [' + b", ".join(items) + b"]}"


# ---------------------------------------------------------------------------
# Events: GET /v2/{project_id}/events?offset=<page index>&limit=<size>
# ---------------------------------------------------------------------------
#
# The API answers {"events": [...], "count": N} for a page; offset is a page
# INDEX (0-based here unless told otherwise), limit the page size (1 to
# 1000, default 1000), newest event first.  Projects:
#
#   PROJECT_MAIN           a fixed set (FIXED_EVENTS): the published
#                          example, DR events of its DR tasks (source_id =
#                          the task id), cluster and backup events
#   events-<part>-<part>...  a generated set, shaped by the parts:
#     n<N>          N events (default 25), source types cycling
#                   disaster-recovery, cluster, backup; a DR event's
#                   source_id is one of PROJECT_MAIN's DR tasks
#     recent        occur_time counts back from now, one event every 10 s
#                   (else from EVENTS_NEWEST_MS, one a minute)
#     base1         offset counts from 1 (page 0 answers as page 1)
#     base1empty    offset counts from 1, page 0 is empty (count kept)
#     slow<ms>      every page waits ms first
#     fail<K>       page K answers 500, always
#     flaky<K>      page K answers 500 the first time, then normally
#     dup<K>        from page K on, pages start 2 events earlier (two new
#                   events arrived at the top): page K repeats the last 2
#                   events of page K-1
#     ignoreoffset  every page is the first one
#     negtime strtime realtime bigtime
#                   the newest event's occur_time is -1000, a string of
#                   digits, 1664331248330.5, or 10**17
#     nocount<K> strcount<K> noarray<K> notobject<K> html<K>
#                   page K: no count / count as a string / "events" an
#                   object / an event that is not an object / an HTML page
#     x<anything>   a nonce (ignored)
#   anything else  no events (count 0)

EVENTS_NEWEST_MS = 1664331248330   # the published example's occur_time

DR_EVENT_NAMES = [
    ("beginCreateDisasterRecovery", "normal"),
    ("createDisasterRecoverySuccess", "normal"),
    ("beginSwitchoverDisasterRecovery", "normal"),
    ("switchoverDisasterRecoverySuccess", "normal"),
    ("disasterRecoveryAbnormal", "warning"),
    ("startDisasterRecoveryFail", "warning"),
    ("stopDisasterRecoverySuccess", "normal"),
    ("switchoverDisasterRecoveryFail", "warning"),
]


def event_obj(event_id, name, severity, source_type, source_id, source_name,
              occur_time, project, context=None, status=2) -> dict:
    """An event, keys in the published example's order."""
    return {"category": "management",
            "description": f"{source_type} %s: {name}",
            "name": name, "severity": severity, "status": status,
            "subject": "DWS event notification",
            "context": context or f"{source_type} {source_name}: {name}",
            "event_id": event_id, "display_name": name,
            "name_space": "dws", "source_type": source_type,
            "occur_time": occur_time, "project_id": project,
            "source_id": source_id, "source_name": source_name}


def fixed_events() -> list[dict]:
    """PROJECT_MAIN's events, newest first."""
    p = PROJECT_MAIN
    published = {
        "category": "management", "description": "集群%s删除成功",
        "name": "deleteClusterSuccess", "severity": "normal", "status": 2,
        "subject": "DWS服务事件通知", "context": "集群test-ty-820-1006删除成功",
        "event_id": "f63ccf96-e3e0-474a-835a-fd1a779f68bd",
        "display_name": "集群删除成功", "name_space": "dws",
        "source_type": "cluster", "occur_time": 1664331248330,
        "project_id": p,
        "source_id": "9defa0ce-b11c-47b2-abbc-5cad09ced772",
        "source_name": "test-ty-820-1006"}
    ev = [
        event_obj("e0000001-0000-4000-8000-000000000001",
                  "disasterRecoveryAbnormal", "warning", "disaster-recovery",
                  TASK_ABNORMAL, "dr-abnormal", 1682747196000, p),
        event_obj("e0000001-0000-4000-8000-000000000002",
                  "switchoverDisasterRecoverySuccess", "normal",
                  "disaster-recovery", TASK_PUBLISHED, "dws-it-02",
                  1682745396000, p),
        event_obj("e0000001-0000-4000-8000-000000000003",
                  "beginSwitchoverDisasterRecovery", "normal",
                  "disaster-recovery", TASK_PUBLISHED, "dws-it-02",
                  1682745000000, p),
        event_obj("e0000001-0000-4000-8000-000000000004",
                  "createBackupSuccess", "normal", "backup",
                  "0c5b8f2e-1111-4aaa-8bbb-000000000001", "daily-backup",
                  1682700000000, p),
        event_obj("e0000001-0000-4000-8000-000000000005",
                  "stopDisasterRecoveryFail", "warning", "disaster-recovery",
                  TASK_FINANCE, "finance-dr", 1682650000000, p),
        event_obj("e0000001-0000-4000-8000-000000000006",
                  "createDisasterRecoverySuccess", "normal",
                  "disaster-recovery", TASK_PUBLISHED, "dws-it-02",
                  1682640000000, p),
        event_obj("e0000001-0000-4000-8000-000000000007",
                  "beginCreateDisasterRecovery", "normal",
                  "disaster-recovery", TASK_PUBLISHED, "dws-it-02",
                  1682639999001, p, status=1),
        event_obj("e0000001-0000-4000-8000-000000000008",
                  "rebootClusterSuccess", "normal", "cluster",
                  "3de21046-e65e-4fcf-86bf-583115b39c27", "dws-203-primary",
                  1682600000000, p),
        published,
    ]
    return ev


_EVENT_PART = re.compile(
    r"(n[0-9]{1,6}|recent|base1|base1empty|slow[0-9]{1,6}|ignoreoffset"
    r"|negtime|strtime|realtime|bigtime"
    r"|(fail|flaky|dup|nocount|strcount|noarray|notobject|html)[0-9]{1,4}"
    r"|x[0-9a-zA-Z]*)")


def parse_events_project(project: str) -> dict | None:
    """The shape of a generated events project, None when it is not one;
    {"invalid": part} for a part the grammar does not know."""
    if not project.startswith("events-"):
        return None
    shape: dict = {"n": 25, "base": 0, "empty0": False, "slow": 0,
                   "recent": False, "ignoreoffset": False, "pages": {}}
    for part in project[7:].split("-"):
        if not _EVENT_PART.fullmatch(part):
            return {"invalid": part}
        m = re.fullmatch(r"([a-z]+?)([0-9]*)", part)
        word, num = (m.group(1), m.group(2)) if m else (part, "")
        if part.startswith("x"):
            continue
        if word == "n":
            shape["n"] = int(num)
        elif part in ("base1", "base1empty"):
            shape["base"] = 1
            shape["empty0"] = part == "base1empty"
        elif word == "slow":
            shape["slow"] = int(num)
        elif part in ("recent", "ignoreoffset"):
            shape[part] = True
        elif part.endswith("time"):
            shape["badtime"] = part
        else:
            shape["pages"][int(num)] = word
    return shape


def generated_events(project: str, n: int, recent: bool) -> list[dict]:
    """n events of a generated project, newest first (one a minute, or
    every 10 s counting back from now when recent)."""
    newest = (int(time.time() * 1000) // 1000 * 1000 if recent
              else EVENTS_NEWEST_MS)
    tasks = [(TASK_PUBLISHED, "dws-it-02"), (TASK_FINANCE, "finance-dr"),
             (TASK_ABNORMAL, "dr-abnormal")]
    tag = hashlib.sha256(project.encode()).hexdigest()[:12]
    out = []
    for i in range(n):
        eid = f"{i:08x}-0000-4000-8000-{tag}"
        when = newest - i * (10000 if recent else 60000)
        kind = i % 3
        if kind == 0:
            name, sev = DR_EVENT_NAMES[(i // 3) % len(DR_EVENT_NAMES)]
            tid, tname = tasks[(i // 3) % len(tasks)]
            out.append(event_obj(eid, name, sev, "disaster-recovery", tid,
                                 tname, when, project))
        elif kind == 1:
            out.append(event_obj(eid, "rebootClusterSuccess", "normal",
                                 "cluster",
                                 "3de21046-e65e-4fcf-86bf-583115b39c27",
                                 "dws-203-primary", when, project))
        else:
            out.append(event_obj(eid, "createBackupSuccess", "normal",
                                 "backup",
                                 "0c5b8f2e-1111-4aaa-8bbb-000000000001",
                                 "daily-backup", when, project))
    return out


def events_envelope(events: list, count) -> bytes:
    return to_json({"events": events, "count": count})


# ---------------------------------------------------------------------------
# AK/SK signing (SDK-HMAC-SHA256), our own implementation of Huawei's signing guide
# ---------------------------------------------------------------------------

_UNRESERVED = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def sdk_encode(data: bytes | str) -> str:
    """Percent-encode every byte except the unreserved ones (uppercase hex)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in data)


def canonical_uri(raw_path: str) -> str:
    """Split the raw path on '/', decode and re-encode each segment, join,
    and make sure it ends in '/'."""
    uri = "/".join(sdk_encode(unquote_to_bytes(seg))
                   for seg in raw_path.split("/"))
    return uri if uri.endswith("/") else uri + "/"


def parse_query(raw_query: str) -> list[tuple[bytes, bytes]]:
    """The raw query as decoded (key, value) byte pairs, in order."""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote_to_bytes(key), unquote_to_bytes(value)))
    return pairs


def canonical_query(pairs: Iterable[tuple[bytes | str, bytes | str]],
                    sort_encoded: bool = False) -> str:
    """k=v pairs, encoded, sorted by key then value, joined with '&'.

    The official SDKs sort the decoded pairs; a client sorting the encoded
    pairs gets the same order except for rare byte combinations, so the
    verifier accepts both orders (sort_encoded selects which)."""
    def raw(x):
        return x.encode("utf-8") if isinstance(x, str) else x
    entries = [(sdk_encode(k), sdk_encode(v), raw(k), raw(v)) for k, v in pairs]
    if sort_encoded:
        entries.sort(key=lambda e: (e[0], e[1]))
    else:
        entries.sort(key=lambda e: (e[2], e[3]))
    return "&".join(f"{ek}={ev}" for ek, ev, _, _ in entries)


def canonical_request(method: str, uri: str, query: str,
                      headers: dict[str, str], signed: list[str],
                      body: bytes) -> str:
    """The canonical request; headers maps lowercase names to values."""
    canon_headers = "".join(f"{name}:{headers[name].strip()}\n"
                            for name in signed)
    return "\n".join([method, uri, query, canon_headers, ";".join(signed),
                      hashlib.sha256(body).hexdigest()])


def signature(secret_key: str, sdk_date: str, canon_request: str) -> str:
    string_to_sign = "\n".join([
        SIGN_ALGORITHM, sdk_date,
        hashlib.sha256(canon_request.encode("utf-8")).hexdigest()])
    return hmac.new(secret_key.encode("utf-8"), string_to_sign.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def parse_authorization(value: str) -> dict[str, str] | None:
    """Access, SignedHeaders and Signature of an SDK-HMAC-SHA256 header."""
    prefix = SIGN_ALGORITHM + " "
    if not value.startswith(prefix):
        return None
    parts: dict[str, str] = {}
    for item in value[len(prefix):].split(","):
        name, sep, val = item.strip().partition("=")
        if not sep or name in parts:
            return None
        parts[name] = val.strip()
    if set(parts) != {"Access", "SignedHeaders", "Signature"}:
        return None
    return parts


@dataclass
class Credentials:
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = DEFAULT_SECRET_KEY
    temp_access_key: str = DEFAULT_TEMP_ACCESS_KEY
    temp_secret_key: str = DEFAULT_TEMP_SECRET_KEY
    security_token: str = DEFAULT_SECURITY_TOKEN
    iam_token: str = DEFAULT_IAM_TOKEN
    max_skew: int = MAX_CLOCK_SKEW_SECONDS


def quota_key(headers) -> str:
    """Whose quota a call counts against: the access key it was signed
    with, or (a digest of) the IAM token it carries."""
    parts = parse_authorization(headers.get("Authorization") or "")
    if parts is not None:
        return "ak:" + parts["Access"]
    token = headers.get("X-Auth-Token")
    if token:
        return "token:" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
    return "anonymous"


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"),
                               b.encode("utf-8", "surrogateescape"))


def check_auth(creds: Credentials, method: str, raw_path: str, raw_query: str,
               headers, body: bytes, project_id: str,
               now: dt.datetime | None = None) -> str | None:
    """Authenticate a request the way the API gateway does.

    headers needs get_all(name) (an http.client.HTTPMessage).  Returns None
    when the request is authentic, else the reason it is not.
    """
    auth_values = headers.get_all("Authorization") or []
    if not auth_values:
        tokens = headers.get_all("X-Auth-Token") or []
        if not tokens:
            return "no authentication information in the request"
        if len(tokens) != 1 or not _same(tokens[0].strip(), creds.iam_token):
            return "the IAM token is invalid or expired"
        return None
    if len(auth_values) != 1:
        return "more than one Authorization header"
    auth = parse_authorization(auth_values[0].strip())
    if auth is None:
        return "malformed Authorization header"

    access_key = auth["Access"]
    temporary = False
    if _same(access_key, creds.access_key):
        secret = creds.secret_key
    elif _same(access_key, creds.temp_access_key):
        secret = creds.temp_secret_key
        temporary = True
    else:
        return "unknown access key"

    signed = auth["SignedHeaders"].split(";")
    if any(not n or n != n.lower() or "_" in n for n in signed):
        return "SignedHeaders must be lowercase names without '_'"
    if signed != sorted(set(signed)):
        return "SignedHeaders must be sorted and without duplicates"
    required = {"host", "x-sdk-date", "x-project-id"}
    if temporary:
        required.add("x-security-token")
    missing = required.difference(signed)
    if missing:
        return "SignedHeaders lacks " + ", ".join(sorted(missing))

    values: dict[str, str] = {}
    for name in signed:
        got = headers.get_all(name) or []
        if len(got) != 1:
            return f"signed header {name} is missing or repeated"
        # http.server reads header bytes as latin-1; the gateway, UTF-8
        values[name] = got[0].encode("latin-1", "replace").decode("utf-8", "replace")

    try:
        sdk_date = dt.datetime.strptime(values["x-sdk-date"].strip(),
                                        SDK_DATE_FORMAT)
    except ValueError:
        return "X-Sdk-Date is not YYYYMMDDTHHMMSSZ"
    now = now or dt.datetime.now(dt.timezone.utc)
    skew = abs((now.replace(tzinfo=None) - sdk_date).total_seconds())
    if skew > creds.max_skew:
        return "X-Sdk-Date is more than 15 minutes off the gateway clock"

    if values["x-project-id"].strip() != project_id:
        return "X-Project-Id does not match the project in the path"

    tokens = headers.get_all("X-Security-Token") or []
    if temporary:
        if not _same(values["x-security-token"].strip(), creds.security_token):
            return "the security token is invalid or expired"
    elif tokens:
        return "a security token was sent with a permanent access key"

    given = auth["Signature"]
    uri = canonical_uri(raw_path)
    pairs = parse_query(raw_query)
    queries = {canonical_query(pairs), canonical_query(pairs, sort_encoded=True)}
    for query in queries:
        expected = signature(secret, values["x-sdk-date"].strip(),
                             canonical_request(method, uri, query, values,
                                               signed, body))
        if _same(expected, given):
            return None
    return "verify aksk signature fail"


def sign_headers(access_key: str, secret_key: str, method: str, raw_path: str,
                 raw_query: str, headers: dict[str, str], body: bytes = b"",
                 signed: list[str] | None = None) -> str:
    """Authorization value for a request (used by the self-test)."""
    lower = {k.lower(): v for k, v in headers.items()}
    if signed is None:
        signed = sorted(n for n in lower if "_" not in n)
    canon = canonical_request(method, canonical_uri(raw_path),
                              canonical_query(parse_query(raw_query)),
                              lower, signed, body)
    sig = signature(secret_key, lower["x-sdk-date"].strip(), canon)
    return (f"{SIGN_ALGORITHM} Access={access_key}, "
            f"SignedHeaders={';'.join(signed)}, Signature={sig}")


# ---------------------------------------------------------------------------
# Fault injection
# ---------------------------------------------------------------------------

# error_code / error_msg per injected HTTP status.  Codes marked "mock" are
# not documented anywhere; they only need to look like DWS errors.
STATUS_ERRORS = {
    400: ("DWS.0001", "Invalid request parameter."),
    401: ("APIGW.0301", "Incorrect IAM authentication information: "
                        "verify aksk signature fail"),
    403: ("DWS.0015", "The cluster does not exist or you do not have the "
                      "required permissions."),
    404: API_NOT_FOUND,
    409: ("DWS.0409", "The DR task is being modified; try again later."),  # mock
    429: ("APIGW.0308", "The throttling threshold has been reached: "
                        "policy user over ratelimit, limit:10, time:1 second"),
    500: ("DWS.9999", "Internal server error."),
    502: ("APIGW.0202", "Backend unavailable."),                           # mock
    503: ("DWS.0503", "Service unavailable. Try again later."),            # mock
    504: ("APIGW.0204", "Backend timeout."),                               # mock
}

# fault-<kind> on the list route: the list's second item (index 1) is this
# (after a good one, the fault task); other routes answer normally.
BAD_LIST_ITEMS = {
    "itemnumber": 7,
    "itemnull": None,
    "itemstring": "b303b78d-438c-41dd-aaf6-c98eea1fc2a6",
    "idempty": {"id": "", "name": "no id"},
    "idnumber": {"id": 7, "name": "numeric id"},
    "idbig": {"id": "__dws_mock_big_id__", "name": "id beyond int64"},
    "idmissing": {"name": "no id"},
    "idnull": {"id": None, "name": "null id"},
}

# Kinds that take an integer argument: name -> (default or None if
# required, maximum).
_ARG_KINDS = {
    "slow": (None, 600_000),        # ms
    "slowbody": (None, 600_000),    # ms
    "huge": (None, 4096),           # MB
    "gzipbomb": (None, 4096),       # MB
    "deep": (1000, 1_000_000),      # nesting depth
}
_PLAIN_KINDS = {"badjson", "html", "html502", "200error", "notobject",
                "wrongtypes", "truncated", "close", "gzip", "missing",
                "404missing", "redirect", "503date", "times", "bignum",
                "hugereal", "digits", "hostile", "hostilebody", "otherid", "lastcall",
                "404dws", "404html"} | set(BAD_LIST_ITEMS)

_FAULT_RE = re.compile(
    r"fault-(?P<body>.+?)(?:-(?P<rep>once|twice)-(?P<nonce>.+))?", re.S)


@dataclass(frozen=True)
class Fault:
    kind: str          # "status", one of _ARG_KINDS/_PLAIN_KINDS, "invalid"
    arg: int | None    # status code, ms, MB or depth
    repeat: int        # 0: every request fails; 1 (once) / 2 (twice)


def is_magic(ident: str) -> bool:
    return ident.startswith("fault-")


def parse_fault(ident: str) -> Fault | None:
    """Fault described by a magic id, None when ident is not one.

    Grammar: fault-<kind>[-<arg>][-once-<nonce>|-twice-<nonce>]
      fault-<status>     400..599 (401, 403, 404, 409, 429, 500, 502, 503,
                         504 have their own error bodies); 429 and 503 add
                         Retry-After: 1
      fault-slow-<ms>    sleep, then answer normally
      fault-slowbody-<ms> headers and half the body, sleep, the rest
      fault-badjson      200, truncated JSON
      fault-html         200, text/html 502 page
      fault-html502      502, text/html 502 page
      fault-200error     200 {"error_code":"DWS.9999",...}
      fault-notobject    200 [1,2,3]
      fault-wrongtypes   200, every field of the wrong JSON type
      fault-deep[-<n>]   200, n (1000) nested arrays under "extra"
      fault-huge-<MB>    200, valid JSON whose name is MB megabytes long
      fault-truncated    200, Content-Length larger than what is sent, close
      fault-close        close the connection without answering
      fault-lastcall     200, a valid answer (the fault task) with
                         Connection: close, then close: every call needs a
                         new connection
      fault-gzip         200, gzip body, Content-Encoding: gzip
      fault-gzipbomb-<MB> 200, gzip body inflating to MB megabytes
      fault-missing      400 DWS.10101 (task does not exist)
      fault-404missing   404 DWS.10101 (the missing-task code, on a 404)
      fault-404dws       404 DWS.0404 (a DWS error, not the missing-task one)
      fault-404html      404, an HTML page (an ordinary web server's 404)
      fault-itemnumber, fault-itemnull, fault-itemstring, fault-idempty,
      fault-idnumber, fault-idbig, fault-idmissing, fault-idnull
                         the list call: 200, a list whose item 0 is the
                         fault task and item 1 is bad (BAD_LIST_ITEMS: 7,
                         null, a string; an id that is "", 7, 2**64, absent,
                         null); other calls answer normally
      fault-redirect     302 with Location: the same call for the published
                         task (a client must not follow it)
      fault-503date      503 with Retry-After as an HTTP date 2 s ahead
      fault-times        200, a valid task plus API times in many spellings
                         under "times"
      fault-bignum       200, a valid task plus integers beyond 64 bits
      fault-hugereal     200, the same plus a real beyond a double (1e400),
                         which jansson refuses
      fault-digits       200, a valid task whose numbers are spelled as a
                         reader must keep them (DIGITS: 87.50, 1e2, ...),
                         under "digits", in primary_cluster.progress and
                         (a list item) as its status
      fault-hostile      400 JSON error whose error_code and error_msg hold
                         terminal escapes, a long error_msg with multibyte
                         characters where a message would cut it, and a
                         100 kB request_id (no X-Request-Id header)
      fault-hostilebody  502, a body that is not JSON: escapes, invalid
                         UTF-8, multibyte characters around byte 120; an
                         X-Request-Id of 200 bytes of "é"
      fault-otherid      200, the answer of another task (the published one,
                         or the finance one when that is the task asked);
                         a list answers normally
    Anything else starting with "fault-" is answered 400 DWS.0001 so that a
    typo in a test is noticed.
    """
    if not is_magic(ident):
        return None
    m = _FAULT_RE.fullmatch(ident)
    if m is None:
        return Fault("invalid", None, 0)
    body = m.group("body")
    repeat = {"once": 1, "twice": 2}.get(m.group("rep") or "", 0)
    if re.fullmatch(r"[45][0-9][0-9]", body):
        return Fault("status", int(body), repeat)
    if body in _PLAIN_KINDS:
        return Fault(body, None, repeat)
    name, sep, arg = body.partition("-")
    if name in _ARG_KINDS:
        default, maximum = _ARG_KINDS[name]
        if not sep and default is not None:
            return Fault(name, default, repeat)
        if sep and re.fullmatch(r"[0-9]{1,9}", arg) and int(arg) <= maximum:
            return Fault(name, int(arg), repeat)
    return Fault("invalid", None, repeat)




def parse_fault_seq(ident: str) -> list[Fault | None] | None:
    """The steps of a sequence id, None when ident is not one.

    Grammar: fault-seq-<step>[.<step>...]-<nonce>, each step "ok" (the
    normal answer: None) or a fault kind as parse_fault() reads it without
    the "fault-" prefix (e.g. truncated, 404missing, 503, huge-2).  The
    n-th request for the id gets the n-th step: faults in a row across the
    retries of one call, or across queries.  A step that is not a kind is
    the "invalid" fault, as for any mistyped fault id.
    """
    if not ident.startswith("fault-seq-") or "-" not in ident[10:]:
        return None
    steps: list[Fault | None] = []
    for step in ident[10:].rsplit("-", 1)[0].split("."):
        steps.append(None if step == "ok" else
                     dataclasses.replace(parse_fault("fault-" + step), repeat=0))
    return steps


_GZIP_BOMB_CACHE: dict[tuple, bytes] = {}
_GZIP_BOMB_LOCK = threading.Lock()


def gzip_stream(parts: Iterable[bytes]) -> bytes:
    """gzip-compress an iterable of chunks without joining them first."""
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [comp.compress(p) for p in parts]
    out.append(comp.flush())
    return b"".join(out)


# ---------------------------------------------------------------------------
# Server state and statistics
# ---------------------------------------------------------------------------

@dataclass
class FaultRule:
    fault: Fault
    remaining: int | None      # None: forever
    route: str                 # detail, list, progress or any
    ident: str | None          # task id (project id for list) or None
    project: str | None = None  # every request in this project, or None


class MockState:
    """Counters, once/twice state and fault rules, shared by all threads."""

    def __init__(self, delay_ms: int = 0, quota: int = 0):
        self.lock = threading.Lock()
        self.in_flight = 0
        # settings, not state: a reset keeps them (POST /__mock/config)
        self.delay_ms = delay_ms
        self.quota = quota
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.routes = {"detail": 0, "list": 0, "progress": 0, "events": 0}
            self.auth_failures = 0
            self.connections = 0
            self.proxied = 0
            self.tls = 0
            self.tunnels = 0
            self.by_id: dict[str, int] = {}
            self.progress_by_id: dict[str, int] = {}
            self.list_by_project: dict[str, int] = {}
            self.events_by_project: dict[str, int] = {}
            self.event_pages: dict[str, list[int]] = {}
            self.by_status: dict[str, int] = {}
            self.max_in_flight = self.in_flight
            self.fault_hits: dict[str, int] = {}
            self.rules: list[FaultRule] = []
            self.throttled = 0
            # per access key: when its accepted calls of the last second came
            self.quota_calls: dict[str, collections.deque] = {}

    def configure(self, spec: dict) -> dict:
        """Applies {"delay_ms": N, "quota": N} (either may be left out)."""
        values = {}
        for name in ("delay_ms", "quota"):
            if name in spec:
                v = spec[name]
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 600_000:
                    raise ValueError(f"{name} must be a whole number from 0 to 600000")
                values[name] = v
        with self.lock:
            for name, v in values.items():
                setattr(self, name, v)
            if "quota" in values:
                self.quota_calls = {}
            return {"delay_ms": self.delay_ms, "quota": self.quota}

    def take_quota(self, key: str) -> int:
        """0 when a call of this key is within the quota (and counts it),
        else the quota it is over (and counts it as throttled)."""
        now = time.monotonic()
        with self.lock:
            if self.quota <= 0:
                return 0
            calls = self.quota_calls.setdefault(key, collections.deque())
            while calls and calls[0] <= now - 1.0:
                calls.popleft()
            if len(calls) >= self.quota:
                self.throttled += 1
                return self.quota
            calls.append(now)
            return 0

    def connection_opened(self) -> None:
        with self.lock:
            self.connections += 1

    def request_started(self) -> None:
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def reset_max_in_flight(self) -> None:
        """Starts a new peak, leaving every other counter and state alone
        (tests measure the concurrency of one query at a time)."""
        with self.lock:
            self.max_in_flight = self.in_flight

    def request_finished(self, status) -> None:
        with self.lock:
            self.in_flight -= 1
            key = str(status) if status is not None else "closed"
            self.by_status[key] = self.by_status.get(key, 0) + 1

    def count_route(self, kind: str, ident: str) -> None:
        table = {"detail": self.by_id, "progress": self.progress_by_id,
                 "list": self.list_by_project,
                 "events": self.events_by_project}[kind]
        with self.lock:
            self.routes[kind] += 1
            table[ident] = table.get(ident, 0) + 1

    def count_transport(self, proxied: bool, tls: bool) -> None:
        """An API request that came in absolute form (through a proxy) or
        over TLS."""
        if proxied or tls:
            with self.lock:
                self.proxied += proxied
                self.tls += tls

    def count_tunnel(self) -> None:
        with self.lock:
            self.tunnels += 1

    def count_auth_failure(self) -> None:
        with self.lock:
            self.auth_failures += 1

    def fault_hit(self, ident: str) -> int:
        """How many earlier requests there were for this fault id."""
        with self.lock:
            n = self.fault_hits.get(ident, 0)
            self.fault_hits[ident] = n + 1
            return n

    def add_rule(self, rule: FaultRule) -> int:
        with self.lock:
            self.rules.append(rule)
            return len(self.rules)

    def clear_rules(self, ident: str | None = None,
                    project: str | None = None) -> None:
        with self.lock:
            if project is not None:
                self.rules = [r for r in self.rules if r.project != project]
            else:
                self.rules = ([] if ident is None else
                              [r for r in self.rules if r.ident != ident])

    def take_rule(self, kind: str, ident: str,
                  project: str | None = None) -> Fault | None:
        """The fault of the first rule matching this request, if any."""
        with self.lock:
            for rule in self.rules:
                if rule.route not in ("any", kind):
                    continue
                if rule.ident is not None and rule.ident != ident:
                    continue
                if rule.project is not None and rule.project != project:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self.rules.remove(rule)
                return rule.fault
        return None

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "detail": self.routes["detail"],
                "list": self.routes["list"],
                "progress": self.routes["progress"],
                "events": self.routes["events"],
                "events_by_project": dict(self.events_by_project),
                "event_pages": {k: list(v) for k, v in self.event_pages.items()},
                "auth_failures": self.auth_failures,
                "connections": self.connections,
                "by_id": dict(self.by_id),
                "max_in_flight": self.max_in_flight,
                "in_flight": self.in_flight,
                "progress_by_id": dict(self.progress_by_id),
                "list_by_project": dict(self.list_by_project),
                "by_status": dict(self.by_status),
                "fault_rules": len(self.rules),
                "proxied": self.proxied,
                "tls": self.tls,
                "tunnels": self.tunnels,
                "throttled": self.throttled,
            }


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

@dataclass
class ApiRoute:
    kind: str               # detail, list, progress or events
    project: str
    task_id: str | None     # None for list

    @property
    def fault_ident(self) -> str:
        return self.project if self.kind in ("list", "events") else self.task_id


def _decode_segment(seg: str) -> str:
    return unquote_to_bytes(seg).decode("utf-8", "replace")


def match_api_route(raw_path: str) -> ApiRoute | None:
    """The API route of a raw path, None when there is none.

    The path is split on '/' first and each segment decoded afterwards, so
    an id with an encoded '/' (or '.', '..') stays one segment: an id like
    any other, which names no task.  Empty segments never match."""
    raw = raw_path.split("/")
    if raw[0] != "":
        return None
    segs = [_decode_segment(s) for s in raw[1:]]
    if any(not s for s in segs):
        return None
    if len(segs) == 4 and segs[0] == "v2" and segs[2] == "disaster-recovery":
        return ApiRoute("detail", segs[1], segs[3])
    if len(segs) == 3 and segs[0] == "v2" and segs[2] == "disaster-recoveries":
        return ApiRoute("list", segs[1], None)
    if len(segs) == 3 and segs[0] == "v2" and segs[2] == "events":
        return ApiRoute("events", segs[1], None)
    if (len(segs) == 5 and segs[0] == "v1" and segs[2] == "disaster-recovery"
            and segs[4] == "show-progress"):
        return ApiRoute("progress", segs[1], segs[3])
    return None


def under(raw_path: str, prefix: str) -> bool:
    """Whether raw_path is prefix or below it."""
    return raw_path == prefix or raw_path.startswith(prefix + "/")


_ABSOLUTE_FORM = re.compile(r"(?i)https?://([^/?#]*)")


def origin_form(target: str) -> tuple[str, bool]:
    """(origin-form target, whether it came in absolute form).

    A proxy receives "GET http://host:port/path?query HTTP/1.1": scheme
    and authority are dropped, leaving "/path?query" ("/" when empty)."""
    m = _ABSOLUTE_FORM.match(target)
    if m is None:
        return target, False
    rest = target[m.end():]
    if not rest.startswith("/"):
        rest = "/" + rest
    return rest, True


def redirect_location(route: ApiRoute) -> str:
    """Where fault-redirect points: the same call for the published task
    (for the list, the main project's list)."""
    if route.kind == "list":
        return f"/v2/{PROJECT_MAIN}/disaster-recoveries"
    if route.kind == "progress":
        return f"/v1/{route.project}/disaster-recovery/{TASK_PUBLISHED}/show-progress"
    return f"/v2/{route.project}/disaster-recovery/{TASK_PUBLISHED}"


def _printable(text: str) -> str:
    return re.sub(r"[^\x20-\x7e]", lambda m: "\\x%02x" % ord(m.group()), text)


class MockServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 512

    tls = False
    # (host, port) that CONNECT tunnels lead to: the HTTPS server, if any
    tunnel_to: tuple | None = None

    def __init__(self, address, store: TaskStore, creds: Credentials,
                 quiet: bool = False, no_auth: bool = False,
                 state: MockState | None = None):
        host = address[0]
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__(address, MockHandler)
        self.store = store
        self.creds = creds
        self.quiet = quiet
        self.no_auth = no_auth
        self.state = state if state is not None else MockState()

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError,
                                          ssl.SSLError)):
            return
        super().handle_error(request, client_address)


TLS_HANDSHAKE_TIMEOUT = 10     # seconds


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """Server context: the certificate (chain) and its key, HTTP/1.1 only."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class TLSMockServer(MockServer):
    """The same API over HTTPS.  The handshake runs in the request's own
    thread (not in accept), so a client that fails or stalls it (such as
    one refusing the certificate) never holds up the others."""

    tls = True

    def __init__(self, address, context: ssl.SSLContext, *args, **kwargs):
        self.ssl_context = context
        super().__init__(address, *args, **kwargs)

    def finish_request(self, request, client_address):
        try:
            request.settimeout(TLS_HANDSHAKE_TIMEOUT)
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            if not self.quiet:
                sys.stderr.write("%s dws_mock %s TLS handshake failed: %s\n" % (
                    time.strftime("%Y-%m-%dT%H:%M:%S"), client_address[0],
                    _printable(str(exc))))
            return
        try:
            conn.settimeout(None)
            super().finish_request(conn, client_address)
        finally:
            try:
                conn.close()
            except OSError:
                pass


class MockHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dws_mock/1.0"
    sys_version = ""
    timeout = 300            # seconds before an idle connection is dropped
    server: MockServer

    # -- plumbing ----------------------------------------------------------

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's
        # algorithm and the client's delayed ACK cost ~40 ms per answer.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.server.state.connection_opened()

    def log_request(self, code="-", size="-"):
        pass  # one line per request is written by _log_line instead

    def log_message(self, format, *args):
        if not self.server.quiet:
            sys.stderr.write("%s dws_mock %s %s\n" % (
                time.strftime("%Y-%m-%dT%H:%M:%S"), self.client_address[0],
                _printable(format % args)))

    def _log_line(self, started: float) -> None:
        if self.server.quiet:
            return
        ms = (time.monotonic() - started) * 1000
        line = (f'"{self.command} {self.path}" '
                f'{self._status if self._status is not None else "closed"} '
                f"{self._sent}B {ms:.1f}ms rid={self._rid}")
        if self._note:
            line += f" ({self._note})"
        self.log_message("%s", line)

    def send_error(self, code, message=None, explain=None):
        """Malformed requests: a JSON error instead of the HTML default."""
        self._rid = uuid.uuid4().hex
        self._status, self._sent = None, 0
        self._note = getattr(self, "_note", "")
        self.close_connection = True
        self._send(code, to_json({"error_code": f"MOCK.{code}",
                                  "error_msg": message or "bad request"}),
                   headers=[("Connection", "close")])

    def _send(self, status: int, body: bytes, *, content_type=JSON_CONTENT_TYPE,
              headers: Iterable[tuple[str, str]] = (),
              length: int | None = None, rid_header: bool = True) -> None:
        """Status line and headers, then body (unless HEAD)."""
        self.send_response(status)
        if rid_header:
            self.send_header("X-Request-Id", self._rid)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length",
                         str(len(body) if length is None else length))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self._status = status
        if self.command != "HEAD" and body:
            self.wfile.write(body)
            self._sent += len(body)

    def _send_error_body(self, status: int, code: str, msg: str,
                         headers: Iterable[tuple[str, str]] = ()) -> None:
        body = {"error_code": code, "error_msg": msg}
        if code.startswith("APIGW."):
            body["request_id"] = self._rid
        self._send(status, to_json(body), headers=headers)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self.send_error(411, "chunked request bodies are not supported")
            return None
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not re.fullmatch(r"[0-9]{1,18}", length.strip()):
            self.send_error(400, "invalid Content-Length")
            return None
        n = int(length)
        if n > MAX_REQUEST_BODY:
            self.send_error(413, "request body too large")
            return None
        return self.rfile.read(n)

    # -- dispatch ----------------------------------------------------------

    def _dispatch(self):
        started = time.monotonic()
        self._rid = uuid.uuid4().hex
        self._status, self._sent, self._note = None, 0, ""
        self._proxied = False
        try:
            body = self._read_body()
            if body is None:
                return
            target, self._proxied = origin_form(self.path)
            raw_path, _, raw_query = target.partition("?")
            delay = DELAY_PREFIX.match(raw_path)
            self._delay_ms = (min(int(delay.group(1)), MAX_DELAY_MS)
                              if delay else 0)
            self._api_path = raw_path[delay.end():] if delay else raw_path
            self._legacy = under(self._api_path, LEGACY_PREFIX)
            if under(raw_path, "/__mock"):
                self._control(raw_path, body)
            elif under(raw_path, PLAIN_WEB_PREFIX):
                self._note = "plain web server"
                self._send(404, PLAIN_404, content_type=HTML_CONTENT_TYPE,
                           rid_header=False)
            else:
                self._api(raw_path, raw_query, body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        finally:
            self._log_line(started)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = \
        do_OPTIONS = _dispatch

    # -- CONNECT: a tunnel to the HTTPS server ---------------------------

    def do_CONNECT(self):
        started = time.monotonic()
        self._rid = uuid.uuid4().hex
        self._status, self._sent, self._note = None, 0, "tunnel"
        self.close_connection = True
        try:
            target = self.server.tunnel_to
            if target is None or self.server.tls:
                self._send_error_body(501, "MOCK.0501",
                                      "CONNECT needs the stand-in's HTTPS port "
                                      "(--tls-port).")
                return
            try:
                upstream = socket.create_connection(target, timeout=10)
            except OSError as exc:
                self._send_error_body(502, "MOCK.0502", f"tunnel: {exc}")
                return
            with upstream:
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                self._status = 200
                self.server.state.count_tunnel()
                self._relay(upstream)
        except (ConnectionError, TimeoutError):
            pass
        finally:
            self._log_line(started)

    def _relay(self, upstream: socket.socket) -> None:
        """Copies bytes both ways until either side closes (or is idle for
        the handler's timeout)."""
        client = self.connection
        client.settimeout(None)
        upstream.settimeout(None)
        peers = {client: upstream, upstream: client}
        while True:
            ready, _, _ = select.select(list(peers), [], [], self.timeout)
            if not ready:
                return
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                peers[sock].sendall(data)
                if sock is upstream:
                    self._sent += len(data)

    # -- control routes ----------------------------------------------------

    def _control(self, raw_path: str, body: bytes) -> None:
        state = self.server.state
        route = (self.command, raw_path.rstrip("/"))
        if route == ("GET", "/__mock/stats"):
            self._send(200, to_json(state.snapshot()))
        elif route == ("GET", "/__mock/health"):
            self._send(200, to_json({"ok": True,
                                     "tasks": self.server.store.count()}))
        elif route == ("POST", "/__mock/reset"):
            state.reset()
            self._send(200, to_json({"ok": True}))
        elif route == ("POST", "/__mock/reset_max_in_flight"):
            state.reset_max_in_flight()
            self._send(200, to_json({"ok": True}))
        elif route == ("POST", "/__mock/fault"):
            self._add_fault_rule(body)
        elif route == ("GET", "/__mock/config"):
            self._send(200, to_json(state.configure({})))
        elif route == ("POST", "/__mock/config"):
            try:
                spec = json.loads(body or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("the body must be a JSON object")
                self._send(200, to_json(state.configure(spec)))
            except ValueError as exc:
                self._send_error_body(400, "MOCK.0400", str(exc))
        elif route == ("DELETE", "/__mock/fault"):
            try:
                spec = json.loads(body or b"{}")
                ident, project = spec.get("id"), spec.get("project")
            except (ValueError, AttributeError):
                ident = project = None
            state.clear_rules(None if ident is None else str(ident),
                              None if project is None else str(project))
            self._send(200, to_json({"ok": True}))
        else:
            self._send_error_body(404, *API_NOT_FOUND)

    def _add_fault_rule(self, body: bytes) -> None:
        try:
            spec = json.loads(body or b"{}")
            if not isinstance(spec, dict):
                raise ValueError("the body must be a JSON object")
            name = str(spec.get("fault", ""))
            if not name.startswith("fault-"):
                name = "fault-" + name
            fault = parse_fault(name)
            if fault.kind == "invalid":
                raise ValueError(f"unknown fault {name!r}")
            times = int(spec.get("times", 1))
            route = spec.get("route", "any")
            if route not in ("any", "detail", "list", "progress", "events"):
                raise ValueError(f"unknown route {route!r}")
            ident = spec.get("id")
            project = spec.get("project")
            rule = FaultRule(fault, times if times > 0 else None, route,
                             None if ident is None else str(ident),
                             None if project is None else str(project))
        except (ValueError, TypeError) as exc:
            self._send_error_body(400, "MOCK.0400", str(exc))
            return
        n = self.server.state.add_rule(rule)
        self._send(200, to_json({"ok": True, "rules": n}))

    # -- API routes --------------------------------------------------------

    def _api(self, raw_path: str, raw_query: str, body: bytes) -> None:
        state = self.server.state
        state.request_started()
        state.count_transport(self._proxied, self.server.tls)
        try:
            if self._delay_ms:
                time.sleep(self._delay_ms / 1000)
            route = match_api_route(self._api_path[len(LEGACY_PREFIX):]
                                    if self._legacy else self._api_path)
            if route is None:
                self._send_error_body(404, *API_NOT_FOUND)
                return
            if self.command != "GET":
                self._send_error_body(405, "MOCK.0405",
                                      "Method not allowed: only GET is served.",
                                      headers=[("Allow", "GET")])
                return
            state.count_route(route.kind, route.fault_ident)
            if not self.server.no_auth:
                reason = check_auth(self.server.creds, self.command, raw_path,
                                    raw_query, self.headers, body,
                                    route.project)
                if reason:
                    state.count_auth_failure()
                    self._note = "auth: " + reason
                    self._send_error_body(
                        401, "APIGW.0301",
                        "Incorrect IAM authentication information: " + reason)
                    return
            over = state.take_quota(quota_key(self.headers))
            if state.delay_ms > 0:
                time.sleep(state.delay_ms / 1000)
            if over:
                self._note = "throttled"
                self._send(429, to_json({
                    "error_code": "APIG.0308",
                    "error_msg": "The throttling threshold has been reached: "
                                 f"policy user over ratelimit,limit:{over},"
                                 "time:1 second"}))
                return
            self._serve(route, raw_query)
        finally:
            state.request_finished(self._status)

    def _serve(self, route: ApiRoute, raw_query: str) -> None:
        ident = route.fault_ident
        fault = self.server.state.take_rule(route.kind, ident, route.project)
        steps = parse_fault_seq(ident) if fault is None else None
        if steps is not None:
            n = self.server.state.fault_hit(ident)
            fault = steps[n] if n < len(steps) else None
        elif fault is None and is_magic(ident):
            fault = parse_fault(ident)
            if fault.repeat and self.server.state.fault_hit(ident) >= fault.repeat:
                fault = None
        if fault is None and route.kind == "events":
            self._serve_events(route, raw_query)
        elif fault is None:
            self._send(*self._normal_answer(route, raw_query))
        else:
            self._note = f"fault {fault.kind}" + (
                f" {fault.arg}" if fault.arg is not None else "")
            self._serve_fault(fault, route, raw_query)

    def _entry_for(self, route: ApiRoute) -> Entry | None:
        """The stored task's answers, or a synthesized task's for a magic id
        (the list route: a magic project id)."""
        if route.kind == "list":
            return (Entry(fault_task(route.project, route.project))
                    if is_magic(route.project) else None)
        entry = self.server.store.get(route.project, route.task_id)
        if entry is None and is_magic(route.task_id):
            entry = Entry(fault_task(route.project, route.task_id))
        return entry

    def _events_page(self, route: ApiRoute, raw_query: str):
        """(status, body, shape, page) of an events page before the page
        faults of its project's shape; status 400 for a bad offset/limit."""
        params: dict[str, str] = {}
        for k, v in parse_query(raw_query):
            params.setdefault(k.decode("utf-8", "replace"),
                              v.decode("utf-8", "replace"))
        offset, limit = params.get("offset", "0"), params.get("limit", "1000")
        if (not re.fullmatch(r"[0-9]{1,9}", offset)
                or not re.fullmatch(r"[0-9]{1,4}", limit)
                or not 1 <= int(limit) <= 1000):
            return 400, to_json({"error_code": "DWS.0001",
                                 "error_msg": "Invalid offset or limit."}), None, 0
        page, size = int(offset), int(limit)
        shape = parse_events_project(route.project)
        if shape is not None and "invalid" in shape:
            return 400, to_json({
                "error_code": "DWS.0001",
                "error_msg": f"mock: unknown events part {shape['invalid']!r}"}), None, page
        if route.project == PROJECT_MAIN:
            events, shape = fixed_events(), {"base": 0, "empty0": False,
                                             "dup": None, "pages": {},
                                             "ignoreoffset": False, "slow": 0}
        elif shape is not None:
            events = generated_events(route.project, shape["n"], shape["recent"])
            bad = {"negtime": -1000, "strtime": "1664331248330",
                   "realtime": 1664331248330.5,
                   "bigtime": 10 ** 17}.get(shape.get("badtime"))
            if bad is not None and events:
                events[0]["occur_time"] = bad
        else:
            events, shape = [], None
        count = len(events)
        if shape is None:
            return 200, events_envelope([], 0), None, page
        index = page
        if shape["ignoreoffset"]:
            index = 0
        elif shape["base"] == 1:
            if page == 0 and shape["empty0"]:
                return 200, events_envelope([], count), shape, page
            index = max(page - 1, 0)
        start = index * size
        dup_from = [k for k, w in shape["pages"].items() if w == "dup"]
        if dup_from and index >= min(dup_from):
            start = max(start - 2, 0)
        return 200, events_envelope(events[start:start + size], count), shape, page

    def _serve_events(self, route: ApiRoute, raw_query: str) -> None:
        """An events page, with the page faults of its project's shape."""
        status, body, shape, page = self._events_page(route, raw_query)
        state = self.server.state
        with state.lock:
            state.event_pages.setdefault(route.project, []).append(page)
        if shape is None or status != 200:
            self._send(status, body)
            return
        if shape["slow"]:
            time.sleep(shape["slow"] / 1000)
        fault = shape["pages"].get(page)
        if fault == "flaky" and state.fault_hit(f"{route.project}#{page}") > 0:
            fault = None
        if fault in ("fail", "flaky"):
            self._send_error_body(500, "DWS.9999", "Internal server error.")
        elif fault == "html":
            self._send(200, HTML_502, content_type=HTML_CONTENT_TYPE)
        elif fault in ("nocount", "strcount", "noarray", "notobject"):
            obj = json.loads(body)
            if fault == "nocount":
                del obj["count"]
            elif fault == "strcount":
                obj["count"] = str(obj["count"])
            elif fault == "noarray":
                obj["events"] = {"event_id": "x"}
            else:
                obj["events"].append("not an event")
            self._send(200, to_json(obj))
        else:
            self._send(200, body)

    def _normal_answer(self, route: ApiRoute, raw_query: str):
        """(status, body) of the ordinary answer to this request."""
        if route.kind == "events":
            return self._events_page(route, raw_query)[:2]
        if route.kind == "list":
            filters: dict[str, str] = {}
            # an older API version (LEGACY_PREFIX) ignores the filters
            for k, v in ([] if self._legacy else parse_query(raw_query)):
                key = k.decode("utf-8", "replace")
                if key in LIST_FILTER_KEYS and key not in filters:
                    filters[key] = v.decode("utf-8", "replace")
            if is_magic(route.project):
                entry = self._entry_for(route)
                items = [entry.item] if matches_filters(entry, filters) else []
                return 200, list_envelope(items)
            return 200, self.server.store.list_body(route.project, filters)
        entry = self._entry_for(route)
        if entry is None:
            return 400, to_json(dict(zip(("error_code", "error_msg"), TASK_MISSING)))
        return 200, entry.detail if route.kind == "detail" else entry.progress

    def _other_task_answer(self, route: ApiRoute, raw_query: str):
        """(status, body): fault-otherid, another task's answer."""
        if route.kind == "list":
            return self._normal_answer(route, raw_query)
        other = TASK_FINANCE if route.task_id == TASK_PUBLISHED else TASK_PUBLISHED
        entry = self.server.store.get(PROJECT_MAIN, other)
        return 200, entry.detail if route.kind == "detail" else entry.progress

    def _success_object(self, route: ApiRoute) -> tuple[dict, dict]:
        """A valid answer as an object, and the record inside it that gets
        the 'extra' key or the long string."""
        entry = self._entry_for(route) or Entry(
            fault_task(route.project, route.fault_ident))
        outer = entry.objects()[route.kind]
        if route.kind == "detail":
            return outer, outer["disaster_recovery"]
        if route.kind == "list":
            return outer, outer["disaster_recovery"][0]
        return outer, outer["disaster_recovery_progress"]

    def _split_around(self, route: ApiRoute, key: str) -> tuple[bytes, bytes]:
        """(prefix, suffix) of a valid answer whose `key` string value is cut
        out, so a large value can be streamed between them."""
        marker = "\u0000dws-mock-marker\u0000"
        outer, inner = self._success_object(route)
        inner[key] = marker
        text = to_json(outer)
        quoted = to_json(marker)
        at = text.index(quoted)
        return text[:at + 1], text[at + len(quoted) - 1:]

    def _serve_fault(self, fault: Fault, route: ApiRoute, raw_query: str):
        kind, arg = fault.kind, fault.arg
        if kind == "status":
            code, msg = STATUS_ERRORS.get(
                arg, ("DWS.0001", "Request error.") if arg < 500
                else ("DWS.9999", "Internal server error."))
            headers = [("Retry-After", "1")] if arg in (429, 503) else []
            self._send_error_body(arg, code, msg, headers=headers)
        elif kind == "missing":
            if route.kind == "list":   # a list never says "missing": empty
                self._send(200, list_envelope(()))
            else:
                self._send_error_body(400, *TASK_MISSING)
        elif kind == "404missing":
            self._send_error_body(404, *TASK_MISSING)
        elif kind == "404dws":
            self._send_error_body(404, "DWS.0404", "not found")
        elif kind == "404html":
            self._send(404, PLAIN_404, content_type=HTML_CONTENT_TYPE)
        elif kind in BAD_LIST_ITEMS:
            if route.kind != "list":
                self._send(*self._normal_answer(route, raw_query))
            else:
                entry = self._entry_for(route) or Entry(
                    fault_task(route.project, route.fault_ident))
                self._send(200, bad_item_list(entry, BAD_LIST_ITEMS[kind]))
        elif kind == "503date":
            when = email.utils.formatdate(time.time() + 2, usegmt=True)
            self._send_error_body(503, *STATUS_ERRORS[503],
                                  headers=[("Retry-After", when)])
        elif kind == "redirect":
            self._send(302, REDIRECT_BODY, content_type=HTML_CONTENT_TYPE,
                       headers=[("Location", redirect_location(route))])
        elif kind == "invalid":
            self._send_error_body(400, "DWS.0001",
                                  "Invalid request parameter (mock: unknown "
                                  f"fault id {route.fault_ident!r}).")
        elif kind == "slow":
            time.sleep(arg / 1000)
            self._send(*self._normal_answer(route, raw_query))
        elif kind == "slowbody":
            status, body = self._normal_answer(route, raw_query)
            half = len(body) // 2
            self._send(status, body[:half], length=len(body))
            self.wfile.flush()
            time.sleep(arg / 1000)
            self.wfile.write(body[half:])
            self._sent += len(body) - half
        elif kind == "badjson":
            key = ("disaster_recovery_progress" if route.kind == "progress"
                   else "disaster_recovery")
            opener = "[{" if route.kind == "list" else "{"
            self._send(200, f'{{"{key}": {opener}"id": "x",'.encode())
        elif kind == "html":
            self._send(200, HTML_502, content_type=HTML_CONTENT_TYPE)
        elif kind == "html502":
            self._send(502, HTML_502, content_type=HTML_CONTENT_TYPE)
        elif kind == "otherid":
            self._send(*self._other_task_answer(route, raw_query))
        elif kind == "200error":
            self._send(200, b'{"error_code":"DWS.9999","error_msg":"internal error"}')
        elif kind == "notobject":
            self._send(200, b"[1,2,3]")
        elif kind == "wrongtypes":
            self._send(200, to_json(wrong_types_answer(route)))
        elif kind == "times":
            outer, inner = self._success_object(route)
            inner["times"] = dict(ODD_TIMES)
            self._send(200, to_json(outer))
        elif kind in ("bignum", "hugereal"):
            self._send(200, self._big_numbers_answer(route, kind == "hugereal"))
        elif kind == "digits":
            self._send(200, self._digits_answer(route))
        elif kind == "lastcall":
            outer, _ = self._success_object(route)
            self.close_connection = True
            self._send(200, to_json(outer), headers=[("Connection", "close")])
        elif kind == "deep":
            prefix, suffix = self._split_around(route, "extra")
            # Replace the "" left around the cut with the nested arrays.
            self._send(200, prefix[:-1] + b"[" * arg + b"]" * arg + suffix[1:])
        elif kind == "huge":
            prefix, suffix = self._split_around(route, _long_string_key(route))
            size = arg << 20
            self._send(200, prefix, length=len(prefix) + size + len(suffix))
            chunk = b"x" * min(size, 1 << 20)
            left = size
            while left > 0:
                piece = chunk if left >= len(chunk) else chunk[:left]
                self.wfile.write(piece)
                left -= len(piece)
            self.wfile.write(suffix)
            self._sent += size + len(suffix)
        elif kind == "truncated":
            status, body = self._normal_answer(route, raw_query)
            self.close_connection = True
            self._send(status, body[:len(body) // 2], length=len(body),
                       headers=[("Connection", "close")])
        elif kind == "close":
            self.close_connection = True
        elif kind == "gzip":
            status, body = self._normal_answer(route, raw_query)
            self._send(status, gzip_stream([body]),
                       headers=[("Content-Encoding", "gzip")])
        elif kind == "gzipbomb":
            self._send(200, self._gzip_bomb(route, arg),
                       headers=[("Content-Encoding", "gzip")])
        elif kind == "hostile":
            self._send(400, to_json(HOSTILE_ERROR), rid_header=False)
        elif kind == "hostilebody":
            # header values go out as latin-1: these are the UTF-8 bytes
            rid = HOSTILE_RID.encode().decode("latin-1")
            self._send(502, HOSTILE_BODY, content_type="text/plain",
                       headers=[("X-Request-Id", rid)], rid_header=False)
        else:  # pragma: no cover - parse_fault only yields the kinds above
            self._send_error_body(500, "DWS.9999", f"mock: unhandled {kind}")

    def _big_numbers_answer(self, route: ApiRoute, huge_real: bool) -> bytes:
        """A valid answer (the fault task) whose extra fields hold numbers
        beyond 64-bit integers (and with huge_real one beyond a double),
        under keys a foreign table can map with `field`."""
        outer, inner = self._success_object(route)
        inner["big_int"] = ODD_BIG_INT
        inner["big_negative"] = -ODD_BIG_INT - 1
        if huge_real:
            inner["huge_real"] = "__dws_mock_huge_real__"
        if route.kind == "detail":
            inner["primary_cluster"]["disk_used"] = ODD_BIG_INT
        return to_json(outer).replace(b'"__dws_mock_huge_real__"', b"1e400")

    def _digits_answer(self, route: ApiRoute) -> bytes:
        """A valid answer (the fault task) whose numbers are written as
        DIGITS spells them, which no JSON encoder would write: placeholders
        replaced by the literal text."""
        outer, inner = self._success_object(route)
        holders = {f"__dws_mock_digits_{k}__": v for k, v in DIGITS.items()}
        inner["digits"] = {k: f"__dws_mock_digits_{k}__" for k in DIGITS}
        if route.kind == "detail":
            inner["primary_cluster"]["progress"] = "__dws_mock_digits_trailing_zero__"
        elif route.kind == "list":
            inner["status"] = "__dws_mock_digits_exponent__"
        text = to_json(outer)
        for holder, literal in holders.items():
            text = text.replace(to_json(holder), literal.encode())
        return text

    def _gzip_bomb(self, route: ApiRoute, megabytes: int) -> bytes:
        key = (route.kind, route.project, route.fault_ident, megabytes)
        with _GZIP_BOMB_LOCK:
            cached = _GZIP_BOMB_CACHE.get(key)
        if cached is not None:
            return cached
        prefix, suffix = self._split_around(route, _long_string_key(route))
        chunk = b"a" * (1 << 20)
        data = gzip_stream([prefix, *([chunk] * megabytes), suffix])
        with _GZIP_BOMB_LOCK:
            if len(_GZIP_BOMB_CACHE) >= 8:
                _GZIP_BOMB_CACHE.clear()
            _GZIP_BOMB_CACHE[key] = data
        return data


# fault-hostile: escapes that would recolour, clear or retitle a terminal;
# an error_msg whose 300th byte falls inside "é"; a 100 kB request id
HOSTILE_ERROR = {
    "error_code": "DWS.0001\x1b[31m",
    "error_msg": ("\x1b[2J\x1b]0;owned\x07bell\ttab\nnewline \u202eevil 東 "
                  + "x" * 250 + "é" * 20 + " tail"),
    "request_id": "r" * 100_000,
}
# fault-hostilebody: escapes, invalid UTF-8, and "é" (2 bytes) from byte 19
# on, so a cut at 120 bytes falls inside one when counted in bytes
HOSTILE_BODY = (b"\x1b[31mred\x1b[0m\xff\xfe\xc3(" + b"\x00"
                + "é".encode() * 80 + b"end")
HOSTILE_RID = "req-" + "é" * 98


def bad_item_list(entry: Entry, bad: Any) -> bytes:
    """A list whose item 0 is entry's and item 1 is `bad` (an id of 2**64
    where the placeholder is)."""
    return list_envelope([entry.item, to_json(bad)]).replace(
        b'"__dws_mock_big_id__"', str(ODD_BIG_INT).encode())


def _long_string_key(route: ApiRoute) -> str:
    """The string field made huge by fault-huge / fault-gzipbomb."""
    return "latest_barrier_time" if route.kind == "progress" else "name"


# fault-bignum: 2**64, beyond every 64-bit integer.  fault-times: API times
# (all the same instant but the last ones) in the spellings a reader must
# accept.
ODD_BIG_INT = 18446744073709551616
# fault-digits: numbers as the API might spell them, each kept as written
DIGITS = {
    "trailing_zero": "87.50",
    "exponent": "1e2",
    "long_fraction": "0.12345678901234567890123",
    "huge_integer": "123456789012345678901234567890",
    "negative_zero": "-0",
    "small": "1E-7",
}
ODD_TIMES = {
    "t_plain": "2023-04-29T06:39:56",
    "t_space": "2023-04-29 06:39:56",
    "t_z": "2023-04-29T06:39:56Z",
    "t_lower_z": "2023-04-29T06:39:56z",
    "t_plus": "2023-04-29T14:39:56+08:00",
    "t_plus_compact": "2023-04-29T14:39:56+0800",
    "t_plus_hour": "2023-04-29T14:39:56+08",
    "t_minus": "2023-04-29T01:09:56-05:30",
    "t_frac10": "2023-04-29T06:39:56.1234567890",
    "t_frac10_zone": "2023-04-29T14:39:56.1234567890+08:00",
    "t_frac_up": "2023-04-29T06:39:55.9999996",
    "t_day_back": "2024-03-01T01:00:00+02:00",
}


def wrong_types_answer(route: ApiRoute) -> dict:
    """A 200 answer whose fields all have unexpected JSON types."""
    ident = route.fault_ident
    if route.kind == "detail":
        return {"disaster_recovery": {
            "id": ident, "name": 42, "status": True, "dr_type": ["region"],
            "primary_cluster": "oops",
            "standby_cluster": {"id": 7, "name": None, "cluster_az": False,
                                "role": {"r": 1}, "region": [],
                                "status": 3.5, "progress": 99.5,
                                "last_success_time": 1700000000,
                                "obs_bucket_name": ["b"]},
            "dr_sync_period": 20, "start_time": {"a": 1},
            "create_time": "2024-13-45T99:99:99"}}
    if route.kind == "list":
        return {"disaster_recovery": [
            {"id": ident, "status": True, "name": 42, "dr_type": ["region"],
             "primary_cluster_id": 7, "primary_cluster_name": None,
             "standby_cluster_id": {"a": 1}, "standby_cluster_name": False,
             "primary_cluster_role": 1.5, "standby_cluster_role": [],
             "primary_cluster_status": "oops", "standby_cluster_status": 0,
             "primary_cluster_region": {}, "standby_cluster_region": True,
             "primary_cluster_project_id": 12, "standby_cluster_project_id": [],
             "last_disaster_time": 5, "start_time": {"a": 1},
             "create_time": 1700000000},
            "oops", None, 17]}
    return {"disaster_recovery_progress": {
        "primary_cluster": "oops",
        "standby_cluster": {"key": 20230327, "action_type": None,
                            "unrestore_keys": ["N/A"],
                            "action_start_time": {"a": 1},
                            "action_end_time": True},
        "latest_barrier_time": 42, "last_recovery_spend": "27",
        "recovery_point_object": 180.5, "recovery_time_object": True}}


# ---------------------------------------------------------------------------
# Self-test of the signer against the official vectors of Huawei's signing guide
# ---------------------------------------------------------------------------

class _Headers:
    """Minimal get_all() view over (name, value) pairs, for the self-test."""

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def get_all(self, name):
        found = [v for k, v in self.pairs if k.lower() == name.lower()]
        return found or None


def run_selftest() -> bool:
    results = []

    def check(name, got, want):
        ok = got == want
        results.append(ok)
        print(f"{'ok' if ok else 'not ok'} - {name}")
        if not ok:
            print(f"#   got:  {got!r}\n#   want: {want!r}")

    host = "service.endpoint.myhuaweicloud.com"
    date = "20200608T023900Z"
    headers = {"host": host, "x-sdk-date": date}
    signed = ["host", "x-sdk-date"]
    canon = canonical_request("GET", canonical_uri("/resources"),
                              canonical_query(parse_query("size=1")),
                              headers, signed, b"")
    check("GET canonical request", canon,
          "GET\n/resources/\nsize=1\n"
          f"host:{host}\nx-sdk-date:{date}\n\n"
          f"host;x-sdk-date\n{EMPTY_BODY_SHA256}")
    check("GET signature vector", signature("SecretKey", date, canon),
          "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842")
    all_headers = {"Host": host, "X-Sdk-Date": date,
                   "TEST_UNDERSCORE": "TEST_VALUE"}
    check("GET Authorization header (underscore header unsigned)",
          sign_headers("AccessKey", "SecretKey", "GET", "/resources",
                       "size=1", all_headers),
          "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
          "Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842")
    post_body = b'{"name":"test","id":1}'
    check("POST signature vector",
          sign_headers("AccessKey", "SecretKey", "POST", "/resources",
                       "size=1", all_headers, post_body),
          "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
          "Signature=436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f")

    expected_query = ("enable=true&limit=1&multi=1&multi=2&multi=3&"
                      "path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29")
    params = [("limit", "1"), ("enable", "true"),
              ("test", "一 (&=?!#%.*)"), ("path", "/tmp/123"),
              ("multi", "1"), ("multi", "2"), ("multi", "3")]
    check("query vector from parameters", canonical_query(params),
          expected_query)
    check("query vector, encoded sort order", canonical_query(params, True),
          expected_query)
    wire = "&".join(f"{sdk_encode(k)}={sdk_encode(v)}" for k, v in params)
    check("query vector from the wire (uppercase escapes)",
          canonical_query(parse_query(wire)), expected_query)
    loose = ("limit=1&enable=true&test=%e4%b8%80%20(%26%3d%3f!%23%25.*)&"
             "path=/tmp/123&multi=1&multi=2&multi=3")
    check("query vector from the wire (lowercase, unescaped)",
          canonical_query(parse_query(loose)), expected_query)

    check("canonical URI keeps an encoded slash inside a segment",
          canonical_uri("/v2/p/disaster-recovery/a%2Fb"),
          "/v2/p/disaster-recovery/a%2Fb/")
    check("canonical URI re-encodes", canonical_uri("/x/caf%c3%a9/~a*b"),
          "/x/caf%C3%A9/~a%2Ab/")
    check("canonical URI of /", canonical_uri("/"), "/")

    # Round trip through check_auth with the default credentials.
    creds = Credentials()
    now = dt.datetime.now(dt.timezone.utc)
    path = f"/v2/{PROJECT_MAIN}/disaster-recoveries"
    query = "id=" + TASK_PUBLISHED
    hdrs = {"Host": "127.0.0.1:18931", "X-Sdk-Date": now.strftime(SDK_DATE_FORMAT),
            "X-Project-Id": PROJECT_MAIN, "Content-Type": "application/json"}
    hdrs["Authorization"] = sign_headers(creds.access_key, creds.secret_key,
                                         "GET", path, query, hdrs)
    check("check_auth accepts a signed request",
          check_auth(creds, "GET", path, query, _Headers(hdrs.items()), b"",
                     PROJECT_MAIN), None)
    check("check_auth rejects a changed query",
          check_auth(creds, "GET", path, "id=x", _Headers(hdrs.items()), b"",
                     PROJECT_MAIN), "verify aksk signature fail")
    temp = dict(hdrs, **{"X-Security-Token": creds.security_token})
    del temp["Authorization"]
    temp["Authorization"] = sign_headers(creds.temp_access_key,
                                         creds.temp_secret_key, "GET", path,
                                         query, temp)
    check("check_auth accepts temporary credentials with a token",
          check_auth(creds, "GET", path, query, _Headers(temp.items()), b"",
                     PROJECT_MAIN), None)
    old = dict(hdrs)
    old["X-Sdk-Date"] = (now - dt.timedelta(minutes=16)).strftime(SDK_DATE_FORMAT)
    del old["Authorization"]
    old["Authorization"] = sign_headers(creds.access_key, creds.secret_key,
                                        "GET", path, query, old)
    check("check_auth rejects a stale X-Sdk-Date",
          check_auth(creds, "GET", path, query, _Headers(old.items()), b"",
                     PROJECT_MAIN) is not None, True)

    # Fault grammar.
    check("parse fault-503-once-abc", parse_fault("fault-503-once-abc"),
          Fault("status", 503, 1))
    check("parse fault-slow-250", parse_fault("fault-slow-250"),
          Fault("slow", 250, 0))
    check("parse fault-deep", parse_fault("fault-deep"), Fault("deep", 1000, 0))
    check("parse fault-seq-truncated.404missing.huge-2.ok-n1",
          parse_fault_seq("fault-seq-truncated.404missing.huge-2.ok-n1"),
          [Fault("truncated", None, 0), Fault("404missing", None, 0),
           Fault("huge", 2, 0), None])
    check("parse fault-seq-oops-n1",
          parse_fault_seq("fault-seq-oops-n1"), [Fault("invalid", None, 0)])
    check("parse fault-503 is no sequence", parse_fault_seq("fault-503"), None)
    check("parse fault-gzipbomb-5-twice-x-y",
          parse_fault("fault-gzipbomb-5-twice-x-y"), Fault("gzipbomb", 5, 2))
    check("parse fault-nonsense", parse_fault("fault-nonsense").kind, "invalid")
    check("parse fault-", parse_fault("fault-").kind, "invalid")
    check("parse a normal id", parse_fault(TASK_PUBLISHED), None)
    check("parse fault-redirect", parse_fault("fault-redirect"),
          Fault("redirect", None, 0))

    # Request targets.
    check("origin-form target kept", origin_form("/v2/p/x?a=1"),
          ("/v2/p/x?a=1", False))
    check("absolute-form target stripped",
          origin_form("http://dws.example.invalid:80/v2/p/x?a=1"),
          ("/v2/p/x?a=1", True))
    check("absolute-form target without a path",
          origin_form("HTTP://h:1?a=1"), ("/?a=1", True))
    check("'://' inside a path is not absolute-form",
          origin_form("/v2/p/disaster-recovery/a://b"),
          ("/v2/p/disaster-recovery/a://b", False))

    failed = results.count(False)
    print(f"# selftest: {len(results) - failed} passed, {failed} failed")
    return failed == 0


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Local stand-in for the GaussDB(DWS) disaster-recovery API.")
    ap.add_argument("--host", default=DEFAULT_HOST)
    ap.add_argument("--port", type=int, default=DEFAULT_PORT,
                    help="TCP port (0 picks a free one; the banner tells which)")
    ap.add_argument("--generate", type=int, default=0, metavar="N",
                    help=f"add N synthetic tasks to project {PROJECT_GENERATED}")
    ap.add_argument("--quiet", action="store_true",
                    help="no per-request log lines on stderr")
    ap.add_argument("--tls-port", type=int, default=None, metavar="PORT",
                    help="also serve the API over HTTPS on this port (0 picks "
                         "a free one); needs --tls-cert and --tls-key")
    ap.add_argument("--tls-cert", metavar="FILE",
                    help="PEM server certificate (chain) for --tls-port")
    ap.add_argument("--tls-key", metavar="FILE",
                    help="PEM private key of --tls-cert")
    ap.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    ap.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    ap.add_argument("--temp-access-key", default=DEFAULT_TEMP_ACCESS_KEY)
    ap.add_argument("--temp-secret-key", default=DEFAULT_TEMP_SECRET_KEY)
    ap.add_argument("--security-token", default=DEFAULT_SECURITY_TOKEN)
    ap.add_argument("--iam-token", default=DEFAULT_IAM_TOKEN)
    ap.add_argument("--max-skew", type=int, default=MAX_CLOCK_SKEW_SECONDS,
                    help="accepted X-Sdk-Date clock skew in seconds")
    ap.add_argument("--delay-ms", type=int, default=0, metavar="N",
                    help="delay every API answer N ms (POST /__mock/config "
                         "changes it)")
    ap.add_argument("--quota", type=int, default=0, metavar="N",
                    help="at most N accepted calls per access key in any one "
                         "second; more answer 429 APIG.0308 (0: no quota)")
    ap.add_argument("--no-auth", action="store_true",
                    help="accept requests without checking credentials")
    ap.add_argument("--selftest", action="store_true",
                    help="check the signer against the official vectors")
    args = ap.parse_args(argv)
    if args.generate < 0:
        ap.error("--generate must be >= 0")
    if not 0 <= args.delay_ms <= 600_000 or not 0 <= args.quota <= 600_000:
        ap.error("--delay-ms and --quota must be from 0 to 600000")
    if args.tls_port is not None and not (args.tls_cert and args.tls_key):
        ap.error("--tls-port needs --tls-cert and --tls-key")
    if args.tls_port is None and (args.tls_cert or args.tls_key):
        ap.error("--tls-cert and --tls-key need --tls-port")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.selftest:
        return 0 if run_selftest() else 1

    store = TaskStore(fixed_tasks() + text_tasks())
    if args.generate:
        store.add_in_background(
            PROJECT_GENERATED,
            (generated_task(i) for i in range(1, args.generate + 1)))
    creds = Credentials(args.access_key, args.secret_key, args.temp_access_key,
                        args.temp_secret_key, args.security_token,
                        args.iam_token, args.max_skew)
    server = MockServer((args.host, args.port), store, creds,
                        quiet=args.quiet, no_auth=args.no_auth,
                        state=MockState(args.delay_ms, args.quota))
    tls_server = None
    if args.tls_port is not None:
        tls_server = TLSMockServer((args.host, args.tls_port),
                                   tls_context(args.tls_cert, args.tls_key),
                                   store, creds, quiet=args.quiet,
                                   no_auth=args.no_auth, state=server.state)

    def stop(signum, frame):
        raise KeyboardInterrupt

    def banner(scheme, srv):
        host, port = srv.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"dws_mock listening on {scheme}://{shown}:{port}", flush=True)

    signal.signal(signal.SIGTERM, stop)
    banner("http", server)
    if tls_server is not None:
        server.tunnel_to = tls_server.server_address[:2]
        banner("https", tls_server)
        threading.Thread(target=tls_server.serve_forever,
                         kwargs={"poll_interval": 0.5}, daemon=True).start()
    if not args.quiet:
        print(f"dws_mock: {store.count()} tasks in {len(store.projects)} "
              "projects", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if tls_server is not None:
            tls_server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
