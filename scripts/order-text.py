#!/usr/bin/env python3
##===----------------------------------------------------------------------===##
##
## This source file is part of the Nimbus project.
## Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
## SPDX-License-Identifier: Apache-2.0
##
##===----------------------------------------------------------------------===##
"""Regenerate link/text-order.txt: the functions a starting, idle and serving nimbus runs, for lld to place together.

Usage (Linux, as root, with valgrind and perf installed; after scripts/build-release):
    scripts/order-text.py [--rounds N] [--scratch-path .build]

Why: an idle server's memory is mostly the binary's own code pages. Each page fault maps the 64 KiB around
it, so code that start-up touches scattered over 35 MB of `.text` kept most of it resident. Placing the
functions that run first makes them a few contiguous megabytes (docs/ARCHITECTURE.md, "Linking"). The code
that serving requests adds comes next, for the same reason: under load it had doubled the resident code.

How:
1. Relinks the release binary from SwiftPM's own link command (`.build/release.yaml`), with a link map.
2. Runs it under valgrind's callgrind (start, `GET /`, 2 s idle; with --ephemeral, with a new data dir, and
   on a data dir an earlier start made, as a restart) for
   the functions that ran; then once more with a data dir, serving `nimbus bench`'s scenarios in between
   (WORKLOAD), for the functions that serving adds.
3. Orders their input sections, a first start's first, then a restart's, then serving's: in each, small or mostly-hot
   sections first, then sections that hold a little hot code among much cold code (objects built without
   function sections), smallest first.
4. Repeats: relinks with that order, records the executable's instruction-fetch page faults during the same
   runs (perf's `exceptions:page_fault_user`), and adds every section faulted outside the ordered region.
   This catches what callgrind cannot see (code chosen by CPU features valgrind does not emulate).

Functions without a symbol (`.text..L__unnamed_*`) cannot be named in an ordering file; link/text-order.ld
gathers them in front of `.text` instead. A stale order costs only memory: lld ignores symbols it no longer
finds, and code new since the last run is placed after the ordered code.
"""

import argparse
import bisect
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = os.path.join(ROOT, "link", "text-order.txt")
WORK = tempfile.mkdtemp(prefix="nimbus-order-")
EXE = os.path.join(WORK, "nimbus")
MAP = os.path.join(WORK, "nimbus.map")
# What the serving run asks, as `nimbus bench` scenarios and sizes: the requests the README's comparison
# measures. Not `s3-list`: its setup puts 10,000 objects, which takes many minutes under callgrind.
WORKLOAD = [("s3-put", "4KiB"), ("s3-get", "4KiB"), ("iam-authorized-get", "4KiB"), ("kms-encrypt", "4KiB"),
            ("kms-decrypt", "4KiB"), ("sts-caller-identity", "4KiB"), ("cloudtrail-lookup-events", "4KiB"),
            ("s3-put-large", "33MiB"), ("s3-get-large", "33MiB")]
# The pinned account and key of the serving run (AWS's documentation example).
KEY_ID, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def link_command(build_path):
    """SwiftPM's link of the release `nimbus`, writing EXE, with a map and without the committed order."""
    yaml = os.path.join(build_path, "release.yaml")
    lines = open(yaml).read().split("\n")
    for i, line in enumerate(lines):
        if line.strip().startswith('"C.nimbus-') and line.strip().endswith('-release.exe":'):
            for candidate in lines[i:i + 10]:
                if candidate.strip().startswith("args:"):
                    args = json.loads(candidate.split("args:", 1)[1])
                    for i in reversed(range(1, len(args))):  # the committed order, as "-Xlinker" "--symbol-ordering-file=…"
                        if args[i].startswith("--symbol-ordering-file="):
                            del args[i - 1:i + 1]
                    args[args.index("-o") + 1] = EXE
                    return args + ["-Xlinker", "--no-demangle", "-Xlinker", f"-Map={MAP}"]
    sys.exit("no release link of nimbus in .build/release.yaml: run scripts/build-release first")


def link(args, order):
    path = os.path.join(WORK, "order.txt")
    with open(path, "w") as f:
        f.writelines(symbol + "\n" for symbol in order)
    subprocess.run(args + ["-Xlinker", f"--symbol-ordering-file={path}", "-Xlinker", "--no-warn-symbol-ordering"],
                   check=True, capture_output=True)


def text_sections():
    """[(address, size, input section, [(address, symbol)])] of the output sections named .text*."""
    sections, in_text = [], False
    row = re.compile(r"^\s*([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+)( +)(.*)$")
    for line in open(MAP):
        m = row.match(line.rstrip("\n"))
        if not m:
            continue
        address, _, size, _, indent, name = m.groups()
        if len(indent) == 1:  # an output section
            in_text = name.startswith(".text")
        elif in_text and len(indent) > 9:  # a symbol in the last input section
            if sections:
                sections[-1][3].append((int(address, 16), name))
        elif in_text:
            sections.append([int(address, 16), int(size, 16), name, []])
    return sections


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_server(prefix, ephemeral, serving=False, restart=False, data=None, keep=False):
    """Starts EXE under `prefix` (a profiler), answers one GET /, serves WORKLOAD if `serving`, idles 2 s,
    stops it with SIGINT. With `restart`, the profiled start is the second on its data dir: a restart reads
    what the first start made (the CA, the root key, the database) instead of making it."""
    if restart:
        data = tempfile.mkdtemp(dir=WORK)
        run_server([], ephemeral, data=data, keep=True)
    port, data = free_port(), data or tempfile.mkdtemp(dir=WORK)
    store = ["--ephemeral"] if ephemeral else ["--data-dir", os.path.join(data, "n")]
    env = dict(os.environ, NIMBUS_ACCOUNT_ID="111122223333", NIMBUS_ROOT_ACCESS_KEY_ID=KEY_ID,
               NIMBUS_ROOT_SECRET_ACCESS_KEY=SECRET, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET)
    env.pop("AWS_SESSION_TOKEN", None)
    # HTTPS on, as a default start has it: loading the certificates and making the TLS context ran scattered
    # code that kept about 5 MiB more of the binary resident when it was left out of the order.
    server = subprocess.Popen(prefix + [EXE, "serve", "--port", str(port), "--tls-port", str(free_port()), "--log-level", "warning"] + store,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                if s.recv(1):
                    break
        except OSError:
            time.sleep(0.05)
    for scenario, size in WORKLOAD if serving else []:
        done = subprocess.run([EXE, "bench", "--endpoint", f"http://127.0.0.1:{port}", "--scenario", scenario,
                               "--size", size, "--concurrency", "2", "--duration", "1", "--warmup", "0"],
                              env=env, capture_output=True, text=True, timeout=1800)
        # Exit 3 is a measured request that failed (a timeout under valgrind): the code still ran. Anything
        # else means the scenario did not run, and its code would be missing from the order.
        if done.returncode not in (0, 3):
            print(f"warning: bench {scenario} failed: {done.stderr.strip()[-300:]}", file=sys.stderr, flush=True)
    time.sleep(2)
    server.send_signal(2)
    server.wait(timeout=120)
    if not keep:
        shutil.rmtree(data)


# (ephemeral, serving, restart): the first starts, a restart, and serving, each a tier of the order.
RUNS = [(True, False, False), (False, False, False)]
RESTART = (False, False, True)
SERVING = (False, True, False)


def functions_that_ran(run):
    stripped = EXE + ".nodebug"  # valgrind's DWARF reader gives up on the toolchain's debug info
    subprocess.run(["objcopy", "--strip-debug", EXE, stripped], check=True)
    shutil.copy(stripped, EXE)
    ran = set()
    for ephemeral, serving, restart in run:
        out = os.path.join(WORK, "callgrind.out")
        run_server(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}"], ephemeral, serving, restart)
        objects, names, current = {}, {}, None
        for line in open(out, errors="replace"):
            m = re.match(r"^(c?ob|c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if not m:
                continue
            kind, ident, name = m.groups()
            if name:
                (objects if kind.endswith("ob") else names)[ident] = re.sub(r"'\d+$", "", name)
            if kind == "ob":
                current = objects.get(ident)
            elif kind == "fn" and current == EXE:
                ran.add(names[ident])
    return ran


def initial_order(ran, placed=frozenset()):
    """The sections holding `ran`, except those named in `placed`: ([tight], [loose]), each by a symbol."""
    tight, loose = [], []
    for start, size, _, inside in text_sections():
        hot = [(a, n) for a, n in inside if n in ran]
        if not hot or any(n in placed for _, n in inside):
            continue
        ends = sorted(a for a, _ in inside) + [start + size]
        hot_bytes = sum(min(e for e in ends if e > a) - a for a, _ in hot)
        (tight if size <= 4096 or 2 * hot_bytes >= size else loose).append((size, hot[0][1]))
    loose.sort()
    return [n for _, n in tight], [n for _, n in loose]


def faults(run):
    """Addresses (link-time) of the instruction-fetch faults in EXE's code over `run`'s runs."""
    addresses = []
    for ephemeral, serving, restart in run:
        data = os.path.join(WORK, "faults.data")
        run_server(["perf", "record", "-q", "-e", "exceptions:page_fault_user", "-o", data, "--"], ephemeral, serving, restart)
        script = subprocess.run(["perf", "script", "-i", data, "--show-mmap-events"], capture_output=True, text=True).stdout
        m = re.search(r"\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+) [^\]]*\]: r-xp " + re.escape(EXE), script)
        low, length, offset = (int(g, 16) for g in m.groups())
        for line in subprocess.run(["readelf", "-lW", EXE], capture_output=True, text=True).stdout.splitlines():
            p = line.split()
            if p and p[0] == "LOAD" and "E" in p[-2]:
                file_offset, virtual = int(p[1], 16), int(p[2], 16)
        for a in re.findall(r"address=(0x[0-9a-f]+) ip=\S+ error_code=0x([0-9a-f]+)", script):
            address = int(a[0], 16)
            if low <= address < low + length and int(a[1], 16) & 0x10:
                addresses.append(address - low + offset - file_offset + virtual)
    return addresses


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--scratch-path", default=os.path.join(ROOT, ".build"), help="the build's --scratch-path")
    options = parser.parse_args()
    for tool in ("valgrind", "perf", "objcopy", "readelf"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed")
    args = link_command(options.scratch_path)
    subprocess.run(args, check=True, capture_output=True)
    started = functions_that_ran(RUNS)
    restarted = functions_that_ran([RESTART]) - started
    served = functions_that_ran([SERVING]) - started - restarted
    subprocess.run(args, check=True, capture_output=True)  # the runs above replaced EXE with a stripped copy
    # Three tiers, each [tight, loose]: what a first start runs, what a restart adds (reading the data dir
    # instead of making it), then what serving adds. Mixing the first two spread a first start's code wider.
    tiers = [list(initial_order(started))]
    tiers.append(list(initial_order(restarted, placed={n for t in tiers for part in t for n in part})))
    tiers.append(list(initial_order(served, placed={n for t in tiers for part in t for n in part})))
    print(f"callgrind: {len(started)} functions ran at start, {len(restarted)} more restarting, {len(served)} more serving; "
          f"{', '.join(str(sum(map(len, t))) for t in tiers)} sections hold them")
    for round in range(options.rounds):
        order = [n for tier in tiers for part in tier for n in part]
        link(args, order)
        sections = text_sections()
        starts = [s[0] for s in sections]
        ordered = set(order)
        # The ordered sections (and the unnamed ones before them) come first; anything faulted past them was missed.
        placed = [any(n in ordered for _, n in s[3]) for s in sections]
        ordered_bytes = sum(s[1] for s, p in zip(sections, placed) if p or "..L__unnamed_" in s[2])
        end = sections[0][0] + ordered_bytes + 65536
        added = 0
        for tier, run in zip(tiers, (RUNS, [RESTART], [SERVING])):
            for address in faults(run):
                i = bisect.bisect_right(starts, address) - 1
                if i < 0 or address < end or not sections[i][3] or placed[i]:
                    continue
                placed[i] = True
                tier[0 if sections[i][1] <= 4096 else 1].append(sections[i][3][0][1])
                added += 1
        print(f"round {round}: {added} sections faulted beyond the first {ordered_bytes:,} bytes", flush=True)
        if added == 0:
            break
    order = [n for tier in tiers for part in tier for n in part]
    with open(ORDER, "w") as f:
        f.writelines(symbol + "\n" for symbol in order)
    print(f"wrote {ORDER}: {len(order)} symbols")
    shutil.rmtree(WORK)


if __name__ == "__main__":
    main()
