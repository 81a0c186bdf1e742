"""Small value types shared by ingestion, retrieval and the UIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SectionKind = Literal["prose", "heading", "table", "code"]
HEADING_SEPARATOR = " > "  # between the titles of a heading path ("Install > Linux")
RecordStatus = Literal["ok", "failed", "skipped"]  # a file record in the index
OutcomeStatus = Literal["indexed", "unchanged", "failed", "skipped", "removed"]  # one ingest pass


@dataclass(frozen=True, slots=True)
class Section:
    """A piece of a file as a format plugin sees it, with where it came from.

    `start_line` is the 1-based line of the section's first character in the file;
    the chunker derives each chunk's line range from it. `heading` is the heading
    path ("Install > Linux") the text sits under; `header` is text every chunk of
    this section must repeat (a table's header row, a code symbol's signature line).
    `warning` is something the user should know although the file was indexed
    (e.g. scanned pages skipped); the ingest summary and `status` show it.
    """

    text: str
    kind: SectionKind = "prose"
    page: int | None = None
    start_line: int | None = None
    heading: str = ""
    header: str = ""
    split: bool = True  # False: the plugin already sized it (table row groups)
    meta: dict[str, Any] = field(default_factory=dict)
    warning: str = ""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A unit that gets one vector: text plus its locator in the file."""

    text: str
    ordinal: int
    kind: SectionKind = "prose"
    page: int | None = None
    start_line: int | None = None
    end_line: int | None = None
    heading: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk as search results and citations show it."""

    path: str
    text: str
    score: float
    chunk_id: str
    kind: str = "prose"
    page: int | None = None
    start_line: int | None = None
    end_line: int | None = None
    heading: str = ""
    plugin: str = ""
    file_hash: str = ""
    vector_score: float | None = None

    @property
    def locator(self) -> str:
        """Human-readable position: 'p. 3', 'L10-24', 'Sheet1!rows 2-40'."""
        if self.kind == "table" and self.start_line is not None:
            end = self.end_line if self.end_line is not None else self.start_line
            rows = f"rows {self.start_line}-{end}" if end != self.start_line else f"row {end}"
            return f"{self.heading}!{rows}" if self.heading else rows
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.start_line is not None:
            end = self.end_line if self.end_line is not None else self.start_line
            parts.append(f"L{self.start_line}-{end}" if end != self.start_line else f"L{end}")
        if self.heading and not parts:
            parts.append(self.heading)
        return ", ".join(parts)

    @property
    def section(self) -> str:
        """The heading path when it says more than the locator (which may be the heading)."""
        return self.heading if self.heading != self.locator else ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "text": self.text,
            "score": round(self.score, 6),
            "chunk_id": self.chunk_id,
            "kind": self.kind,
        }
        for key in ("page", "start_line", "end_line"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.heading:
            data["heading"] = self.heading
            data["heading_path"] = self.heading.split(HEADING_SEPARATOR)
        return data


@dataclass(slots=True)
class FileOutcome:
    """What happened to one file in one ingest pass."""

    path: str
    status: OutcomeStatus
    chunks: int = 0
    embedded: int = 0  # chunks that needed a new vector (others were reused)
    reason: str = ""
