#!/usr/bin/env python3
"""Static answers of the DWS DR API for bench/run, served by nginx.

Writes, under ROOT, for project PROJECT and tasks 1..N of the stand-in's
generator (test/mock/dws_mock.py, generated_task: ids
00000000-0000-4000-8000-%012d), the exact bodies the stand-in sends:

  ROOT/v2/PROJECT/disaster-recovery/<id>            detail
  ROOT/v2/PROJECT/disaster-recoveries               list of all N tasks
  ROOT/v2/PROJECT/disaster-recoveries-by-id/<id>    list filtered by ?id=
                                                    (nginx rewrites to it)

Usage: gen_data.py ROOT PROJECT N
"""

import dataclasses
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "mock"))
import dws_mock  # noqa: E402


def main() -> int:
    root, project, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    base = os.path.join(root, "v2", project)
    detail_dir = os.path.join(base, "disaster-recovery")
    by_id_dir = os.path.join(base, "disaster-recoveries-by-id")
    os.makedirs(detail_dir, exist_ok=True)
    os.makedirs(by_id_dir, exist_ok=True)
    items = []
    for i in range(1, n + 1):
        task = dws_mock.generated_task(i)
        if project != task.project_id:
            task = dataclasses.replace(task, project_id=project)
        entry = dws_mock.Entry(task)
        with open(os.path.join(detail_dir, task.id), "wb") as f:
            f.write(entry.detail)
        with open(os.path.join(by_id_dir, task.id), "wb") as f:
            f.write(dws_mock.list_envelope([entry.item]))
        items.append(entry.item)
    with open(os.path.join(base, "disaster-recoveries"), "wb") as f:
        f.write(dws_mock.list_envelope(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
