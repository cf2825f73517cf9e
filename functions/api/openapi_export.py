"""Prints the API's OpenAPI 3.1 document (`make openapi` writes it to docs/openapi.json)."""

import json

from functions.api.main import router
from shared.http.openapi import openapi_document

if __name__ == "__main__":
    print(json.dumps(openapi_document(router), indent=2, sort_keys=True))
