"""Office and web documents: HTML, DOCX, PPTX, EML and reStructuredText.

Each is cut at its headings, and every section keeps its heading path
("Install > Linux") so a chunk still says where it sits. Tables inside them
become Markdown rows under their header row, like spreadsheets.

Why not unstructured's partitioners: in unstructured 0.27 they classify text
with a spaCy model that they download from the internet on first use, which
fails offline and breaks "nothing leaves the machine". python-docx,
python-pptx, lxml and the standard library's email parser read these formats
fully offline (and faster).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from tuirag.formats.common import table_sections
from tuirag.formats.encoding import read_decoded, with_note
from tuirag.formats.headings import breadcrumb
from tuirag.plugins.base import FormatPlugin, PluginError
from tuirag.types import Section


class _Outline:
    """Collects paragraphs under the current heading path and emits sections."""

    def __init__(self, page: int | None = None) -> None:
        self.trail: list[tuple[int, str]] = []
        self.paragraphs: list[str] = []
        self.page = page

    @property
    def heading(self) -> str:
        return breadcrumb(title for _, title in self.trail)

    def add(self, text: str) -> None:
        if text.strip():
            self.paragraphs.append(text.strip())

    def flush(self) -> Iterator[Section]:
        if self.paragraphs:
            body = "\n\n".join(self.paragraphs)
            self.paragraphs = []
            yield Section(text=body, kind="prose", page=self.page, heading=self.heading)

    def open(self, level: int, title: str) -> Iterator[Section]:
        yield from self.flush()
        title = " ".join(title.split())
        if title:
            self.trail = [(lvl, t) for lvl, t in self.trail if lvl < level] + [(level, title)]

    def table(self, rows: list[list[str]], title: str = "") -> Iterator[Section]:
        """The table's rows under its header; `title` (its caption) repeats in every chunk."""
        yield from self.flush()
        yield from table_sections(
            [(None, None, r) for r in rows], heading=self.heading, title=title, page=self.page
        )


# ---- HTML ----------------------------------------------------------------------

_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "nav"}
_BLOCK = {
    "p", "div", "li", "pre", "blockquote", "section", "article", "main", "header", "footer",
    "aside", "dd", "dt", "figcaption", "address", "ul", "ol", "dl", "form", "fieldset", "body",
}  # fmt: skip
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Page furniture, by ARIA role or by the class/id names sites and doc generators give it
# (DocBook navheader/navfooter/toc, Sphinx sphinxsidebar/related, MkDocs md-header…)
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu"}
_CHROME_NAME = re.compile(
    r"(^|[\s_-])(\w*nav\w*|\w*sidebar|menu\w*|breadcrumbs?|footer|header|masthead|toc|"
    r"related|skip-?link|cookies?\w*|banner)([\s_-]|$)",
    re.IGNORECASE,
)
# a list or table whose text is mostly short links (3+) is navigation ("Prev Up Home Next")
_LINK_SHARE = 0.7
_NAV_LINK_CHARS = 25
_CAPTION_MAX_CHARS = 200
# A term whose definition runs longer than this is a section of its own ("shared_buffers"
# in a reference page), one level below any <h6>; short glossary entries stay paragraphs.
_TERM_HEADING_CHARS = 400
_TERM_LEVEL = 7
_ADMONITION = re.compile(
    r"(^|\s)(note|tip|warning|caution|important|admonition|hint|attention|danger)(\s|$)",
    re.IGNORECASE,
)


def _is_chrome(el: Any, tag: str) -> bool:
    """Navigation, banners, sidebars and footers: repeated on every page, never content."""
    if (el.get("role") or "").lower() in _CHROME_ROLES:
        return True
    if tag in ("header", "footer", "aside"):
        return not any(a.tag in ("main", "article") for a in el.iterancestors())
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    if names.strip() and tag not in _HEADINGS and _CHROME_NAME.search(names):
        return not el.xpath(".//h2|.//h3|.//h4|.//h5|.//h6")  # a "section-header" holds content
    if tag in ("ul", "ol", "table"):
        links = [" ".join(a.text_content().split()) for a in el.iter("a")]
        if len(links) >= 3:
            linked = sum(len(t) for t in links)
            text = len(" ".join(el.text_content().split()))
            return linked >= _LINK_SHARE * text and linked / len(links) <= _NAV_LINK_CHARS
    return False


def _holds_more_than_headings(el: Any) -> bool:
    """Whether an element that opened a heading also holds the text under it.

    DocBook wraps a section's heading alone in a "titlepage" div: leaving that div
    must not end the section; leaving the section's own div must.
    """
    heads = el.xpath(".//h1|.//h2|.//h3|.//h4|.//h5|.//h6|.//dt")
    heading_chars = sum(len(" ".join(h.text_content().split())) for h in heads)
    return len(" ".join(el.text_content().split())) > heading_chars + 20


def _long_definition(term: Any) -> bool:
    """A <dt> followed by a long <dd> (a reference entry: a parameter, a function)."""
    definition = term.getnext()
    return (
        definition is not None
        and definition.tag == "dd"
        and len(definition.text_content()) > _TERM_HEADING_CHARS
    )


def _main_content(root: Any) -> Any:
    """The page's <main> (or role=main, or its only <article>), else its <body>."""
    for path in ("//main", "//*[@role='main']"):
        found = root.xpath(path)
        if len(found) == 1:
            return found[0]
    articles = root.xpath("//article")
    if len(articles) == 1:
        return articles[0]
    body = root.find(".//body")
    return body if body is not None else root


def html_sections(data: bytes | str) -> Iterator[Section]:
    """Main content cut at headings; navigation left out; tables under their caption."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        raise PluginError(f"not readable HTML ({exc})") from None
    outline = _Outline()
    buffer: list[str] = []

    def end_paragraph() -> None:
        text = re.sub(r"[ \t\r\f\v\xa0]+", " ", "".join(buffer))
        if text.strip() == "-":  # a list item's bullet waits for its first paragraph
            return
        outline.add("\n".join(line.strip() for line in text.split("\n")))
        buffer.clear()

    boxed: list[int] = []  # heading levels inside admonitions (Note, Tip) nest below these

    def walk(el: Any) -> Iterator[Section]:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in _SKIP or not tag or _is_chrome(el, tag):
            return
        if tag in _HEADINGS or (tag == "dt" and _long_definition(el)):
            end_paragraph()
            level = _HEADINGS.get(tag, _TERM_LEVEL)
            if boxed:  # "Note" heads its box, inside the section it sits in
                level = boxed[-1] + 1
            yield from outline.open(level, el.text_content())
            return
        if tag == "table":
            end_paragraph()
            caption = el.find("caption")
            title = " ".join(caption.text_content().split()) if caption is not None else ""
            if not title and outline.paragraphs:
                last = " ".join(outline.paragraphs[-1].split())
                title = last if len(last) <= _CAPTION_MAX_CHARS else ""
            rows = [[cell.text_content() for cell in tr.xpath("./th|./td")] for tr in el.iter("tr")]
            yield from outline.table(rows, title)
            return
        if tag in _BLOCK and not (tag == "dd" and buffer):
            end_paragraph()
            if tag == "li":
                buffer.append("- ")
        if tag == "br":
            buffer.append("\n")
        before = list(outline.trail)
        box = tag in _BLOCK and bool(_ADMONITION.search(el.get("class") or ""))
        if box:
            boxed.append(max((lvl for lvl, _ in before), default=0))
        buffer.append(el.text or "")
        for child in el:
            yield from walk(child)
            buffer.append(child.tail or "")
        if box:
            boxed.pop()
        if tag == "dt":  # a term stays with its definition: one paragraph, not two
            buffer.append("\n")
        elif tag in _BLOCK:
            end_paragraph()
            if outline.trail != before and _holds_more_than_headings(el):
                # a section (or a Note box) ended: its heading ends with it
                yield from outline.flush()
                outline.trail = before

    title = root.findtext(".//title")
    if title and title.strip():
        yield from outline.open(0, title)
    yield from walk(_main_content(root))
    end_paragraph()
    yield from outline.flush()


# ---- DOCX ------------------------------------------------------------------------


def docx_sections(path: Path) -> Iterator[Section]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError):
        raise PluginError(_damaged("DOCX", path)) from None
    outline = _Outline()
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            table = Table(element, document)
            yield from outline.table([[cell.text for cell in row.cells] for row in table.rows])
        elif tag == "p":
            paragraph = Paragraph(element, document)
            style = paragraph.style.name if paragraph.style is not None else ""
            level = _heading_level(style)
            if level is not None:
                yield from outline.open(level, paragraph.text)
            elif style.startswith("List"):
                outline.add(f"- {paragraph.text}")
            else:
                outline.add(paragraph.text)
    yield from outline.flush()


def _heading_level(style: str) -> int | None:
    if style == "Title":
        return 0
    match = re.fullmatch(r"Heading (\d)", style)
    return int(match.group(1)) if match else None


def _damaged(kind: str, path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE container: how Office stores encrypted files
        return f"not a readable {kind}: it is password-protected (or an old binary Office file)"
    return f"not a readable {kind}: the file is damaged or truncated"


# ---- PPTX ------------------------------------------------------------------------


def pptx_sections(path: Path) -> Iterator[Section]:
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        deck = Presentation(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError):
        raise PluginError(_damaged("PPTX", path)) from None
    for number, slide in enumerate(deck.slides, start=1):
        outline = _Outline(page=number)
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text if title_shape is not None else ""
        yield from outline.open(1, title or f"Slide {number}")
        for shape in slide.shapes:
            if shape == title_shape:
                continue
            if getattr(shape, "has_table", False) and shape.has_table:
                rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
                yield from outline.table(rows)
            elif shape.has_text_frame:
                outline.add(shape.text_frame.text)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                outline.add(f"Speaker notes: {notes.text}")
        yield from outline.flush()


# ---- EML -------------------------------------------------------------------------


def eml_sections(path: Path) -> Iterator[Section]:
    with path.open("rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    if not any(message.get(h) for h in ("From", "To", "Subject", "Date", "Message-ID")):
        raise PluginError("not an email message (no From/To/Subject/Date headers)")
    subject = str(message.get("Subject", "")).strip() or "(no subject)"
    lines = [f"{h}: {message[h]}" for h in ("Subject", "From", "To", "Cc", "Date") if message[h]]
    attachments = [part.get_filename() for part in message.iter_attachments()]
    if attachments:
        lines.append("Attachments: " + ", ".join(a or "(unnamed)" for a in attachments))
    yield Section(text="\n".join(lines), kind="prose", heading=subject)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return
    content = body.get_content()
    if body.get_content_subtype() == "html":
        for section in html_sections(content or "<p></p>"):
            yield replace(section, heading=subject)
    elif content.strip():
        yield Section(text=content.strip(), kind="prose", heading=subject)


# ---- reStructuredText ------------------------------------------------------------

_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")


def rst_sections(text: str) -> Iterator[Section]:
    """Cut at section titles (a line underlined, optionally overlined, by punctuation)."""
    lines = text.split("\n")
    styles: list[tuple[str, bool]] = []  # adornment styles in order of first use = levels
    trail: list[tuple[int, str]] = []
    start, i = 0, 0

    def emit(end: int) -> Iterator[Section]:
        body = "\n".join(lines[start:end]).strip("\n")
        if body.strip():
            heading = breadcrumb(t for _, t in trail)
            yield Section(text=body, kind="prose", start_line=start + 1, heading=heading)

    while i < len(lines) - 1:
        title, under = lines[i], lines[i + 1]
        match = _ADORNMENT.match(under)
        if (
            title.strip()
            and not _ADORNMENT.match(title)
            and match
            and len(under.rstrip()) >= len(title.rstrip())
        ):
            over = i > 0 and lines[i - 1].strip() == under.strip()
            first = i - 1 if over else i
            yield from emit(first)
            style = (match.group(1), over)
            if style not in styles:
                styles.append(style)
            level = styles.index(style)
            trail = [(lvl, t) for lvl, t in trail if lvl < level] + [(level, title.strip())]
            start = first
            i += 2
            continue
        i += 1
    yield from emit(len(lines))


class DocumentsPlugin(FormatPlugin):
    name = "documents"
    extensions = (".html", ".htm", ".xhtml", ".docx", ".pptx", ".eml", ".rst", ".rest")
    priority = 20
    version = "2"  # 2: HTML main content only, captions, <dt> sections; any encoding

    def load(self, path: Path) -> Iterable[Section]:
        suffix = path.suffix.lower()
        if suffix == ".docx":
            return docx_sections(path)
        if suffix == ".pptx":
            return pptx_sections(path)
        if suffix == ".eml":
            return eml_sections(path)
        if suffix in (".rst", ".rest"):
            decoded = read_decoded(path)
            return with_note(rst_sections(decoded.text), decoded.note)
        return html_sections(path.read_bytes())
