"""docs/xero.md, the page the Airbyte UI links to, must keep up with the code.

- Its streams table has one row per stream of `source_xero.table.STREAMS`, with that stream's primary
  key, cursor and scopes.
- Its troubleshooting tables quote every message the connector can show a user. The messages are not
  listed here by hand: they are read from source_xero/*.py by AST, so a message added to the code
  without a line in the docs fails this test. What counts as a user-facing message:
    * a string passed as `message=` to any call (AirbyteTracedException, ErrorResolution, ...);
    * the 3rd positional argument of `_resolution(...)` (errors.py), the 1st of `_config_error(...)`
      (tenants.py), the 3rd of `_bad_state(...)` (cursor.py: the reason inside its message), the 2nd
      of `_uuid_or_empty(...)` (config.py: a validator's message);
    * the first argument of a logger's `.warning/.error/.exception/.critical(...)`;
    * the first argument of any `raise SomeError("...")` (config validators' ValueErrors end up in
      the config_error; UnknownDateFormat ends up in the unknown-date warning);
    * a string assigned to a variable named `message`, `reason` or `fix` (messages built in parts);
    * each value of `REJECTED_REFRESH_MESSAGES` (auth.py).
  Each is reduced to a template, placeholders `{...}` for the f-string's expressions, and its first
  eight words must appear in the docs, placeholders written as `{anything}`.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

from source_xero.scopes import Scope
from source_xero.table import FETCHED, NESTED, PAYROLL, PAYSLIP_LINES, REPORTS_BY_NAME, ROWS, STREAMS

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "source_xero"
DOCS = REPO_ROOT / "docs" / "xero.md"

PREFIX_WORDS = 8
PLACEHOLDER = "\x00"  # stands for one f-string expression inside a template
LOG_METHODS = {"warning", "warn", "error", "exception", "critical"}
MESSAGE_VARIABLES = {"message", "reason", "fix"}
# function name -> index of the positional argument that holds (part of) a user-facing message
MESSAGE_ARGUMENT = {"_resolution": 2, "_config_error": 0, "_bad_state": 2, "_uuid_or_empty": 1}
MESSAGE_TABLES = {"REJECTED_REFRESH_MESSAGES"}


@dataclass(frozen=True)
class Message:
    file: str
    line: int
    template: str  # literal text, PLACEHOLDER where the f-string has an expression

    @property
    def prefix(self) -> str:
        # a part appended to another message ("; apps created ...") starts after its punctuation
        words = self.template.replace(PLACEHOLDER, "{}").lstrip(" ;,.:").split()
        return " ".join(words[:PREFIX_WORDS])

    @property
    def pattern(self) -> re.Pattern:
        """The prefix as a regex: whitespace is any whitespace, each placeholder any `{...}`."""
        parts = []
        for char in self.prefix:
            if char == "{":
                parts.append(None)
            elif char == "}":
                continue
            else:
                parts.append(char)
        regex = ""
        for part in parts:
            if part is None:
                regex += r"\{[^{}\n]*\}"
            elif part.isspace():
                regex += r"\s+"
            else:
                regex += re.escape(part)
        return re.compile(regex)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.prefix!r}"


def _template(node: Optional[ast.AST]) -> Optional[str]:
    """The text of a string expression, or None if it is not one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text = ""
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                text += value.value
            else:
                text += PLACEHOLDER
        return text
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _message_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "message":
                    yield keyword.value
            name = _callee(node)
            index = MESSAGE_ARGUMENT.get(name)
            if index is not None and len(node.args) > index:
                yield node.args[index]
            if isinstance(node.func, ast.Attribute) and name in LOG_METHODS and node.args:
                yield node.args[0]
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            yield node.exc.args[0]
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if names & MESSAGE_VARIABLES:
                yield node.value
            if names & MESSAGE_TABLES and isinstance(node.value, ast.Dict):
                yield from node.value.values


def user_facing_messages(package: Path = PACKAGE) -> List[Message]:
    found = {}
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _message_nodes(tree):
            template = _template(node)
            if template is None or not template.replace(PLACEHOLDER, "").strip():
                continue  # a variable or a bare expression: its text is collected where it is built
            message = Message(path.name, node.lineno, template)
            found.setdefault((message.file, message.prefix), message)
    return list(found.values())


MESSAGES = user_facing_messages()


@pytest.fixture(scope="module")
def docs() -> str:
    assert DOCS.is_file(), f"{DOCS} is missing"
    return DOCS.read_text(encoding="utf-8")


def test_the_extractor_finds_the_known_messages():
    """Guards the extractor itself: if these disappear, the AST rules above no longer see the code."""
    prefixes = " | ".join(m.prefix for m in MESSAGES)
    for known in (
        "Xero rejected the refresh token (invalid_grant)",  # REJECTED_REFRESH_MESSAGES
        "Xero's daily API limit for {}",  # _resolution(..., f"...")
        "No Xero organisation is connected to this app.",  # _config_error("...")
        "it is not a JSON object",  # _bad_state(..., why)
        "Stream {} was skipped for {}: {}. To",  # logger.warning(f"...")
        "The Xero configuration is not valid:",  # message=f"..."
        "start_date {} is in the future;",  # raise ValueError(f"...")
        "auth_type must be 'oauth2_refresh_token'",  # message = "..."
        "deselect the stream (Xero removed Employees",  # fix = "..."
    ):
        assert known in prefixes, f"the extractor no longer finds {known!r}"
    assert len(MESSAGES) >= 30


def test_a_new_undocumented_message_is_caught(tmp_path: Path, docs: str):
    """The rules see a message added anywhere in the package, in each of the forms the code uses."""
    (tmp_path / "new.py").write_text(
        "def f(stream, logger):\n"
        "    logger.warning(f'Stream {stream} met a brand new undocumented problem today.')\n"
        "    raise AirbyteTracedException(message='A second brand new message nobody documented yet.')\n"
        "    return _resolution(RETRY, transient, f'A third brand new message for {stream} here.')\n"
    )
    found = user_facing_messages(tmp_path)
    assert len(found) == 3
    assert not any(message.pattern.search(docs) for message in found)


@pytest.mark.parametrize("message", MESSAGES, ids=str)
def test_every_user_facing_message_is_documented(message: Message, docs: str):
    assert message.pattern.search(docs), (
        f"docs/xero.md does not explain the message {message.prefix!r} ({message.file}:{message.line}). "
        "Add it to a troubleshooting table (message, cause, fix), with `{name}` where the code inserts a value."
    )


def _table_rows(docs: str, header_start: str) -> List[List[str]]:
    lines = docs.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(header_start):
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append([cell.strip() for cell in row.strip().strip("|").split("|")])
            return rows
    raise AssertionError(f"docs/xero.md has no table starting with {header_start!r}")


def test_streams_table_has_every_stream_with_its_key_cursor_and_scopes(docs: str):
    rows = {row[0].strip("`"): row for row in _table_rows(docs, "| Stream | Xero endpoint |")}
    assert set(rows) == {spec.name for spec in STREAMS}, "the streams table must list exactly the streams of STREAMS"
    for spec in STREAMS:
        row = " | ".join(rows[spec.name])
        assert spec.primary_key in row, f"{spec.name}: primary key {spec.primary_key} missing from its row"
        assert (spec.cursor_field or "—") in row, f"{spec.name}: cursor {spec.cursor_field} missing from its row"
        for scope in spec.scope.names:
            assert scope in row, f"{spec.name}: scope {scope} missing from its row"
        modes = "Full refresh, Incremental" if spec.cursor_field else "Full refresh"
        assert modes in row, f"{spec.name}: sync modes should read {modes!r}"


def _key_columns(cell: str) -> List[str]:
    """The backticked column names of a primary key cell, up to a parenthesis ("(and `x` with ...)")."""
    return re.findall(r"`([^`]+)`", cell.split("(")[0])


def test_streams_table_primary_keys_are_the_catalog_keys(docs: str):
    """The primary key column says exactly what discover declares (`row.catalog_key()`), in order: a
    currency code or tax type is unique per organisation only, so those keys lead with `tenant_id`."""
    header = "| Stream | Xero endpoint | Sync modes | Primary key |"
    rows = {row[0].strip("`"): row for row in _table_rows(docs, header)}
    for spec in STREAMS:
        assert _key_columns(rows[spec.name][3]) == spec.catalog_key(), f"{spec.name}: primary key column"
    report_header = header + " Cursor | Calls |"
    reports = {row[0].strip("`"): row for row in _table_rows(docs, report_header)}
    assert set(reports) == set(REPORTS_BY_NAME)
    for name, report in REPORTS_BY_NAME.items():
        key = reports[name][3]
        assert _key_columns(key) == report.catalog_key(), f"{name}: primary key column"
        assert ("`tracking_option`" in key) == report.tracked, f"{name}: the tracking breakdown's key column"


def test_nested_lists_table_has_every_nested_list_with_its_parent_key_cursor_and_columns(docs: str):
    rows = {row[0].strip("`"): row for row in _table_rows(docs, "| Stream | Read from (stream, list) |")}
    assert set(rows) == {row.name for row in NESTED}, "the nested lists table must list exactly table.NESTED"
    for nested in NESTED:
        cells = rows[nested.name]
        assert f"`{nested.parent.name}`, `{nested.list_key}`" in cells[1], f"{nested.name}: parent and list"
        assert ("Full refresh, Incremental" if nested.cursor_field else "Full refresh") in cells[2]
        assert _key_columns(cells[3]) == nested.catalog_key(), f"{nested.name}: primary key column"
        assert (f"`{nested.cursor_field}`" if nested.cursor_field else "—") in cells[4]
        assert _key_columns(cells[5].split(";")[0]) == nested.parent_columns(), f"{nested.name}: columns from the parent"


def test_fetched_lists_table_has_every_fetched_list_with_its_parent_path_key_and_columns(docs: str):
    rows = {row[0].strip("`"): row for row in _table_rows(docs, "| Stream | Read from (stream, path) |")}
    assert set(rows) == {row.name for row in FETCHED}, "the table of lists fetched per record must list exactly table.FETCHED"
    for fetched in FETCHED:
        cells = rows[fetched.name]
        assert f"`{fetched.parent.name}`, `/{fetched.path}`" in cells[1], f"{fetched.name}: parent and path"
        assert ("Full refresh, Incremental" if fetched.cursor_field else "Full refresh") in cells[2]
        assert _key_columns(cells[3]) == fetched.catalog_key(), f"{fetched.name}: primary key column"
        assert _key_columns(cells[5]) == fetched.parent_columns(), f"{fetched.name}: columns from the parent"
        for scope in fetched.scope.names:
            assert scope in cells[6]


def test_payroll_table_has_every_payroll_stream_with_its_key_and_scope(docs: str):
    rows = {row[0].strip("`"): row for row in _table_rows(docs, "| Stream | Australia (`payroll.xro/1.0`) |")}
    assert set(rows) == {row.name for row in (*PAYROLL, PAYSLIP_LINES)}
    for row in (*PAYROLL, PAYSLIP_LINES):
        cells = rows[row.name]
        assert _key_columns(cells[3]) == row.catalog_key(), f"{row.name}: primary key column"
        assert all(scope in cells[4] for scope in row.scope.names), f"{row.name}: scope"
    for row in PAYROLL:
        for region, chain in row.regions.items():
            column = 1 if region == "AU" else 2
            for step in chain.steps:
                assert f"`/{step.path}" in rows[row.name][column], f"{row.name}: {region} path {step.path}"


def test_every_scope_is_documented(docs: str):
    for scope in Scope:
        for name in scope.names:
            assert name in docs


def _spec_fields(schema: dict, path: str = "") -> Iterator[str]:
    """Dotted paths of every field: credentials, credentials.client_id, ..., tenant_id, start_date."""
    for name, field in (schema.get("properties") or {}).items():
        yield f"{path}{name}"
        yield from _spec_fields(field, f"{path}{name}.")
    for option in schema.get("oneOf") or []:
        yield from _spec_fields(option, path)


def test_configuration_reference_names_every_spec_field(docs: str):
    spec = json.loads((PACKAGE / "spec.json").read_text())
    for name in set(_spec_fields(spec["connectionSpecification"])):
        assert f"| `{name}` |" in docs, f"spec.json field {name} has no row in the configuration reference"
    for auth_type in ("oauth2_refresh_token", "custom_connection"):
        assert auth_type in docs


def _spec_defaults(schema: dict, path: str = "") -> Iterator[tuple]:
    """(dotted field, its spec default or None) for every field of the spec."""
    for name, field in (schema.get("properties") or {}).items():
        yield f"{path}{name}", field.get("default")
        yield from _spec_defaults(field, f"{path}{name}.")
    for option in schema.get("oneOf") or []:
        yield from _spec_defaults(option, path)


def test_configuration_reference_defaults_are_the_spec_defaults(docs: str):
    """The Default column shows the spec's default, and no value where the spec has none (the form then
    shows the field empty: what an empty value does is the Description's business)."""
    spec = json.loads((PACKAGE / "spec.json").read_text())
    rows = {row[0].strip("`"): row for row in _table_rows(docs, "| Field | Required | Default | Description |")}
    for name, value in dict(_spec_defaults(spec["connectionSpecification"])).items():
        default = json.dumps(value) if value is not None else None
        cell = rows[name][2]
        if default is None:
            assert cell in ("", "empty"), f"{name}: the spec has no default, the docs say {cell!r}"
        else:
            assert cell == f"`{default}`", f"{name}: the spec's default is {default}, the docs say {cell!r}"


def test_required_sections(docs: str):
    for heading in ("## Prerequisites", "## Bad input", "## Versioning policy", "## Changelog", "## Troubleshooting"):
        assert re.search(rf"^{re.escape(heading)}\b", docs, re.MULTILINE), f"missing section {heading}"
    assert "SOURCE_XERO_WRITE_BACK_CONFIG" in docs
    assert "config_change_callback" in docs and "set_config" in docs


MARKDOWN_PAGES = ("README.md", "docs/xero.md", "xero_sandbox/README.md")


@pytest.mark.parametrize("page", MARKDOWN_PAGES)
def test_pyairbyte_examples_run_this_connector(page: str):
    """Without `local_executable`, `ab.get_source("source-xero")` installs PyPI's airbyte-source-xero (2.x), not
    this connector; offline, PyAirbyte also needs AIRBYTE_OFFLINE_MODE=1 (docs/xero.md says so)."""
    text = (REPO_ROOT / page).read_text(encoding="utf-8")
    calls = re.findall(r"get_source\((.*?)\)\n", text, flags=re.DOTALL)
    for call in calls:
        assert "local_executable=" in call, f"{page}: a PyAirbyte get_source(...) without local_executable"
    if page == "docs/xero.md":
        assert calls and "AIRBYTE_OFFLINE_MODE" in text


def test_readme_stream_counts_are_the_tables():
    """The README's headline ("journals and N more streams") and its demo output ("discover  N streams") count
    the streams discover lists: every list stream and every report stream of the table."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    every = len(ROWS)
    headline = re.search(r"invoices, contacts, payments, journals and (\d+) more streams", readme)
    assert headline, "the README's headline no longer counts the streams"
    assert int(headline.group(1)) == every - 4, f"README headline: 4 + {headline.group(1)} streams, discover has {every}"
    demo = re.search(r"discover\s+(\d+) streams", readme)
    assert demo and int(demo.group(1)) == every, f"README demo output: {demo and demo.group(1)} streams, discover has {every}"


def test_readme_says_how_to_run_against_the_sandbox():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running the connector", 1)[1].split("\n## ", 1)[0]
    for needed in ("XERO_API_BASE_URL", "XERO_IDENTITY_BASE_URL", "python -m xero_sandbox --port 0", "repository root"):
        assert needed in section, f"README's 'Running the connector' does not mention {needed}"


@pytest.mark.parametrize("page", MARKDOWN_PAGES)
def test_markdown_files_named_exist(page: str):
    """A `NAME.md` the page mentions (in backticks or as a link) is a file of the repository."""
    text = (REPO_ROOT / page).read_text(encoding="utf-8")
    named = set(re.findall(r"[`(]([\w./-]+\.md)[`)#]", text))
    existing = {path.name for path in REPO_ROOT.rglob("*.md") if ".venv" not in path.parts}
    missing = sorted(name for name in named if Path(name).name not in existing)
    assert not missing, f"{page} refers to {missing}, which the repository does not have"


def test_page_is_safe_for_mdx(docs: str):
    """Airbyte's docs site renders pages as MDX: `{` or `<` outside code would be read as JSX and break
    the page. Message templates and placeholders therefore stay inside backticks."""
    prose = re.sub(r"```.*?```", "", docs, flags=re.DOTALL)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    for line_number, line in enumerate(prose.splitlines(), 1):
        assert not re.search(r"[{}<]", line), f"MDX-unsafe character outside code: {line.strip()!r}"


def test_migration_guide_is_safe_for_mdx():
    guide = (Path(__file__).resolve().parent.parent / "docs" / "xero-migrations.md").read_text(encoding="utf-8")
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", guide, flags=re.DOTALL))
    for line in prose.splitlines():
        assert not re.search(r"[{}<]", line), f"MDX-unsafe character outside code: {line.strip()!r}"
