"""House rules checked on the source text (ast and grep, nothing executed): no import cycle, thin entry points."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("shared", "functions", "gpu_inference")
VENDOR_SDKS = ("stripe", "boto3", "botocore", "apify_client", "google.cloud", "httpx", "requests")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules `path` imports, anywhere in the file: function-level imports count too, and
    only imports under `if TYPE_CHECKING:` (which never run) do not."""
    tree = ast.parse(path.read_text())
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            # `from shared.teams import service` names a module; `from shared.db import Base` names its module.
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_project_modules() -> None:
    graph = import_graph()
    assert "shared.teams.service" in graph and graph["shared.credits.service"], "the walker found the modules"
    assert find_cycles(graph) == []


def test_entry_points_hold_no_sql_and_no_vendor_sdk() -> None:
    offenders = []
    sdk = re.compile(rf"^\s*(from|import)\s+({'|'.join(re.escape(s) for s in VENDOR_SDKS)})\b", re.M)
    for path in sorted((ROOT / "functions").rglob("*.py")):
        source = path.read_text()
        for pattern in (r"\bselect\(", r"\bupdate\(", r"\binsert\("):
            if re.search(pattern, source):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
        for match in sdk.finditer(source):
            offenders.append(f"{path.relative_to(ROOT)}: imports {match.group(2)}")
    assert offenders == []


def test_test_modules_share_helpers_only_through_fixtures() -> None:
    """A test module importing another one runs its tests' module-level code and couples their order."""
    allowed = ("tests.fixtures", "tests.conftest", "tests.benchmarks")
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name.startswith("tests.") and not name.startswith(allowed):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def _apps_built_in_nested_functions(source: str) -> list[int]:
    """Lines where a function defined inside another one (what tests hand to a thread pool) builds an app."""
    builders = {"create_app", "webhook_client", "instance", "instances"}
    lines = []
    for outer in ast.walk(ast.parse(source)):
        if not isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(outer):
            if inner is outer or not isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            for call in ast.walk(inner):
                if isinstance(call, ast.Call) and getattr(call.func, "id", getattr(call.func, "attr", "")) in builders:
                    lines.append(call.lineno)
    return sorted(set(lines))


def test_tests_build_function_instances_before_their_threads() -> None:
    """Building an app parses its URL rules with ast, which races across threads on CPython 3.11.7
    (tests/fixtures/instances.py): a nested function, the shape a thread pool is given, must not build one."""
    planted = "def t():\n    def one(_):\n        return create_app('api', 'x').test_client()\n"
    assert _apps_built_in_nested_functions(planted) == [3]
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for line in _apps_built_in_nested_functions(path.read_text())
    ]
    assert offenders == []
