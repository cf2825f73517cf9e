"""The function instance's process: objects that live as long as it, moved out of the cyclic collector's way.

Python's cyclic garbage collector now and then makes a full pass (generation 2) over every tracked object, and the
request in flight waits for it. In the API process with its routes loaded that is about 113,000 objects and
30-35 ms on our 2-CPU machine; in `bench-catalogue` such passes (44 and 75 ms) were the slowest searches at 10,000
creators. Nearly all of those objects are modules, classes, and SQLAlchemy's and pydantic's schema objects, which
live as long as the process. `gc.freeze()` moves everything alive into a permanent generation that the collector
skips (reference counting still frees what is dropped). Garbage made later is collected as before.
"""

from __future__ import annotations

import gc
import sys

_modules_at_freeze = 0


def settle() -> None:
    """Called after each request: when modules were imported since the last call (the first request, a route
    module loaded on first use), freeze what is alive now. Otherwise nothing: a length comparison."""
    global _modules_at_freeze
    if len(sys.modules) != _modules_at_freeze:
        _modules_at_freeze = len(sys.modules)
        gc.freeze()
