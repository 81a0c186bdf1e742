"""False positives and speed of the secret scan on real text nobody here wrote.

Scans every UTF-8 text file under the given folders (default: /usr/share/doc and the
Python standard library) with tuirag's rules, and prints how many files each rule
would keep out of the index, with examples, and the scan speed. Quote the figures in
docs/SECURITY.md with the machine and date.

    python bench/secret_scan.py [FOLDER ...]
"""

from __future__ import annotations

import collections
import os
import sys
import sysconfig
import time

from tuirag.credentials import rules


def texts(roots: list[str]):
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                try:
                    if os.path.islink(path) or os.path.getsize(path) > 2_000_000:
                        continue
                    with open(path, "rb") as fh:
                        data = fh.read()
                    if b"\x00" in data[:4096]:
                        continue
                    yield path, data.decode("utf-8")
                except (OSError, UnicodeDecodeError):
                    continue


def main() -> None:
    roots = sys.argv[1:] or ["/usr/share/doc", sysconfig.get_paths()["stdlib"]]
    flagged: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    files = size = 0
    seconds = 0.0
    for path, text in texts(roots):
        files += 1
        size += len(text)
        started = time.perf_counter()
        for rule in rules():
            match = rule.find(text)
            if match:
                flagged[rule.what].append((path, match.group()[:60]))
                break
        seconds += time.perf_counter() - started
    total = sum(len(v) for v in flagged.values())
    print(f"{files} files, {size / 2**20:.1f} MB of text under {', '.join(roots)}")
    print(f"flagged {total} files ({100 * total / max(files, 1):.2f} %); scan {seconds:.1f} s")
    print(f"({size / 2**20 / max(seconds, 1e-9):.1f} MB/s)")
    for what, hits in sorted(flagged.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(hits):4d} {what}: " + "; ".join(f"{p} ({m!r})" for p, m in hits[:3]))


if __name__ == "__main__":
    main()
