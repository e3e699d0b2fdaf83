"""Independent checks of DOCX files written by the toolkit (read back from the saved file)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def cjk_runs_without_east_asian_font(path: Path) -> list[str]:
    """Texts of runs holding CJK text whose w:rPr/w:rFonts lacks w:eastAsia (any part)."""
    bad = []
    with zipfile.ZipFile(path) as archive:
        parts = [
            n
            for n in archive.namelist()
            if re.match(r"word/(document|header\d*|footer\d*)\.xml$", n)
        ]
        for name in parts:
            root = etree.fromstring(archive.read(name))
            for run in root.iter(f"{{{W}}}r"):
                text = "".join(t.text or "" for t in run.iter(f"{{{W}}}t"))
                if not CJK.search(text):
                    continue
                fonts = run.find("w:rPr/w:rFonts", NS)
                if (
                    fonts is None
                    or not fonts.get(f"{{{W}}}eastAsia")
                    or fonts.get(f"{{{W}}}eastAsiaTheme")
                ):
                    bad.append(text)
    return bad


def style_east_asian_fonts(path: Path) -> dict[str, str | None]:
    """East Asian font of the document defaults and of the Normal/Title/Heading styles."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("word/styles.xml"))
    out = {}
    defaults = root.find("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS)
    out["defaults"] = None if defaults is None else defaults.get(f"{{{W}}}eastAsia")
    for style in root.findall("w:style", NS):
        name = style.find("w:name", NS)
        if name is None or name.get(f"{{{W}}}val") not in (
            "Normal",
            "Title",
            "heading 1",
            "heading 2",
            "heading 3",
        ):
            continue
        fonts = style.find("w:rPr/w:rFonts", NS)
        theme = fonts is not None and fonts.get(f"{{{W}}}eastAsiaTheme")
        out[name.get(f"{{{W}}}val")] = (
            None if fonts is None or theme else fonts.get(f"{{{W}}}eastAsia")
        )
    return out


def document_text(path: Path) -> str:
    """All paragraph text of the body (tables included), one paragraph per line."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    lines = []
    for paragraph in root.iter(f"{{{W}}}p"):
        lines.append("".join(t.text or "" for t in paragraph.iter(f"{{{W}}}t")))
    return "\n".join(lines)
