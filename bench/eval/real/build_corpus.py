#!/usr/bin/env python3
"""Build the real-document evaluation corpus from Debian-packaged documentation.

Nothing here was written by tuirag's authors: PDF manuals (R, from r-doc-pdf),
HTML reference pages (PostgreSQL 15, postgresql-doc-15), a Chinese HTML book
(the Debian New Maintainers' Guide, maint-guide-zh-cn) and tables (tzdata's
`.tab` files with `#` comment lines, distro-info-data's CSVs). The packages are
fetched with `apt-get download` (no root, nothing installed system-wide) and
unpacked with `dpkg-deb`; only the files listed below are copied into the
corpus. The repository keeps this script and the questions, never the documents
(their licences: GPL for R's manuals and the guide, the PostgreSQL licence,
public domain for tzdata, ISC for distro-info-data).

    python bench/eval/real/build_corpus.py [--out bench/eval/real/corpus]
    tuirag eval bench/eval/real/questions.jsonl --corpus bench/eval/real/corpus
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PG = "usr/share/doc/postgresql-doc-15/html"
MG = "usr/share/doc/maint-guide-zh-cn/html"

# package -> [(path inside the package, path in the corpus)]
FILES: dict[str, list[tuple[str, str]]] = {
    "r-doc-pdf": [
        (f"usr/share/doc/r-doc-pdf/manual/{name}.pdf", f"pdf/{name}.pdf")
        for name in ("R-FAQ", "R-data", "R-admin")
    ],
    "postgresql-doc-15": [
        (f"{PG}/{name}.html", f"html/postgresql/{name}.html")
        for name in (
            "limits",
            "runtime-config-resource",
            "datatype-numeric",
            "sql-vacuum",
            "routine-vacuuming",
            "indexes-types",
            "wal-configuration",
            "auth-pg-hba-conf",
            "acronyms",
            "datatype-json",
            "sql-createindex",
            "app-pgdump",
        )
    ],
    "maint-guide-zh-cn": [
        (f"{MG}/{name}.zh-cn.html", f"zh/maint-guide/{name}.zh-cn.html")
        for name in ("start", "first", "build", "checkit", "upload", "update")
    ],
    "tzdata": [
        ("usr/share/zoneinfo/zone1970.tab", "tables/zone1970.tab"),
        ("usr/share/zoneinfo/iso3166.tab", "tables/iso3166.tab"),
    ],
    "distro-info-data": [
        ("usr/share/distro-info/debian.csv", "tables/debian.csv"),
        ("usr/share/distro-info/ubuntu.csv", "tables/ubuntu.csv"),
    ],
}


def fetch(package: str, cache: Path) -> Path:
    """The unpacked package under `cache`, downloaded once."""
    root = cache / package
    if root.is_dir():
        return root
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", package], cwd=debs, check=True)
    deb = max(debs.glob(f"{package}_*.deb"), key=lambda p: p.stat().st_mtime)
    tmp = cache / f"{package}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)
    tmp.replace(root)
    print(f"{deb.name}", file=sys.stderr)
    return root


def copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not source.exists() and source.with_name(source.name + ".gz").exists():
        with gzip.open(source.with_name(source.name + ".gz")) as fh:
            target.write_bytes(fh.read())
    else:
        shutil.copyfile(source, target)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "corpus")
    ap.add_argument("--cache", type=Path, default=HERE / ".cache", help="downloaded packages")
    args = ap.parse_args()
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        print("needs a Debian/Ubuntu machine (apt-get and dpkg-deb)", file=sys.stderr)
        return 2
    count = 0
    for package, files in FILES.items():
        root = fetch(package, args.cache)
        for inner, outer in files:
            copy(root / inner, args.out / outer)
            count += 1
    print(f"{count} files in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
