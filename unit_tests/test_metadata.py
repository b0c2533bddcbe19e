"""metadata.yaml, Airbyte's registry entry, is valid and agrees with the rest of the project.

- It validates against `ConnectorMetadataDefinitionV0`, the model Airbyte's own tooling uses
  (PyPI package `airbyte-connector-models`).
- One version everywhere: pyproject.toml `version` == metadata `dockerImageTag` == the newest row of
  the changelog table in docs/xero.md (see that page's "Versioning policy").
- The Dockerfile builds FROM exactly the pinned `connectorBuildOptions.baseImage`.
- `allowedHosts` lists exactly the hosts the connector calls (source_xero/endpoints.py defaults).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None

from airbyte_connector_models.metadata.v0.connector_metadata_definition_v0 import ConnectorMetadataDefinitionV0

from source_xero import endpoints

REPO_ROOT = Path(__file__).resolve().parent.parent
METADATA = REPO_ROOT / "metadata.yaml"
PYPROJECT = REPO_ROOT / "pyproject.toml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
DOCS = REPO_ROOT / "docs" / "xero.md"
ICON = REPO_ROOT / "icon.svg"

PINNED_IMAGE = re.compile(r"^docker\.io/airbyte/python-connector-base:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$")
CHANGELOG_HEADER = "| Version | Date | Pull Request | Subject |"


@pytest.fixture(scope="module")
def raw_metadata() -> dict:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def metadata(raw_metadata: dict) -> ConnectorMetadataDefinitionV0:
    return ConnectorMetadataDefinitionV0.model_validate(raw_metadata)


def pyproject_version() -> str:
    text = PYPROJECT.read_text(encoding="utf-8")
    if tomllib is not None:
        return tomllib.loads(text)["project"]["version"]
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE).group(1)


def changelog_versions() -> list[str]:
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    start = lines.index(CHANGELOG_HEADER)  # ValueError: the docs lost their changelog table
    versions = []
    for row in lines[start + 2 :]:
        if not row.startswith("|"):
            break
        versions.append(row.strip("|").split("|")[0].strip())
    return versions


def dockerfile_base_image() -> str:
    froms = [line.split()[1] for line in DOCKERFILE.read_text(encoding="utf-8").splitlines() if line.startswith("FROM ")]
    assert len(froms) == 1, f"expected one FROM line in the Dockerfile, found {froms}"
    return froms[0]


def test_metadata_is_valid_for_airbytes_registry(metadata: ConnectorMetadataDefinitionV0):
    data = metadata.data
    assert data.name == "Xero"
    assert data.connector_type.value == "source"
    assert data.connector_subtype.value == "api"
    assert data.docker_repository == "airbyte/source-xero"
    assert data.license == "MIT"
    assert str(data.documentation_url) == "https://docs.airbyte.com/integrations/sources/xero"
    assert data.github_issue_label == "source-xero"
    assert data.release_stage.value in {"alpha", "beta", "generally_available"}
    assert data.support_level is not None
    assert {"language:python", "cdk:python"} <= set(data.tags or [])
    assert data.remote_registries.pypi.enabled and data.remote_registries.pypi.package_name == "airbyte-source-xero"
    assert data.registry_overrides.oss.enabled and data.registry_overrides.cloud.enabled


def test_definition_id_is_airbytes_source_xero(raw_metadata: dict):
    # The definitionId of Airbyte's source-xero (manifest-only, 2.x): this connector is its next major version,
    # so existing connections upgrade in place. Changing it makes Airbyte see a second Xero connector.
    assert raw_metadata["data"]["definitionId"] == "6fd1e833-dd6e-45ec-a727-ab917c5be892"


def test_major_version_has_a_breaking_change_entry_with_its_migration_guide(metadata: ConnectorMetadataDefinitionV0):
    major = Version(metadata.data.docker_image_tag).major
    changes = metadata.data.releases.breaking_changes
    assert f"{major}.0.0" in changes, "a new major version needs releases.breakingChanges"
    entry = changes[f"{major}.0.0"]
    assert entry.message and str(entry.migration_documentation_url).endswith(f"xero-migrations#{major}.0.0")
    guide = (REPO_ROOT / "docs" / "xero-migrations.md").read_text(encoding="utf-8")
    assert f"## Upgrading to {major}.0.0" in guide
    assert {"1.0.0", "2.0.0"} <= set(changes), "earlier majors stay listed for connections still on them"


def test_suggested_streams_are_streams_of_the_connector(metadata: ConnectorMetadataDefinitionV0):
    from source_xero.table import STREAMS_BY_NAME

    suggested = metadata.data.suggested_streams.streams
    assert suggested and set(suggested) <= set(STREAMS_BY_NAME)
    assert "journals" not in suggested and "employees" not in suggested


def test_metadata_carries_what_maintained_python_connectors_carry(metadata: ConnectorMetadataDefinitionV0):
    assert metadata.data.max_seconds_between_messages and metadata.data.max_seconds_between_messages >= 600
    kinds = {link.type.value for link in metadata.data.external_documentation_urls}
    assert {"api_reference", "permissions_scopes", "rate_limits"} <= kinds


# python-connector-base version -> the Python it ships (airbytehq/airbyte#62909: 4.0.2 is Python 3.11.13).
BASE_IMAGE_PYTHON = {"4.0.2": (3, 11)}


def test_base_image_python_is_the_python_the_tests_run_on(metadata: ConnectorMetadataDefinitionV0):
    import sys

    version = re.search(r"python-connector-base:(\d+\.\d+\.\d+)@", metadata.data.connector_build_options.base_image).group(1)
    assert version in BASE_IMAGE_PYTHON, f"say which Python python-connector-base {version} ships, and test on it"
    assert sys.version_info[:2] == BASE_IMAGE_PYTHON[version], (
        f"the image runs Python {BASE_IMAGE_PYTHON[version]}, the tests run on {sys.version_info[:2]}"
    )


def test_metadata_rejects_what_the_registry_rejects(raw_metadata: dict):
    """The validation is real: an unknown key or a wrong enum value fails."""
    broken = {**raw_metadata, "data": {**raw_metadata["data"], "connectorType": "sauce"}}
    with pytest.raises(Exception):
        ConnectorMetadataDefinitionV0.model_validate(broken)
    extra = {**raw_metadata, "data": {**raw_metadata["data"], "dockerImageTagg": "0.1.0"}}
    with pytest.raises(Exception):
        ConnectorMetadataDefinitionV0.model_validate(extra)


def test_one_version_everywhere(metadata: ConnectorMetadataDefinitionV0):
    versions = changelog_versions()
    assert versions, "the changelog table in docs/xero.md has no rows"
    newest = versions[0]
    assert newest == max(versions, key=Version), "the changelog's first row must be its newest version"
    assert pyproject_version() == metadata.data.docker_image_tag == newest, (
        f"pyproject.toml {pyproject_version()}, metadata.yaml dockerImageTag {metadata.data.docker_image_tag}, "
        f"docs/xero.md changelog {newest}: bump all three together"
    )


def test_dockerfile_builds_from_the_pinned_base_image(metadata: ConnectorMetadataDefinitionV0):
    base_image = metadata.data.connector_build_options.base_image
    assert PINNED_IMAGE.match(base_image), f"baseImage must be pinned by digest: {base_image}"
    assert dockerfile_base_image() == base_image


def test_dockerfile_installs_the_package_and_runs_its_command():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^RUN pip install --no-cache-dir -c requirements\.lock \.(\s|$)", text, re.MULTILINE), (
        "install with `pip install .`, pinned by the lock file"
    )
    assert "[tests]" not in text and "-e " not in text, "the image gets runtime dependencies only"
    assert 'ENV AIRBYTE_ENTRYPOINT="source-xero"' in text
    assert 'ENTRYPOINT ["source-xero"]' in text


def test_lock_file_pins_the_runtime_dependencies_pyproject_names():
    pinned = {line.split("==")[0].lower() for line in (REPO_ROOT / "requirements.lock").read_text().splitlines() if "==" in line}
    assert {"airbyte-cdk", "pydantic", "requests"} <= pinned


def test_dockerignore_keeps_secrets_out():
    rules = [line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", ".dockerignore is an allow-list: everything out first"
    assert {"!pyproject.toml", "!README.md", "!requirements.lock", "!source_xero"} <= set(rules)
    assert not any(rule.startswith("!") and ("secrets" in rule or ".venv" in rule) for rule in rules)


def test_allowed_hosts_are_the_hosts_the_connector_calls(metadata: ConnectorMetadataDefinitionV0):
    called = {urlparse(url).hostname for url in (endpoints.XERO_API, endpoints.XERO_IDENTITY)}
    assert sorted(metadata.data.allowed_hosts.hosts) == sorted(called)


def test_allowed_hosts_follow_the_endpoint_functions(monkeypatch, metadata: ConnectorMetadataDefinitionV0):
    """Every URL endpoints.py builds (without the sandbox overrides) is on an allowed host."""
    monkeypatch.delenv("XERO_API_BASE_URL", raising=False)
    monkeypatch.delenv("XERO_IDENTITY_BASE_URL", raising=False)
    urls = [endpoints.accounting_base(), endpoints.connections_url(), endpoints.token_url()]
    assert {urlparse(url).hostname for url in urls} == set(metadata.data.allowed_hosts.hosts)
    assert all(urlparse(url).scheme == "https" for url in urls)


def test_icon_is_an_svg(raw_metadata: dict):
    assert raw_metadata["data"]["icon"].endswith(".svg")
    root = ElementTree.fromstring(ICON.read_text(encoding="utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
