"""A tiny libpq client through ctypes, for test/chaos (no pip package).

Only what the soak needs: connect, run one statement and read its rows or
its error (SQLSTATE and message), the backend's pid, and whether the
connection is still alive.  libpq releases nothing Python-side while it
waits, and ctypes drops the GIL around each call, so sessions in threads
run their statements at the same time.
"""

import ctypes
import ctypes.util

_lib = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
_lib.PQconnectdb.restype = ctypes.c_void_p
_lib.PQconnectdb.argtypes = [ctypes.c_char_p]
_lib.PQstatus.argtypes = [ctypes.c_void_p]
_lib.PQerrorMessage.restype = ctypes.c_char_p
_lib.PQerrorMessage.argtypes = [ctypes.c_void_p]
_lib.PQexec.restype = ctypes.c_void_p
_lib.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_lib.PQresultStatus.argtypes = [ctypes.c_void_p]
_lib.PQresultErrorField.restype = ctypes.c_char_p
_lib.PQresultErrorField.argtypes = [ctypes.c_void_p, ctypes.c_int]
_lib.PQresultErrorMessage.restype = ctypes.c_char_p
_lib.PQresultErrorMessage.argtypes = [ctypes.c_void_p]
_lib.PQntuples.argtypes = [ctypes.c_void_p]
_lib.PQnfields.argtypes = [ctypes.c_void_p]
_lib.PQgetvalue.restype = ctypes.c_char_p
_lib.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
_lib.PQgetisnull.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
_lib.PQclear.argtypes = [ctypes.c_void_p]
_lib.PQfinish.argtypes = [ctypes.c_void_p]
_lib.PQbackendPID.argtypes = [ctypes.c_void_p]
_lib.PQtransactionStatus.argtypes = [ctypes.c_void_p]
_NOTICE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
_lib.PQsetNoticeProcessor.argtypes = [ctypes.c_void_p, _NOTICE, ctypes.c_void_p]
# notices and warnings (such as "terminating connection because of crash
# of another server process") are not printed: the soak reports crashes
_quiet = _NOTICE(lambda arg, msg: None)

CONNECTION_OK = 0
PGRES_COMMAND_OK = 1
PGRES_TUPLES_OK = 2
PG_DIAG_SQLSTATE = ord("C")
PG_DIAG_MESSAGE_PRIMARY = ord("M")
PQTRANS_IDLE = 0


class Result:
    """Rows (tuples of str or None) or an error (sqlstate, message)."""

    def __init__(self, rows=None, sqlstate=None, message=None, lost=False):
        self.rows = rows
        self.sqlstate = sqlstate
        self.message = message
        self.lost = lost          # the connection is gone

    @property
    def ok(self):
        return self.sqlstate is None and not self.lost

    def __repr__(self):
        if self.ok:
            return f"<{len(self.rows or [])} rows>"
        return f"<ERROR {self.sqlstate}: {self.message}{' (connection lost)' if self.lost else ''}>"


class Conn:
    def __init__(self, conninfo: str):
        self._c = _lib.PQconnectdb(conninfo.encode())
        if _lib.PQstatus(self._c) != CONNECTION_OK:
            msg = _lib.PQerrorMessage(self._c).decode(errors="replace").strip()
            _lib.PQfinish(self._c)
            self._c = None
            raise ConnectionError(msg)
        _lib.PQsetNoticeProcessor(self._c, _quiet, None)
        self.pid = _lib.PQbackendPID(self._c)

    def alive(self) -> bool:
        return self._c is not None and _lib.PQstatus(self._c) == CONNECTION_OK

    def idle(self) -> bool:
        """Outside any transaction block."""
        return _lib.PQtransactionStatus(self._c) == PQTRANS_IDLE

    def execute(self, sql: str) -> Result:
        res = _lib.PQexec(self._c, sql.encode())
        try:
            if not res:
                return Result(sqlstate=None, lost=True,
                              message=_lib.PQerrorMessage(self._c).decode(errors="replace").strip())
            status = _lib.PQresultStatus(res)
            if status == PGRES_TUPLES_OK:
                n, m = _lib.PQntuples(res), _lib.PQnfields(res)
                rows = []
                for r in range(n):
                    rows.append(tuple(
                        None if _lib.PQgetisnull(res, r, c)
                        else _lib.PQgetvalue(res, r, c).decode(errors="replace")
                        for c in range(m)))
                return Result(rows=rows)
            if status == PGRES_COMMAND_OK:
                return Result(rows=[])
            code = _lib.PQresultErrorField(res, PG_DIAG_SQLSTATE)
            msg = (_lib.PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                   or _lib.PQresultErrorMessage(res) or b"")
            lost = _lib.PQstatus(self._c) != CONNECTION_OK
            return Result(sqlstate=code.decode() if code else None,
                          message=msg.decode(errors="replace").strip(),
                          lost=lost or code is None)
        finally:
            if res:
                _lib.PQclear(res)

    def close(self):
        if self._c is not None:
            _lib.PQfinish(self._c)
            self._c = None


def quote(text: str) -> str:
    """A SQL string literal (standard_conforming_strings is on)."""
    return "'" + text.replace("'", "''") + "'"
