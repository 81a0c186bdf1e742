"""The ingest pipeline: hash check → plugin → chunker → store, then embed → store.

Keyword first, vectors after: a batch of parsed files is written at once, with the
vectors already stored for the same texts (edits and renames) and without the rest,
so it is full-text searchable in seconds; `embed_pending` then fills in the missing
vectors, newest files first. The vector-less rows are the work list, so a killed
run resumes where it stopped. The CLI, the watcher and the tests all drive this one
`Indexer`. It is the only writer of an index; every batch is written in an order
that lets the next run repair a crash at any point (see `_flush`).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tuirag.backends.diskspace import space_is_low
from tuirag.backends.embedder import Embedder
from tuirag.backends.lock import writer_pid
from tuirag.backends.store import FileRecord, NewChunk, Store, path_key
from tuirag.credentials import secret_in_text
from tuirag.ingest import summary
from tuirag.ingest.chunker import CHUNKER_VERSION, Chunker
from tuirag.ingest.ignore import IgnoreRules
from tuirag.ingest.parse import ParseFailed, parse_file
from tuirag.ingest.walk import link_problem, walk
from tuirag.paths import absolute, within
from tuirag.plugins.base import FormatPlugin
from tuirag.plugins.registry import Registry
from tuirag.types import Chunk, FileOutcome, OutcomeStatus, RecordStatus, Section

BATCH_CHUNKS = 256
BATCH_FILES = 64
NO_PLUGIN = "no plugin for this file type"
EMBED_BATCH = 128  # chunks embedded and written per commit while filling in vectors
EMBED_SLICE = 32  # chunks embedded between two looks at stop_requested

Progress = Callable[[FileOutcome], None]
EmbedProgress = Callable[[int, int], None]  # (embedded so far, chunks in the index)


class Interrupted(Exception):
    """The indexer was asked to stop; nothing of the batch in hand was written."""


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> files not considered
    seconds: float = 0.0
    vectors: int = 0  # chunks given a vector by this run (resumed ones included)

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


def _utf8_name(path: Path) -> bool:
    """False for a name with bytes that are not UTF-8 (Python keeps them as surrogates)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def embed_input(heading: str, text: str) -> str:
    """What gets embedded, in one place: what the chunk says (its heading path and
    text), never where it sits (file path, line numbers), so a rename or a line
    inserted above reuses the stored vector."""
    return f"{heading}\n{text}" if heading else text


def text_hash(embedded_text: str) -> str:
    return hashlib.blake2b(embedded_text.encode(), digest_size=16).hexdigest()


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
        # asked between embedding slices: a stop (SIGTERM) need not wait for a whole batch
        self.stop_requested: Callable[[], bool] = lambda: False
        self._pending: list[_Pending] = []
        self._touched: list[FileRecord] = []  # unchanged content, new mtime: record only
        self._summary = summary.read(store.folder) or summary.Summary()
        self._summary_at = 0.0  # when summary.json was last written
        self._progress: summary.Progress | None = None

    # ---- public entry points ------------------------------------------

    def sync(
        self,
        roots: Iterable[Path],
        progress: Progress | None = None,
        force: bool = False,
        on_plan: Callable[[int], None] | None = None,
        on_file: Callable[[Path], None] | None = None,
        embed: bool = True,
        on_embed: EmbedProgress | None = None,
    ) -> IngestReport:
        """Make the index match the files under `roots`: add, update and remove.

        With `embed`, then compute every missing vector; the background indexer
        passes False and fills them in between events instead."""
        started = time.monotonic()
        report = self.resync(roots, progress, force, on_plan, on_file)
        self._sweep_orphans()
        if any(o.status != "unchanged" for o in report.outcomes) or not self.store.has_fts():
            self.store.optimize()  # the text index first: keyword search before any vector
        self._summary.not_considered = dict(report.skipped)
        self._summary.unsupported = sum(
            1 for o in report.outcomes if o.status == "skipped" and o.reason == NO_PLUGIN
        )
        self.write_summary()
        if embed:
            report.vectors = self.embed_pending(on_embed)
            if report.vectors:
                self.store.optimize()
        report.seconds = time.monotonic() - started
        self.write_summary()
        return report

    def embed_pending(
        self,
        progress: EmbedProgress | None = None,
        max_batches: int | None = None,
    ) -> int:
        """Compute the vectors still missing, newest files first, a commit per batch.

        Returns how many chunks got a vector. Safe to kill at any point: a batch is
        one commit, and what is left stays vector-less for the next call.
        """
        done = batches = 0
        total = self.store.count()
        since = time.time()
        if waiting := self.store.count_pending():
            pid = writer_pid()
            self._progress = summary.Progress(pid, "embedding", total - waiting, total, since)
            self.write_summary(throttle=max_batches is not None)
        # the order is read once: within this call only its own commits change the table
        order = self.store.pending_order() if waiting else []
        while max_batches is None or batches < max_batches:
            pending = self.store.pending_chunks(order[:EMBED_BATCH])
            if not pending:
                break
            del order[:EMBED_BATCH]
            inputs = [embed_input(p.heading, p.text) for p in pending]
            known = self.store.vectors_for([p.text_hash for p in pending])
            missing = {p.text_hash: t for p, t in zip(pending, inputs, strict=True)}
            missing = {h: t for h, t in missing.items() if h not in known}
            known.update(self._embed_stoppable(missing))
            vectors = np.stack([known[p.text_hash] for p in pending])
            self.store.set_vectors([p.chunk_id for p in pending], vectors)
            done += len(pending)
            batches += 1
            embedded = total - self.store.count_pending()
            self._progress = summary.Progress(writer_pid(), "embedding", embedded, total, since)
            self.write_summary(throttle=True)
            if progress:
                progress(embedded, total)
        self._progress = None
        if done:
            self.write_summary()
        return done

    def _embed_stoppable(self, texts: dict[str, str]) -> dict[str, np.ndarray]:
        """Vectors for {hash: text}, a slice at a time, asking stop_requested between
        slices: a stop (SIGTERM) need not wait for a whole batch, and raises Interrupted
        before this batch writes anything (earlier batches are committed already)."""
        items = list(texts.items())
        vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(items), EMBED_SLICE):
            if self.stop_requested():
                raise Interrupted
            part = items[start : start + EMBED_SLICE]
            fresh = self.embedder.embed_documents([t for _, t in part])
            vectors.update({h: v for (h, _), v in zip(part, fresh, strict=True)})
        return vectors

    def write_summary(self, changed: bool = False, throttle: bool = False) -> None:
        """Rewrite summary.json for `status` (at most once a second with `throttle`)."""
        now = time.time()
        if changed:
            self._summary.last_change = now
        if throttle and now - self._summary_at < 1.0:
            return
        self._summary.embedder = self.embedder.label
        self._summary.progress = self._progress
        summary.write(self.store.folder, summary.collect(self.store, self._summary))
        self._summary_at = now

    def resync(
        self,
        roots: Iterable[Path],
        progress: Progress | None = None,
        force: bool = False,
        on_plan: Callable[[int], None] | None = None,
        on_file: Callable[[Path], None] | None = None,
    ) -> IngestReport:
        """`sync` without the index-wide housekeeping: the watcher's rescan of some folders.

        A root ignored by the rules, or a missing subfolder, loses its files. A missing
        watched root keeps them: an unmounted disk or a share that is away must not
        cost a re-embed of everything when it is back (files deleted one by one still
        leave by their own events). `on_file` hears
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
        away = [r for r in roots if not r.exists() and r in self.rules.roots]
        gone = [
            p
            for p in records
            if p not in on_disk and within(Path(p), roots) and not within(Path(p), away)
        ]
        total = len(found.files) + len(gone)
        if on_plan:
            on_plan(total)
        since = time.time()

        def steps() -> Iterator[FileOutcome]:
            for n, path in enumerate(found.files):
                if on_file:
                    on_file(path)
                self._progress = summary.Progress(writer_pid(), "parsing", n, total, since)
                self.write_summary(throttle=True)
                yield from self._consider(path, records.get(str(path)), force)
            yield from self._flush()
            # removals last, so a renamed file's vectors are still there to be reused
            yield from self.remove(gone)

        try:
            for outcome in steps():
                report.outcomes.append(outcome)
                if progress:
                    progress(outcome)
        finally:
            self._progress = None
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
        if outcomes:
            self.write_summary()
        return outcomes

    def remove(self, paths: Iterable[str]) -> list[FileOutcome]:
        """Drop files from the index: records first, so a crash leaves only orphans."""
        paths = list(paths)
        if not paths:
            return []
        self.store.delete_files(paths)
        self.store.delete_chunks(paths)
        self.write_summary(changed=True, throttle=True)
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
        self.write_summary()
        return outcomes

    # ---- one file ------------------------------------------------------

    def parser_version(self, plugin_name: str) -> str:
        version = self.registry.versions().get(plugin_name, "?")
        chunking = f"{self.chunker.max_tokens}/{self.chunker.overlap}"
        return f"{plugin_name}:{version}/chunker{CHUNKER_VERSION}:{chunking}"

    def _consider(self, path: Path, record: FileRecord | None, force: bool) -> list[FileOutcome]:
        """Skip an unchanged file, or parse and queue it; flush when the batch is full."""
        if not _utf8_name(path):
            # the index stores names as UTF-8; one such file must not block the rest
            reason = "file name is not valid UTF-8: rename it (e.g. `convmv -f latin1 -t utf8`)"
            return [FileOutcome(str(path), "skipped", reason=reason)]
        try:
            st = path.stat()
        except OSError as exc:
            return [FileOutcome(str(path), "failed", reason=f"cannot stat: {exc.strerror}")]
        plugin = self.registry.for_path(path)
        if plugin is None:
            return [FileOutcome(str(path), "skipped", reason=NO_PLUGIN)]
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
        if (
            files >= BATCH_FILES
            or sum(len(p.chunks) for p in self._pending) >= BATCH_CHUNKS
            or space_is_low(self.store.folder)  # a full disk then loses one file's work
        ):
            return self._flush()
        return []

    # ---- batches --------------------------------------------------------

    def _flush(self) -> list[FileOutcome]:
        """Write the pending files, with the vectors already stored for their texts.

        Chunks whose text has no stored vector are written without one (full-text
        searchable at once); `embed_pending` fills them in. Order: drop their file
        records, drop their old chunks, add the new chunks, write the new records.
        A crash anywhere leaves files without a record, which the next run re-indexes
        (deleting any partial chunks first).
        """
        pending, self._pending = self._pending, []
        touched, self._touched = self._touched, []
        if not pending:
            self.store.put_files(touched)
            return []
        inputs = [embed_input(c.heading, c.text) for p in pending for c in p.chunks]
        hashes = [text_hash(t) for t in inputs]
        known = self.store.vectors_for(hashes)
        records: list[FileRecord] = []
        rows: list[NewChunk] = []
        outcomes: list[FileOutcome] = []
        i = 0
        for item in pending:
            rec = replace(item.record, chunks=len(item.chunks))
            records.append(rec)
            new = set()
            for chunk in item.chunks:
                h = hashes[i]
                vector = known.get(h)
                if vector is None:
                    new.add(h)
                rows.append(NewChunk(rec, chunk, inputs[i], h, vector))
                i += 1
            status: OutcomeStatus = "indexed" if rec.status == "ok" else rec.status
            outcomes.append(
                FileOutcome(rec.path, status, len(item.chunks), len(new), reason=rec.reason)
            )
        self.store.write_batch(records, rows, touched)
        self.write_summary(changed=True, throttle=True)
        return outcomes

    def _sweep_orphans(self) -> None:
        """Chunks whose file has no record (a crash mid-batch, or forget) are removed.

        Only when the chunk count says there are some: the usual no-op sync then
        reads no chunk rows at all, whatever the size of the index.
        """
        records = self.store.file_records()
        if self.store.count() == sum(r.chunks for r in records.values() if r.status == "ok"):
            return
        keys = {path_key(p) for p in records}
        orphans = self.store.chunk_path_keys() - keys
        if orphans:
            self.store.delete_chunk_keys(orphans)
