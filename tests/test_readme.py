"""The README's table docs are the schemas' own: regenerate them when a schema changes."""

from __future__ import annotations

from pathlib import Path

import lake_schema


def test_readme_documents_every_table_as_the_schemas_do() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert lake_schema.describe().strip() in readme
