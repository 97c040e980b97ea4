#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (test/fuzz/corpus/).

The seeds are committed; this script documents how they were made and
rewrites them (except corpus/record/detail_example.json, which is the
published ShowDisasterDetail example response copied as given, and the
crash-*/finding-* inputs added after findings).  Run from anywhere:
    python3 test/fuzz/gen_seeds.py

fuzz_sign input layout (see fuzz_sign.c):
    byte 0: low nibble % 9 = number of query parameters, high nibble % 9 =
    number of headers; then NUL-separated fields: method, path, sdk_date,
    ak, sk, the query (name, value) pairs, the header (name, value) pairs;
    then the body (raw bytes).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REC = os.path.join(HERE, "corpus", "record")
SIGN = os.path.join(HERE, "corpus", "sign")


def write(d, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


LIST_ITEM = {
    "id": "b303b78d-438c-41dd-aaf6-c98eea1fc2a6",
    "status": "running", "name": "dws-it-02", "dr_type": "region",
    "primary_cluster_id": "3de21046-e65e-4fcf-86bf-583115b39c27",
    "primary_cluster_name": "dws-203-primary",
    "standby_cluster_id": "5d946c51-9ffa-49e3-9129-2bea4d23d3fd",
    "standby_cluster_name": "dws-205-standby",
    "primary_cluster_role": "primary", "standby_cluster_role": "standby",
    "primary_cluster_status": "waiting", "standby_cluster_status": "waiting",
    "primary_cluster_region": "cn-north-7",
    "standby_cluster_region": "cn-north-208",
    "primary_cluster_project_id": "0536cdee2200d5912f7cc00b877980f1",
    "standby_cluster_project_id": "0536cdee2200d5912f7cc00b877980f1",
    "last_disaster_time": "2023-04-28T10:00:00",
    "start_time": "2023-04-28T09:23:38",
    "create_time": "2023-04-28T08:51:54",
}


def record_seeds():
    os.makedirs(REC, exist_ok=True)
    w = lambda n, d: write(REC, n, d)
    compact = lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False)

    # list bodies
    w("list_one.json", compact({"disaster_recovery": [LIST_ITEM]}))
    item2 = dict(LIST_ITEM, id="x2", standby_cluster_id=None,
                 standby_cluster_name=None, standby_cluster_role=None,
                 standby_cluster_status=None, standby_cluster_region=None,
                 standby_cluster_project_id=None,
                 unknown_new_field={"x": [1, 2.5, True, None]})
    w("list_two.json", compact({"disaster_recovery": [LIST_ITEM, item2]}))
    w("list_empty.json", '{"disaster_recovery":[]}')
    w("list_extra_members.json",
      '{"count":2,"disaster_recovery":[{"id":"a","name":"x"},{"id":"b"}],'
      '"ok":true,"next":null,"r":-1.5e3,"s":"t","o":{"a":[1,{"b":null}]}}')
    w("list_repeated_key.json",
      '{"disaster_recovery":[{"id":"a"}],"disaster_recovery":[{"id":"b"},7],'
      '"disaster_recovery_x":[1]}')
    w("list_escaped_key.json", '{"disaster\\u005frecovery":[]}')
    w("list_spaced.json",
      ' {\r\n "disaster_recovery" :\t[ {"id" : "a\\"]}" } , [ ] , "s" , 1 ,'
      ' null ]\n}\n')
    w("list_odd_items.json",
      '{"disaster_recovery":[1,"s",null,[],{},{"primary_cluster":"x",'
      '"standby_cluster":{"id":"n","role":null},"standby_cluster_id":"f",'
      '"primary_cluster_":1}]}')
    w("list_nested_cluster.json",
      '{"disaster_recovery":[{"id":"a","primary_cluster":{"id":"p",'
      '"progress":"50","disk_used":1.5},"primary_cluster_id":"q",'
      '"standby_cluster_status":null}]}')

    # progress bodies
    w("progress.json", compact({"disaster_recovery_progress": {
        "primary_cluster": {"key": "20230327_201637", "action_type": "Backup",
                            "unrestore_keys": "N/A",
                            "action_start_time": "2023-03-27 20:16:34",
                            "action_end_time": "2023-03-27 20:16:40"},
        "standby_cluster": {"key": "20230327_201637", "action_type": "Restore",
                            "unrestore_keys": "N/A",
                            "action_start_time": "2023-03-27 20:16:41",
                            "action_end_time": None},
        "latest_barrier_time": "2023-03-27T20:16:37Z",
        "last_recovery_spend": 12, "recovery_point_object": 42,
        "recovery_time_object": 7}}))

    # error bodies
    w("error_dws10101.json",
      '{"error_code":"DWS.10101","error_msg":"The disaster recovery task '
      'does not exist."}')
    w("error_apigw0301.json",
      '{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication '
      'information: verify aksk signature fail","request_id":'
      '"a6b3c1d0e5f94b2c8d7e6f5a4b3c2d1e"}')
    w("error_message_key.json",
      '{"error_code":"DWS.9999","message":"internal","request_id":7}')
    w("error_200_with_detail.json",
      '{"error_code":"DWS.0001","error_msg":"x","disaster_recovery":'
      '{"id":"a"}}')
    w("error_nonstring_code.json", '{"error_code":10101,"error_msg":null}')
    w("html_error_page.txt",
      "<html><head><title>502 Bad Gateway</title></head><body>"
      "<center><h1>502 Bad Gateway</h1></center></body></html>\n")

    # truncated and invalid JSON
    w("truncated_detail.json",
      '{"disaster_recovery":{"id":"b303b78d","name":"dws-it-02",'
      '"primary_cluster":{"id":"3de2')
    w("truncated_list.json", '{"disaster_recovery":[{"id":"a"},{"id"')
    w("trailing_garbage.json", '{"a":1} x')
    w("bad_escape.json", '{"a":"\\u12"}')
    w("nul_escape.json", '{"a":"x\\u0000y"}')
    w("empty.txt", "")
    w("blank.txt", " \t\r\n ")
    w("dup_keys.json", '{"disaster_recovery":{"id":"a","id":"b"}}')
    w("empty_key.json", '{"":{"id":"a"},"a.b":{"c":1}}')

    # nesting at and past the limit (64), with brackets inside strings
    w("depth_64.json", "[" * 64 + "]" * 64)
    w("depth_65.json", "[" * 65 + "]" * 65)
    w("depth_64_obj.json", '{"a":' * 64 + "1" + "}" * 64)
    w("depth_strings.json",
      '{"s":"[[[[{{{{\\"[[[[","t":[[["]]]]]]]"]]]}')
    w("deep_detail.json",
      '{"disaster_recovery":{"primary_cluster":' + '{"x":' * 60 + "null"
      + "}" * 60 + "}}")

    # scalar roots and value text
    w("root_string_time.json", '"2023-04-29T06:39:56"')
    w("root_number.json", "0.1")
    w("values.json",
      '{"disaster_recovery":{"i":-9223372036854775808,"j":9223372036854775807,'
      '"r":0.1,"e":1e300,"n":-0.0,"f":1.0,"t":true,"u":false,"z":null,'
      '"s":"a\\"b\\\\c\\n\\t\\u0001\\u007f\\u00e9\\ud83d\\ude00",'
      '"o":{"a.b":{"c":[]}},"a":[{},[],"",0]}}')

    # times in every accepted form (raw, as the time parser sees the input)
    times = [
        "2023-04-29T06:39:56", "2023-04-29 06:39:56", "2023-04-29T06:39:56Z",
        "2023-04-29T06:39:56z", "2023-04-29T06:39:56.123456",
        "2023-04-29T06:39:56.1", "2023-04-29T06:39:56.123456789Z",
        "2023-04-29T06:39:56+08:00", "2023-04-29T06:39:56-0530",
        "2023-04-29T06:39:56+08", "2023-04-29T00:10:00.5+23:59",
        "0001-01-01T00:00:00", "9999-12-31T23:59:59.999999-00:00",
        "2024-02-29 12:00:00", "2023-02-29 12:00:00",
        "2023-04-29T06:39:60", "2023-04-29T06:39:56.1234567890",
    ]
    for i, t in enumerate(times):
        w("time_%02d.txt" % i, t)
    w("times_in_json.json", compact({"disaster_recovery": {
        "start_time": "2023-04-28T09:23:38", "create_time": "2023-04-28 08:51:54",
        "last_disaster_time": "2023-04-28T10:00:00.25+01:30",
        "dr_sync_period": "20m"}}))

    # sync periods
    for i, p in enumerate(["20m", "3H", "1d", "3000m", "3001d", "0m", "0020H",
                           "20M", "20m "]):
        w("period_%02d.txt" % i, p)


def sign_seed(method, path, sdk_date, ak, sk, query, headers, body=b""):
    nq, nh = len(query), len(headers)
    out = bytes([(nh << 4) | nq])
    fields = [method, path, sdk_date, ak, sk]
    for k, v in query:
        fields += [k, v]
    for k, v in headers:
        fields += [k, v]
    out += b"\0".join(f.encode("utf-8") for f in fields) + b"\0"
    return out + body


def sign_seeds():
    os.makedirs(SIGN, exist_ok=True)
    w = lambda n, d: write(SIGN, n, d)
    hdrs = [("Host", "service.endpoint.myhuaweicloud.com"),
            ("X-Sdk-Date", "20200608T023900Z"),
            ("TEST_UNDERSCORE", "TEST_VALUE")]
    # the official vectors (Huawei's signing guide)
    w("vector_get", sign_seed("GET", "/resources", "20200608T023900Z",
                              "AccessKey", "SecretKey", [("size", "1")], hdrs))
    w("vector_post", sign_seed("POST", "/resources", "20200608T023900Z",
                               "AccessKey", "SecretKey", [("size", "1")], hdrs,
                               b'{"name":"test","id":1}'))
    w("vector_query", sign_seed(
        "GET", "/resources", "20200608T023900Z", "AccessKey", "SecretKey",
        [("limit", "1"), ("enable", "true"), ("test", "\u4e00 (&=?!#%.*)"),
         ("path", "/tmp/123"), ("multi", "1"), ("multi", "2"), ("multi", "3")],
        hdrs))
    # the FDW's own calls
    w("fdw_detail", sign_seed(
        "GET", "/v2/0536cdee2200d5912f7cc00b877980f1/disaster-recovery/"
        "b303b78d-438c-41dd-aaf6-c98eea1fc2a6", "20230429T063956Z",
        "AK", "SK", [],
        [("Host", "dws.cn-north-4.myhuaweicloud.com"),
         ("X-Sdk-Date", "20230429T063956Z"),
         ("X-Project-Id", "0536cdee2200d5912f7cc00b877980f1"),
         ("Content-Type", "application/json")]))
    w("fdw_list_filtered", sign_seed(
        "GET", "/v2/p/disaster-recoveries", "20230429T063956Z", "AK", "SK",
        [("primary_cluster_id", "3de21046"), ("id", "a b/c")],
        [("host", "127.0.0.1:8080"), ("x-sdk-date", "20230429T063956Z"),
         ("X-Security-Token", "tok\t  ")]))
    w("fdw_progress", sign_seed(
        "GET", "/v1/p/disaster-recovery/i%2Fd/show-progress",
        "20230429T063956Z", "AK", "SK", [], [("Host", "h")]))
    # paths and headers at the edges
    w("path_escapes", sign_seed("GET", "/a%2Fb/%7e/%zz/%4/%/%C3%A9//x y/",
                                "d", "ak", "sk", [], []))
    w("empty_path", sign_seed("GET", "", "", "", "", [], []))
    w("dup_headers", sign_seed(
        "PUT", "/x", "d", "ak", "sk", [("", ""), ("k", "")],
        [("Host", "first"), ("HOST", " second "), ("", "v"), ("a_b", "c"),
         ("X-\xe9", "\x0b\x0cv\r\n")], b"\0body\0"))
    w("truncated", b"\x22GET\0/path\0date")
    w("only_count", b"\xff")


if __name__ == "__main__":
    record_seeds()
    sign_seeds()
