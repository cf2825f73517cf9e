"""The Cloud Functions source bundle: `make functions-bundle` writes dist/functions.zip.

It holds shared/ and functions/ (every function deploys from the same zip; GOOGLE_FUNCTION_SOURCE picks the
entry module) and a requirements.txt made from pyproject.toml's base and `functions` dependencies. The zip is
byte-for-byte reproducible (sorted entries, fixed timestamps), so Terraform's object name, the zip's hash,
changes only when the code or the dependencies do.
"""

from __future__ import annotations

import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("shared", "functions")
EPOCH = (1980, 1, 1, 0, 0, 0)


def requirements() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["functions"]]
    return "# Generated from pyproject.toml by infra/bundle.py.\n" + "\n".join(lines) + "\n"


def files() -> list[Path]:
    found = [p for package in PACKAGES for p in (ROOT / package).rglob("*") if p.is_file()]
    return sorted(p for p in found if "__pycache__" not in p.parts and p.suffix in (".py", ".ini", ".mako", ".json"))


def build(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in files():
            entry = zipfile.ZipInfo(str(path.relative_to(ROOT)), EPOCH)
            entry.external_attr = 0o644 << 16
            bundle.writestr(entry, path.read_bytes(), zipfile.ZIP_DEFLATED)
        entry = zipfile.ZipInfo("requirements.txt", EPOCH)
        entry.external_attr = 0o644 << 16
        bundle.writestr(entry, requirements(), zipfile.ZIP_DEFLATED)
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist" / "functions.zip"))
