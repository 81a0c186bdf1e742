"""The ingest pipeline: hash check → plugin → chunker → batched embed → store.

The CLI, the watcher and the tests all drive this one `Indexer`. It is the only
writer of an index; every batch is written in an order that lets the next run
repair a crash at any point (see `_flush`).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from tuirag.backends.embedder import Embedder
from tuirag.backends.store import FileRecord, NewChunk, Store, path_key
from tuirag.ingest import syncstate
from tuirag.ingest.chunker import CHUNKER_VERSION, Chunker
from tuirag.ingest.ignore import IgnoreRules, secret_in_text
from tuirag.ingest.parse import ParseFailed, parse_file
from tuirag.ingest.walk import link_problem, walk
from tuirag.paths import absolute, within
from tuirag.plugins.base import FormatPlugin
from tuirag.plugins.registry import Registry
from tuirag.types import Chunk, FileOutcome, OutcomeStatus, RecordStatus, Section

BATCH_CHUNKS = 256
BATCH_FILES = 64

Progress = Callable[[FileOutcome], None]


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> files not considered
    seconds: float = 0.0

    def count(self, status: OutcomeStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def chunks(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status == "indexed")

    @property
    def embedded(self) -> int:
        return sum(o.embedded for o in self.outcomes)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status in ("failed", "skipped")]


@dataclass
class _Pending:
    record: FileRecord  # status "ok", or "failed"/"skipped" with no chunks
    chunks: list[Chunk]


def file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def embed_input(chunk: Chunk) -> str:
    """What gets embedded: the heading path gives a chunk its context."""
    return f"{chunk.heading}\n{chunk.text}" if chunk.heading else chunk.text


class Indexer:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        registry: Registry,
        chunker: Chunker,
        rules: IgnoreRules,
        max_file_bytes: int,
        follow_symlinks: bool = False,
        parse: Callable[[FormatPlugin, Path], list[Section]] = parse_file,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.registry = registry
        self.chunker = chunker
        self.rules = rules
        self.max_file_bytes = max_file_bytes
        self.follow_symlinks = follow_symlinks
        self.parse = parse
        self._pending: list[_Pending] = []
        self._touched: list[FileRecord] = []  # unchanged content, new mtime: record only

    # ---- public entry points ------------------------------------------

    def sync(
        self,
        roots: Iterable[Path],
        progress: Progress | None = None,
        force: bool = False,
        on_plan: Callable[[int], None] | None = None,
        on_file: Callable[[Path], None] | None = None,
    ) -> IngestReport:
        """Make the index match the files under `roots`: add, update and remove."""
        started = time.monotonic()
        report = self.resync(roots, progress, force, on_plan, on_file)
        self._sweep_orphans()
        self.store.optimize()
        report.seconds = time.monotonic() - started
        syncstate.write(self.store.folder, report.skipped, report.seconds)
        return report

    def resync(
        self,
        roots: Iterable[Path],
        progress: Progress | None = None,
        force: bool = False,
        on_plan: Callable[[int], None] | None = None,
        on_file: Callable[[Path], None] | None = None,
    ) -> IngestReport:
        """`sync` without the index-wide housekeeping: the watcher's rescan of some folders.

        A root that is gone, or ignored by the rules, loses its files. `on_file` hears
        of each file as it is taken up; `progress` of outcomes, which come a batch at a time.
        """
        roots = [absolute(r) for r in roots]
        live = [
            r
            for r in roots
            if r.exists() and not (r.is_dir() and self.rules.reason(r, is_dir=True))
        ]
        found = walk(live, self.rules, self.follow_symlinks)
        report = IngestReport()
        for reason in found.skipped.values():
            report.skipped[reason] += 1
        records = self.store.file_records()
        on_disk = {str(p) for p in found.files}
        gone = [p for p in records if p not in on_disk and within(Path(p), roots)]
        if on_plan:
            on_plan(len(found.files) + len(gone))

        def steps() -> Iterator[FileOutcome]:
            for path in found.files:
                if on_file:
                    on_file(path)
                yield from self._consider(path, records.get(str(path)), force)
            yield from self._flush()
            # removals last, so a renamed file's vectors are still there to be reused
            yield from self.remove(gone)

        for outcome in steps():
            report.outcomes.append(outcome)
            if progress:
                progress(outcome)
        return report

    def index_paths(self, paths: Iterable[Path]) -> list[FileOutcome]:
        """Bring single paths up to date (the watcher's entry point): index or remove."""
        records = self.store.file_records()
        outcomes: list[FileOutcome] = []
        gone = []
        for path in paths:
            path = absolute(path)
            if (
                not path.is_file()
                or self.rules.reason(path, is_dir=False)
                or (
                    path.is_symlink() and link_problem(path, self.follow_symlinks, self.rules.roots)
                )
            ):
                if str(path) in records:
                    gone.append(str(path))
                continue
            outcomes.extend(self._consider(path, records.get(str(path)), force=False))
        outcomes.extend(self._flush())
        outcomes.extend(self.remove(gone))
        return outcomes

    def remove(self, paths: Iterable[str]) -> list[FileOutcome]:
        """Drop files from the index: records first, so a crash leaves only orphans."""
        paths = list(paths)
        if not paths:
            return []
        self.store.delete_files(paths)
        self.store.delete_chunks(paths)
        return [FileOutcome(path=p, status="removed") for p in paths]

    def forget(self, target: Path, keep: Iterable[Path] = ()) -> list[FileOutcome]:
        """Drop everything under `target` except what lies under a `keep` folder."""
        target = absolute(target)
        kept = [absolute(k) for k in keep]
        paths = [
            p
            for p in self.store.file_records()
            if within(Path(p), [target]) and not within(Path(p), kept)
        ]
        outcomes = self.remove(paths)
        self.store.optimize()
        return outcomes

    # ---- one file ------------------------------------------------------

    def parser_version(self, plugin_name: str) -> str:
        version = self.registry.versions().get(plugin_name, "?")
        chunking = f"{self.chunker.max_tokens}/{self.chunker.overlap}"
        return f"{plugin_name}:{version}/chunker{CHUNKER_VERSION}:{chunking}"

    def _consider(self, path: Path, record: FileRecord | None, force: bool) -> list[FileOutcome]:
        """Skip an unchanged file, or parse and queue it; flush when the batch is full."""
        try:
            st = path.stat()
        except OSError as exc:
            return [FileOutcome(str(path), "failed", reason=f"cannot stat: {exc.strerror}")]
        plugin = self.registry.for_path(path)
        if plugin is None:
            return [FileOutcome(str(path), "skipped", reason="no plugin for this file type")]
        version = self.parser_version(plugin.name)
        same_version = record is not None and record.parser_version == version
        if (
            not force
            and record is not None
            and same_version
            and record.size == st.st_size
            and record.mtime_ns == st.st_mtime_ns
        ):
            return [FileOutcome(str(path), "unchanged", chunks=record.chunks)]
        base = FileRecord(
            str(path), st.st_size, st.st_mtime_ns, "", plugin=plugin.name, parser_version=version
        )
        if st.st_size > self.max_file_bytes:
            return self._record_problem(
                base,
                "skipped",
                f"larger than the {self.max_file_bytes // 2**20} MB limit (index.max_file_mb)",
            )
        if st.st_size == 0:
            return self._record_problem(base, "skipped", "empty file")
        try:
            digest = file_hash(path)
        except OSError as exc:
            return self._record_problem(base, "failed", f"cannot read: {exc.strerror}")
        base = replace(base, file_hash=digest)
        if not force and record is not None and same_version and record.file_hash == digest:
            # touched but not changed: refresh the record with the next batch, embed nothing
            self._touched.append(replace(record, size=st.st_size, mtime_ns=st.st_mtime_ns))
            return [FileOutcome(str(path), "unchanged", chunks=record.chunks), *self._maybe_flush()]
        if (
            record is not None
            and record.status != "ok"
            and record.file_hash == digest
            and same_version
            and not force
        ):
            known_bad: OutcomeStatus = record.status
            return [FileOutcome(str(path), known_bad, reason=record.reason)]
        try:
            sections = self.parse(plugin, path)
        except ParseFailed as exc:
            return self._record_problem(base, "failed", str(exc))
        secret = secret_in_text("\n".join(s.text for s in sections))
        if secret:
            return self._record_problem(base, "skipped", secret)
        chunks = list(self.chunker.chunk(sections))
        if not chunks:
            return self._record_problem(
                base, "skipped", "no text found (scanned image or empty document?)"
            )
        warning = "; ".join(dict.fromkeys(s.warning for s in sections if s.warning))
        self._pending.append(_Pending(replace(base, reason=warning), chunks))
        return self._maybe_flush()

    def _record_problem(
        self, base: FileRecord, status: RecordStatus, reason: str
    ) -> list[FileOutcome]:
        """A file that yields no chunks: its record (and the removal of old chunks) joins
        the batch, so a folder of bad files costs no extra commits."""
        self._pending.append(_Pending(replace(base, status=status, reason=reason), []))
        return self._maybe_flush()

    def _maybe_flush(self) -> list[FileOutcome]:
        files = len(self._pending) + len(self._touched)
        if files >= BATCH_FILES or sum(len(p.chunks) for p in self._pending) >= BATCH_CHUNKS:
            return self._flush()
        return []

    # ---- batches --------------------------------------------------------

    def _flush(self) -> list[FileOutcome]:
        """Embed the pending files and write them as one batch (see Store.write_batch)."""
        pending, self._pending = self._pending, []
        touched, self._touched = self._touched, []
        if not pending:
            self.store.put_files(touched)
            return []
        inputs = [embed_input(c) for p in pending for c in p.chunks]
        hashes = [hashlib.blake2b(t.encode(), digest_size=16).hexdigest() for t in inputs]
        known = self.store.vectors_for(hashes)
        missing = sorted(
            {h: t for h, t in zip(hashes, inputs, strict=True) if h not in known}.items()
        )
        if missing:
            fresh = self.embedder.embed_documents([t for _, t in missing])
            known.update({h: v for (h, _), v in zip(missing, fresh, strict=True)})
        records: list[FileRecord] = []
        rows: list[NewChunk] = []
        outcomes: list[FileOutcome] = []
        i = 0
        new_hashes = {h for h, _ in missing}
        for item in pending:
            rec = replace(item.record, chunks=len(item.chunks))
            records.append(rec)
            embedded = 0
            for chunk in item.chunks:
                h = hashes[i]
                embedded += h in new_hashes
                new_hashes.discard(h)
                rows.append(NewChunk(rec, chunk, inputs[i], h, known[h]))
                i += 1
            status: OutcomeStatus = "indexed" if rec.status == "ok" else rec.status
            outcomes.append(
                FileOutcome(rec.path, status, len(item.chunks), embedded, reason=rec.reason)
            )
        self.store.write_batch(records, rows, touched)
        return outcomes

    def _sweep_orphans(self) -> None:
        """Chunks whose file has no record (a crash mid-batch, or forget) are removed."""
        records = {path_key(p) for p in self.store.file_records()}
        orphans = self.store.chunk_path_keys() - records
        if orphans:
            self.store.delete_chunk_keys(orphans)
