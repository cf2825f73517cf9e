"""The API's route modules load lazily (Router.include): each route must still be reached through the prefixes its
module declares, and a cold import must leave the database layer and the vendor SDKs unimported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from functions.api import main
from shared.http.router import Route, Router


def lazy_router() -> Router:
    router = Router("lazy")
    for module, prefixes in main.ROUTE_MODULES.items():
        router.include(module, *prefixes)
    return router


def sample_path(route: Route) -> str:
    path = route.template
    for name in route.params:
        path = path.replace("{" + name + "}", str(uuid.uuid4()) if name.endswith("_id") else "some.name")
    return path


def test_every_route_is_reached_through_the_prefixes_its_module_declares() -> None:
    everything = main.router.routes  # loads every module
    lazy_modules = set(main.ROUTE_MODULES)
    for route in everything:
        if route.handler.__module__ not in lazy_modules:
            continue  # registered eagerly (health, OpenAPI)
        path = sample_path(route)
        # Every module with a route matching this path must load by prefix: a literal segment beats a parameter,
        # so an unloaded module could otherwise lose to a loaded one's parameter route.
        for other in everything:
            if other.pattern.match(path) and other.handler.__module__ in lazy_modules:
                declared = main.ROUTE_MODULES[other.handler.__module__]
                assert path.startswith(declared), f"{other.method} {other.template}: {path} not under {declared}"
        lazy = lazy_router()
        found, _ = lazy._match(route.method, path)
        assert (found.method, found.template) == (route.method, route.template)


def test_a_report_request_loads_only_the_modules_under_its_path() -> None:
    lazy = lazy_router()
    lazy._match("GET", "/v1/creators/some.name")
    assert {module for module, _ in lazy._pending} == {
        f"functions.api.routes.{name}" for name in ("teams", "billing", "watchlist", "posts", "admin")
    }


def test_an_unknown_path_loads_everything_before_it_is_a_404() -> None:
    lazy = lazy_router()
    assert lazy._matching("/v1/nothing-here") == [] and lazy._pending == []


def test_a_cold_import_leaves_the_database_layer_and_vendor_sdks_unimported() -> None:
    probe = (
        "import sys, json, functions.api.main; "
        "print(json.dumps(sorted(m for m in ('sqlalchemy', 'pg8000', 'stripe', 'boto3', 'shared.db') "
        "if m in sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
