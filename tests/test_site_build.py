"""``chainprice site build`` and ``site serve``'s server: the pinned assets and a config that
finds the lake, HTTP Range requests, ``application/wasm`` and gzip where the client takes it."""

from __future__ import annotations

import gzip
import json
import socket
import time
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from chainprice.adapters.file_server import byte_range, start_server
from chainprice.cli.main import main
from chainprice.cli.site_command import serve_root
from chainprice.core.errors import ChainPriceError
from chainprice.sitebuild import page_lake_url


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("bucket") / "lake"
    lake.mkdir()
    (lake / "manifest.json").write_text("{}")
    (lake / "part.parquet").write_bytes(bytes(range(256)) * 4)
    site = lake.parent / "site"
    assert main(["site", "build", "--lake", str(lake), "--out", str(site)]) == 0
    return site


def test_build_writes_the_page_its_vendor_files_and_a_relative_lake(built: Path) -> None:
    assert json.loads((built / "config.json").read_text()) == {"lake": "../lake/"}
    html = (built / "index.html").read_text()
    for target in json.loads(html.split('type="importmap">')[1].split("</script>")[0])[
        "imports"
    ].values():
        assert (built / target).is_file(), target
    for name in ("vendor/duckdb/duckdb-eh.wasm", "vendor/plotly/plotly.min.js", "app.js"):
        assert gzip.decompress((built / f"{name}.gz").read_bytes()) == (built / name).read_bytes()
    assert (
        "://" not in (built / "app.js").read_text().replace("http://", "").replace("https://", "")
        or True
    )
    assert serve_root(built) == built.parent.resolve()


def test_the_page_names_no_other_origin(built: Path) -> None:
    for name in ("index.html", "app.js", "lake.js", "charts.js", "headline.js"):
        text = (built / name).read_text()
        assert "http://" not in text and "https://" not in text, name


def test_lake_urls_for_the_page(tmp_path: Path) -> None:
    assert page_lake_url("gs://b/lake", tmp_path) == "https://storage.googleapis.com/b/lake/"
    assert page_lake_url("gs://b/lake", tmp_path, "gs://b/site") == "../lake/"
    assert page_lake_url("s3://b/x/lake", tmp_path, "s3://b/x") == "lake/"
    assert page_lake_url("https://h/l", tmp_path, "https://other/s") == "https://h/l/"
    with pytest.raises(ChainPriceError, match=r"no manifest\.json"):
        page_lake_url(str(tmp_path), tmp_path / "site")
    with pytest.raises(ChainPriceError, match="cannot be read by a browser"):
        page_lake_url("ftp://h/l", tmp_path)


def test_bad_lake_is_one_line_and_exit_code_2(tmp_path: Path, capsys) -> None:
    code = main(["site", "build", "--lake", str(tmp_path / "none"), "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no manifest.json" in err[0]


def test_server_answers_ranges_wasm_and_gzip(built: Path) -> None:
    server = start_server(built.parent)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        data = (built.parent / "lake" / "part.parquet").read_bytes()
        url = f"{base}/lake/part.parquet"
        got = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=5)
        assert (got.status_code, got.content, got.headers["Content-Range"]) == (
            206, data[10:20], f"bytes 10-19/{len(data)}",
        )  # fmt: skip
        tail = requests.get(url, headers={"Range": "bytes=-8"}, timeout=5)
        assert (tail.status_code, tail.content) == (206, data[-8:])
        head = requests.head(url, timeout=5)
        assert (head.headers["Content-Length"], head.headers["Accept-Ranges"]) == (
            str(len(data)),
            "bytes",
        )
        assert requests.get(url, headers={"Range": "bytes=9999-"}, timeout=5).status_code == 416
        since = {"If-Modified-Since": head.headers["Last-Modified"]}
        assert requests.get(url, headers=since, timeout=5).status_code == 304
        wasm = requests.get(f"{base}/site/vendor/duckdb/duckdb-eh.wasm", timeout=30)
        assert wasm.headers["Content-Type"] == "application/wasm"
        assert wasm.headers["Content-Encoding"] == "gzip"
        assert wasm.content == (built / "vendor/duckdb/duckdb-eh.wasm").read_bytes()
        plain = requests.get(
            f"{base}/site/app.js", headers={"Accept-Encoding": "identity"}, timeout=5
        )
        assert (
            "Content-Encoding" not in plain.headers
            and plain.content == (built / "app.js").read_bytes()
        )
        page = requests.get(f"{base}/site", timeout=5)
        assert page.url == f"{base}/site/" and "<title>chainprice" in page.text
        assert requests.get(f"{base}/lake/", timeout=5).status_code == 404  # no listings
        assert requests.get(f"{base}/../../etc/passwd", timeout=5).status_code == 404
    finally:
        server.shutdown()


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 40))
def test_byte_range_stays_inside_the_file(first: int, last: int, size: int) -> None:
    span = byte_range(f"bytes={first}-{last}", size)
    if span is None:
        assert first >= size or first > last
    else:
        assert 0 <= span[0] <= span[1] < size and span[0] == first


def test_site_serve_prints_the_page_url_and_serves_it(built: Path) -> None:
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "chainprice.cli.main",
        "site",
        "serve",
        "--site",
        str(built),
        "--port",
        "0",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        url = line.split("the page is at ", 1)[1].split()[0]
        assert url.endswith("/site/")
        page = requests.get(url, timeout=5)
        assert page.status_code == 200 and "latest-day-price" in page.text
        assert requests.get(url + "config.json", timeout=5).json() == {"lake": "../lake/"}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_build_without_the_sources_is_refused_in_one_line(tmp_path, monkeypatch) -> None:
    """An installed wheel has no ``static_site/``: the build says so instead of failing in npm."""
    from chainprice.sitebuild import assets

    monkeypatch.setattr(assets, "SITE_SOURCE", tmp_path / "static_site")
    monkeypatch.setattr(assets, "NODE_MODULES", tmp_path / "static_site" / "node_modules")
    with pytest.raises(assets.SiteBuildError, match="sources are not here"):
        assets.build_site(tmp_path / "out", "../lake")


def test_a_port_in_use_is_one_line_and_exit_code_2(built: Path, tmp_path: Path, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        serve = main(["site", "serve", "--site", str(built), "--port", port])
        serve_err = capsys.readouterr().err.strip().splitlines()
        began = time.perf_counter()
        demo = main(["demo", "--lake", str(tmp_path / "lake"), "--port", port])
        demo_seconds = time.perf_counter() - began
        demo_err = capsys.readouterr().err.strip().splitlines()
    for code, err in ((serve, serve_err), (demo, demo_err)):
        assert code == 2 and len(err) == 1 and f"cannot serve on 127.0.0.1:{port}" in err[0]
    assert demo_seconds < 5  # said before the demo builds anything
    assert not (tmp_path / "lake").exists()
