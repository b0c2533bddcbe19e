"""Airbyte source connector for the Xero Accounting API."""

from .source import SourceXero

__all__ = ["SourceXero"]
