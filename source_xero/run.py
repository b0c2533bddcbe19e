"""The `source-xero` command: spec | check | discover | read, as Airbyte runs it."""

import sys

from airbyte_cdk.entrypoint import launch

from .source import SourceXero


def run() -> None:
    launch(SourceXero(), sys.argv[1:])
