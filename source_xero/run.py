"""The `source-xero` command: spec | check | discover | read, as Airbyte runs it.

The CDK's entrypoint checks the config against spec.json before the connector sees it, and reports a
mistake as a bare regular-expression mismatch. Validating with the connector's own model first turns
every config mistake into a message that names the field and the expected form.
"""

import sys
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import ConnectorSpecification
from airbyte_cdk.sources.utils.schema_helpers import split_config

from .config import parse_config
from .source import SourceXero


class XeroEntrypoint(AirbyteEntrypoint):
    def validate_connection(  # type: ignore[override]  # the CDK's is a staticmethod; it calls it on the instance
        self, source_spec: ConnectorSpecification, config: Any
    ) -> None:
        connector_config, _ = split_config(config)
        parse_config(connector_config)  # raises a config_error that names the field
        AirbyteEntrypoint.validate_connection(source_spec, config)


def run() -> None:
    entrypoint = XeroEntrypoint(SourceXero())
    parsed_args = entrypoint.parse_args(sys.argv[1:])
    with PRINT_BUFFER:
        for message in entrypoint.run(parsed_args):
            # message and newline in one write, so a concurrent CONTROL line cannot split it
            print(f"{message}\n", end="")
