#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The reader of tests/e2e/repod_mirror.sh: walks mirror folders (as `xdrv-repod export --watch`
# writes them) over and over, the way a client walks a repository, while publishes go on, and
# stops at the first instant a folder is not a consistent TUF repository:
#   timestamp.json -> N.snapshot.json (exists, length and sha256 as the timestamp lists them)
#   -> every role the snapshot lists, by its version (exists; length and hashes when listed)
#   -> every delegated role of targets.json is listed by the snapshot
#   -> every target of every role: targets/VENDOR/<sha256>.NAME-VERSION.xdrv exists with that
#      length and sha256;
#   and every package the pages (index.html, drivers/NAME/index.html) link to exists.
# After each good walk it writes "DIR TIMESTAMP_VERSION" for each folder to STATUS (atomically),
# so that the test can wait until a version was checked. Runs until the file STOP exists;
# prints the number of walks and of distinct timestamp versions seen per folder.
#   usage: repod_mirror_check.py STATUS STOP DIR...
import hashlib
import json
import os
import re
import sys
import time

status, stop, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
hashed = {}  # (path, inode, size) -> sha256: target files never change once renamed in


def read(d, rel):
    try:
        with open(os.path.join(d, rel), "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise Inconsistent(f"{rel}: missing")


class Inconsistent(Exception):
    pass


def listed(d, rel, want):
    b = read(d, rel)
    if "length" in want and want["length"] != len(b):
        raise Inconsistent(f"{rel}: {len(b)} bytes, {want['length']} listed")
    h = want.get("hashes", {}).get("sha256")
    if h and hashlib.sha256(b).hexdigest() != h:
        raise Inconsistent(f"{rel}: sha256 differs from its listing")
    return json.loads(b)["signed"]


def target_sha(path):
    st = os.stat(path)
    k = (path, st.st_ino, st.st_size)
    if k not in hashed:
        with open(path, "rb") as f:
            hashed[k] = hashlib.sha256(f.read()).hexdigest()
    return hashed[k], st.st_size


def walk(d):
    ts = json.loads(read(d, "metadata/timestamp.json"))["signed"]
    sm = ts["meta"]["snapshot.json"]
    snap = listed(d, f"metadata/{sm['version']}.snapshot.json", sm)
    roles = {}
    for name, m in snap["meta"].items():
        roles[name] = listed(d, f"metadata/{m['version']}.{name}", m)
    for r in roles.get("targets.json", {}).get("delegations", {}).get("roles", []):
        if r["name"] + ".json" not in snap["meta"]:
            raise Inconsistent(f"delegated role {r['name']} not in snapshot {sm['version']}")
    n = 0
    for name, role in roles.items():
        for path, t in role.get("targets", {}).items():
            vendor, base = path.split("/", 1)
            rel = f"targets/{vendor}/{t['hashes']['sha256']}.{base}"
            try:
                h, size = target_sha(os.path.join(d, rel))
            except FileNotFoundError:
                raise Inconsistent(f"{rel} ({name} lists {path}): missing")
            if size != t["length"] or h != t["hashes"]["sha256"]:
                raise Inconsistent(f"{rel}: not the bytes {name} lists")
            n += 1
    drivers = os.path.join(d, "drivers")
    pages = [os.path.join(d, "index.html")]
    if os.path.isdir(drivers):
        pages += [os.path.join(drivers, x, "index.html") for x in os.listdir(drivers)]
    for page in pages:
        try:
            with open(page, encoding="utf-8") as f:
                html = f.read()
        except FileNotFoundError:
            continue  # a driver's folder made, its page not renamed in yet
        for link in set(re.findall(r"/targets/[A-Za-z0-9._/-]+\.xdrv", html)):
            if not os.path.exists(d + link):
                raise Inconsistent(f"{os.path.relpath(page, d)} links {link}, which is missing")
    return ts["version"], n


walks = {d: 0 for d in dirs}
seen = {d: set() for d in dirs}
last = {}
while not os.path.exists(stop):
    time.sleep(0.001)  # a reader that leaves the writers some of the two cores
    for d in dirs:
        if not os.path.exists(os.path.join(d, "metadata/timestamp.json")):
            continue  # not written yet: a mirror before its first pass serves nothing
        try:
            v, n = walk(d)
        except Inconsistent as e:
            print(f"INCONSISTENT {d} (walk {walks[d] + 1}): {e}", flush=True)
            sys.exit(1)
        walks[d] += 1
        seen[d].add(v)
        last[d] = v
    with open(status + ".tmp", "w") as f:
        f.write("".join(f"{d} {v}\n" for d, v in last.items()))
    os.replace(status + ".tmp", status)
for d in dirs:
    print(f"{d}: {walks[d]} consistent walks, {len(seen[d])} timestamp versions", flush=True)
