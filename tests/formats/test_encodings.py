"""Text files saved in legacy encodings are indexed and found; binary ones are refused once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuirag.cli.main import main
from tuirag.formats.encoding import decode
from tuirag.plugins.base import PluginError

# (file name, encoding, text, a query that must find it)
SAMPLES = [
    (
        "gbk.txt",
        "gbk",
        "本手册介绍路由器的安装步骤。首先把天线拧紧，然后连接电源适配器。"
        "如果指示灯持续闪烁红色，请按住复位键十秒钟。保修期为两年，期间可以免费更换损坏的部件。",
        "复位键",
    ),
    (
        "gb18030.txt",
        "gb18030",
        "交换机的固件升级需要大约五分钟，升级期间请勿断电。升级完成后设备会自动重启，"
        "配置文件保持不变。价格为九十九欧元（€），含增值税。",
        "固件升级",
    ),
    (
        "big5.txt",
        "big5",
        "本手冊介紹無線基地台的安裝方式。請先將天線鎖緊，再連接電源變壓器。"
        "若指示燈持續閃爍紅色，請按住重設按鈕十秒鐘。保固期間為三年。",
        "重設按鈕",
    ),
    (
        "shift_jis.txt",
        "shift_jis",
        "このマニュアルではルーターの設置手順を説明します。まずアンテナを締め、"
        "次に電源アダプターを接続してください。ランプが赤く点滅し続ける場合は、"
        "リセットボタンを十秒間押してください。",
        "リセットボタン",
    ),
    (
        "utf16.txt",
        "utf-16",
        "The warranty covers the mesh router for two years; batteries are excluded.",
        "warranty mesh router batteries",
    ),
    (
        "latin1.txt",
        "latin-1",
        "Le routeur doit être placé à l'écart du micro-ondes. La garantie dure deux ans et "
        "la société remplace les pièces défectueuses sans frais.",
        "routeur garantie pièces défectueuses",
    ),
]


@pytest.mark.parametrize(
    ("name", "encoding", "text", "query"), SAMPLES, ids=[s[0] for s in SAMPLES]
)
def test_legacy_encodings_decode_to_the_original_text(
    name: str, encoding: str, text: str, query: str
) -> None:
    decoded = decode(text.encode(encoding))
    assert decoded.text.lstrip("\ufeff") == text
    assert decoded.note == ("" if encoding == "utf-8" else f"not UTF-8: read as {decoded.encoding}")


def test_utf16_bom_followed_by_garbage_is_not_text() -> None:
    """FF FE at the start of a binary file must not turn it into 'UTF-16' noise."""
    garbage = b"\xff\xfe" + bytes(range(256)) * 8
    with pytest.raises(PluginError, match="binary data"):
        decode(garbage)


def test_legacy_files_are_indexed_searchable_and_reported(tmp_path: Path, capsys) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, encoding, text, _ in SAMPLES:
        (docs / name).write_bytes(text.encode(encoding))
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    (docs / "photo.txt").write_bytes(png)  # a real binary file with a .txt name

    assert main(["ingest", str(docs)]) == 1  # one file failed
    out = capsys.readouterr().out
    assert out.count("photo.txt") == 1 and "binary data, not text" in out
    for name, _, _, query in SAMPLES:
        assert main(["search", query, "--json", "-k", "3"]) == 0
        hits = json.loads(capsys.readouterr().out)
        assert hits and hits[0]["path"] == str(docs / name), (name, hits[:1])
    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert "gbk.txt: not UTF-8: read as gb" in status  # GBK is read by its superset decoder
    assert "shift_jis.txt: not UTF-8: read as" in status
    main(["ingest", str(docs)])  # unchanged files: the binary one is not parsed again
    assert "photo.txt" not in capsys.readouterr().out.replace("1 failed", "")
