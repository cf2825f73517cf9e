"""`python -m gpu_inference`: serve the app with uvicorn on $PORT (Cloud Run sets it)."""

from __future__ import annotations

import os

import uvicorn


def main() -> None:
    uvicorn.run(
        "gpu_inference.app:create_app",
        factory=True,
        host="0.0.0.0",  # noqa: S104 - inside the container; Cloud Run fronts it
        port=int(os.environ.get("PORT", "8080")),
        workers=1,  # one process owns the GPU; concurrency comes from the batcher
        timeout_keep_alive=75,
        log_config=None,  # our JSON logging
    )


if __name__ == "__main__":
    main()
