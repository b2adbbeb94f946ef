"""``anshim qr`` through the real CLI entry point (only the qr commands loaded)."""

from __future__ import annotations

import io
import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

import did.cli
from did import cbor, qr


@pytest.fixture(autouse=True)
def _only_qr_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # did.cli loads every installed sub-command; restrict it to ours so these tests do
    # not depend on other packages being importable.
    def qr_only(group: str) -> list[Any]:
        return [ep for ep in entry_points(group=group) if ep.name == "qr"]

    monkeypatch.setattr(did.cli, "entry_points", qr_only)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = did.cli.main(argv)
    except SystemExit as exc:  # argparse usage errors and --help
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_entry_point_is_registered() -> None:
    names = {ep.name for ep in entry_points(group="anshim.cli")}
    assert "qr" in names


def test_encode_hex_prints_qr_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(["qr", "encode", "--prefix", "AV", "--hex", "4142"], capsys)
    assert status == 0
    assert out == "AV:BB8\n"


def test_encode_file_writes_svg_png_and_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "payload.bin"
    source.write_bytes(b"Hello!!")
    svg, png = tmp_path / "code.svg", tmp_path / "code.png"
    status, out, _ = _run(
        [
            "qr",
            "encode",
            "--prefix",
            "AC",
            "--file",
            str(source),
            "--svg",
            str(svg),
            "--png",
            str(png),
            "--terminal",
        ],
        capsys,
    )
    assert status == 0
    first, rest = out.split("\n", 1)
    assert first == "AC:%69 VD92EX0"
    assert rest == qr.render_terminal(first)
    assert svg.read_bytes() == qr.render_svg(first)
    assert png.read_bytes() == qr.render_png(first)


def test_decode_cbor_payload_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    text = qr.encode_qr_text("AV", cbor.encode({"v": 1, 2: b"\x01\xff", "t": cbor.Tag(18, [])}))
    status, out, _ = _run(["qr", "decode", text, "--prefix", "AC", "AV"], capsys)
    assert status == 0
    assert json.loads(out) == {
        "prefix": "AV",
        "bytes": 12,
        "hex": "a3024201ff6174d2806176 01".replace(" ", ""),
        "cbor": {"2": {"hex": "01ff"}, "t": {"tag": 18, "value": []}, "v": 1},
    }


def test_decode_non_cbor_payload_as_hex(capsys: pytest.CaptureFixture[str]) -> None:
    text = qr.encode_qr_text("AV", b"\xff\x00")  # a lone break code: not CBOR
    status, out, _ = _run(["qr", "decode", text, "--prefix", "AV"], capsys)
    assert status == 0
    assert json.loads(out) == {"prefix": "AV", "bytes": 2, "hex": "ff00"}


def test_decode_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("AV:BB8\n"))
    status, out, _ = _run(["qr", "decode", "-", "--prefix", "AV"], capsys)
    assert status == 0
    assert json.loads(out) == {"prefix": "AV", "bytes": 2, "hex": "4142", "cbor": {"hex": "42"}}


@pytest.mark.parametrize(
    "argv",
    [
        ["qr", "decode", "XX:BB8", "--prefix", "AV"],
        ["qr", "decode", "AV:bb8", "--prefix", "AV"],
        ["qr", "decode", "AV:A", "--prefix", "AV"],
        ["qr", "decode", "AV:BB8", "--prefix", "AV", "--max-bytes", "1"],
        ["qr", "decode", "AV:BB8", "--prefix", "av"],
        ["qr", "decode", "AV:BB8", "--prefix", "AV", "--max-bytes", "zero"],
        ["qr", "encode", "--prefix", "AV", "--hex", "zz"],
        ["qr", "encode", "--prefix", "A", "--hex", "00"],
        ["qr", "encode", "--prefix", "AV"],
        ["qr", "encode", "--prefix", "AV", "--hex", "00", "--file", "x"],
        ["qr", "encode", "--prefix", "AV", "--hex", "00" * 3000],
        ["qr", "encode", "--prefix", "AV", "--file", "/nonexistent/anshim/file"],
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(argv, capsys)
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv", [["qr", "--help"], ["qr", "encode", "--help"], ["qr", "decode", "--help"]]
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(argv, capsys)
    assert status == 0
    assert "usage:" in out


def test_group_without_command_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(["qr"], capsys)
    assert status == 2
    assert "encode" in err
