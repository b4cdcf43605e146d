#!/usr/bin/env bash
# Keep one build of each test binary and example in the cargo target directory: every change to a
# workspace crate links new ones (hundreds of MiB each) beside the old, which fills the disk over
# a few sessions. Compiled libraries are left alone, so nothing is rebuilt.
set -euo pipefail
target="${CARGO_TARGET_DIR:-target}"
python3 - "$target" <<'PY'
import collections, os, sys
freed = 0
for profile in ("debug", "release"):
    for sub in ("deps", "examples"):
        d = os.path.join(sys.argv[1], profile, sub)
        if not os.path.isdir(d):
            continue
        groups = collections.defaultdict(list)
        for f in os.listdir(d):
            p = os.path.join(d, f)
            if "." in f or not os.path.isfile(p) or not os.access(p, os.X_OK):
                continue
            groups[f.rsplit("-", 1)[0]].append((os.path.getmtime(p), p))
        for files in groups.values():
            for _, p in sorted(files)[:-1]:
                freed += os.path.getsize(p)
                os.remove(p)
print(f"pruned {freed / 2**30:.1f} GiB of old test binaries from {sys.argv[1]}")
PY
