"""Third-party browser assets: exactly what the npm registry published, with their licences.

scripts/fetch-assets and assets.json are run for real: --check on the checkout and on a
tampered copy, the tarball checks on a real gzipped tarball, and a real wheel is built to show
the vendor files and the workbench templates ship in it. No test here needs the network (a
proxy that refuses every connection proves --check and an up-to-date fetch never use it).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.machinery
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import ROOT, build_wheel

SCRIPT = ROOT / "scripts" / "fetch-assets"
MANIFEST = ROOT / "assets.json"
VENDOR_FOLDERS = (ROOT / "src" / "clusterkg" / "static" / "vendor", ROOT / "tests" / "vendor")
NO_NETWORK = {"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
              "HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
              "NO_PROXY": "", "no_proxy": ""}


def manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text("utf-8"))["packages"]


def fetch_assets(*args: str, script: Path = SCRIPT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **NO_NETWORK}
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def load_script() -> ModuleType:
    """scripts/fetch-assets as a module (it has no .py suffix), to test its checks directly."""
    loader = importlib.machinery.SourceFileLoader("fetch_assets", str(SCRIPT))
    spec = importlib.util.spec_from_loader("fetch_assets", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_check_passes_on_the_checkout() -> None:
    result = fetch_assets("--check")
    assert result.returncode == 0, result.stderr
    count = sum(len(entry["files"]) for entry in manifest().values())
    assert f"{count} files of {len(manifest())} packages match assets.json" in result.stdout


def test_fetch_without_changes_needs_no_network() -> None:
    result = fetch_assets()
    assert result.returncode == 0, result.stderr
    for name, entry in manifest().items():
        assert f"{name}@{entry['version']} is up to date" in result.stdout


def test_tampered_copy_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "checkout"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy2(SCRIPT, copy / "scripts" / "fetch-assets")
    shutil.copy2(MANIFEST, copy / "assets.json")
    for entry in manifest().values():
        shutil.copytree(ROOT / entry["destination"], copy / entry["destination"])
    script = copy / "scripts" / "fetch-assets"
    assert fetch_assets("--check", script=script).returncode == 0

    editor = copy / "src/clusterkg/static/vendor/codemirror/lib/codemirror.js"
    editor.write_bytes(editor.read_bytes().replace(b"CodeMirror", b"CodeMirrur", 1))
    (copy / "tests/vendor/axe-core/LICENSE-3RD-PARTY.txt").unlink()
    (copy / "src/clusterkg/static/vendor/cytoscape/dist/extra.js").write_text("1;\n")
    result = fetch_assets("--check", script=script)
    assert result.returncode == 1
    assert "codemirror: src/clusterkg/static/vendor/codemirror/lib/codemirror.js differs" \
        in result.stderr
    assert "axe-core: tests/vendor/axe-core/LICENSE-3RD-PARTY.txt is missing" in result.stderr
    assert "cytoscape: src/clusterkg/static/vendor/cytoscape/dist/extra.js is not in the " \
        "manifest" in result.stderr
    assert "Traceback" not in result.stderr


def test_manifest_pins_exact_versions_and_licences() -> None:
    packages = manifest()
    assert set(packages) >= {"cytoscape", "codemirror", "axe-core"}
    for name, entry in packages.items():
        assert all(part.isdigit() for part in entry["version"].split(".")), (name, entry)
        assert entry["integrity"].startswith("sha512-"), name
        assert entry["license"] and entry["license_file"] in entry["files"], name
        assert all(len(digest) == 64 for digest in entry["files"].values()), name
        assert entry["destination"] in (f"src/clusterkg/static/vendor/{name}",
                                        f"tests/vendor/{name}"), name
    assert packages["codemirror"]["version"].startswith("5.65.")
    assert packages["axe-core"]["version"].startswith("4.")
    assert packages["axe-core"]["destination"] == "tests/vendor/axe-core"  # test-only


def test_every_vendor_folder_has_a_licence_and_a_manifest_entry() -> None:
    destinations = {ROOT / entry["destination"] for entry in manifest().values()}
    folders = [f for parent in VENDOR_FOLDERS for f in parent.iterdir() if f.is_dir()]
    assert len(folders) >= 3
    for folder in folders:
        assert folder in destinations, f"{folder} is not fetched by scripts/fetch-assets"
        assert list(folder.glob("LICEN[CS]E*")), f"{folder} has no licence file"


def test_cytoscape_is_the_version_the_export_used() -> None:
    """The moved copy is the same release the HTML export was built and tested with."""
    source = (ROOT / manifest()["cytoscape"]["destination"] / "dist/cytoscape.min.js")
    assert manifest()["cytoscape"]["version"] == "3.34.4"
    assert 'version="3.34.4"' in source.read_text("utf-8")
    assert not (ROOT / "src/clusterkg/static/cytoscape.min.js").exists()


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_tarball_integrity_and_files_are_verified(tmp_path: Path) -> None:
    script = load_script()
    data = tarball({"lib/a.js": b"a();\n", "LICENSE": b"MIT\n", "other.js": b"no\n"})
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    script.verify_integrity(data, integrity, "demo@1.0.0")
    with pytest.raises(script.AssetError, match="not the published"):
        script.verify_integrity(data + b"\0", integrity, "demo@1.0.0")
    with pytest.raises(script.AssetError, match="not sha512"):
        script.verify_integrity(data, "sha1-abc", "demo@1.0.0")
    files = script.package_files(data, ["lib/a.js", "LICENSE"], "demo@1.0.0")
    assert files == {"lib/a.js": b"a();\n", "LICENSE": b"MIT\n"}
    with pytest.raises(script.AssetError, match=r"has no lib/b\.js"):
        script.package_files(data, ["lib/b.js"], "demo@1.0.0")
    with pytest.raises(script.AssetError, match="refusing to fetch"):
        script.get("https://example.org/demo.tgz")

    folder = tmp_path / "vendor" / "demo"
    folder.mkdir(parents=True)
    (folder / "stale.js").write_text("old")
    script.replace_folder(folder, files)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) \
        == ["LICENSE", "lib/a.js"]
    assert [p.name for p in folder.parent.iterdir()] == ["demo"]  # no temporary folders left


@pytest.mark.slow
def test_wheel_ships_vendor_files_and_templates(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name, entry in manifest().items():
            if not entry["destination"].startswith("src/"):
                assert not any(f"vendor/{name}/" in n for n in names), name  # test-only
                continue
            inside = entry["destination"].removeprefix("src/")
            for sub, digest in entry["files"].items():
                shipped = archive.read(f"{inside}/{sub}")
                assert hashlib.sha256(shipped).hexdigest() == digest, (name, sub)
    assert "clusterkg/workbench/templates/base.html" in names
    assert "clusterkg/workbench/templates/error.html" in names
    assert "clusterkg/static/workbench.js" in names


def test_the_workbench_serves_the_shipped_assets(workbench: str) -> None:
    """Every shipped vendor file is served, byte for byte, by `clusterkg serve` at /static."""
    served = 0
    for entry in manifest().values():
        if not entry["destination"].startswith("src/clusterkg/static/"):
            continue
        prefix = entry["destination"].removeprefix("src/clusterkg")
        for sub, digest in entry["files"].items():
            with urllib.request.urlopen(f"{workbench}{prefix}/{sub}", timeout=30) as answer:
                assert hashlib.sha256(answer.read()).hexdigest() == digest, sub
            served += 1
    assert served >= 10
    with pytest.raises(urllib.error.HTTPError):  # test-only assets are not shipped
        urllib.request.urlopen(f"{workbench}/static/vendor/axe-core/axe.min.js", timeout=30)
