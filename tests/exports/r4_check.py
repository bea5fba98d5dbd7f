"""Validate a FHIR Bundle (JSON on stdin) against FHIR R4 (4.0.1) with `fhir.resources` 6.4, the
last release with R4 models. It needs pydantic 1, so it runs in its own virtualenv
(`.venv-fhir-r4`, made by `make test`), never in the project's. Prints "ok", or the error and
exits 1."""

import json
import sys

from fhir.resources import construct_fhir_element


def main() -> int:
    bundle = json.load(sys.stdin)
    try:
        construct_fhir_element("Bundle", bundle)
        for entry in bundle.get("entry", []):
            resource = entry["resource"]
            construct_fhir_element(resource["resourceType"], resource)
    except Exception as exc:
        print(f"invalid R4: {exc}")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
