"""Names for exported resources: identifiers under the clinic's base URL, stable `urn:uuid`s.

Entries are named by `urn:uuid` (we serve no FHIR read endpoint, so an http URL would name nothing
that resolves). The uuid is derived from the clinic's base URL and the row, so exporting the same
patient twice names the same resources the same way, and a receiver can match them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ids:
    base_url: str

    def urn(self, kind: str, key: object) -> str:
        return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.base_url}/{kind}/{key}"))

    def identifier(self, kind: str, value: object) -> dict[str, Any]:
        return {"system": f"{self.base_url}/fhir/sid/{kind}", "value": str(value)}

    def extension_url(self, name: str) -> str:
        return f"{self.base_url}/fhir/StructureDefinition/{name}"
