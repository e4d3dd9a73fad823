"""Write the JSON Schema of every payload and the AsyncAPI document into schemas/.

Run `make schemas` (`python -m forewarn.services.contracts`) after changing a
contract; `make test` fails while the checked-in files differ from what the
code produces. It lives among the services, not in schemas/, because the
AsyncAPI document is read off the services' own subscribers, and schemas/
imports nothing of the services.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from forewarn import schemas
from forewarn.schemas.catalog import ALL
from forewarn.schemas.cli import CliError

HERE = Path(schemas.__file__).resolve().parent


def json_schemas() -> dict[str, str]:
    """File name to JSON Schema text, one per payload, and the CLI's --json refusal."""
    return {
        f"json/{model.__name__}.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
        for model in (*ALL, CliError)
    }


def asyncapi() -> str:
    """The AsyncAPI document of the whole system, from the services' own subscribers."""
    from faststream.specification import AsyncAPI

    from .broker import documented_broker

    spec = AsyncAPI(
        documented_broker(),
        title="forewarn",
        version="1",
        description="Maintenance windows and customer notifications on NATS JetStream.",
    )
    document = json.loads(spec.to_specification().to_json())
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def exports() -> dict[str, str]:
    """Every generated file, relative to schemas/."""
    return json_schemas() | {"asyncapi.json": asyncapi()}


def main() -> None:
    """Write the exports; with --check, exit 1 if any file is stale."""
    stale = []
    for name, text in exports().items():
        path = HERE / name
        if "--check" in sys.argv:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
            continue
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    if stale:
        sys.exit("stale schema exports: " + ", ".join(stale) + " (run `make schemas`)")


if __name__ == "__main__":
    main()
