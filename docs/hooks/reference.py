"""Adds the reference pages written from the code: the CLI, every setting, every event.

They exist only in the build, so nobody edits them by hand; `--strict` checks the links to them.
"""

from __future__ import annotations

from mkdocs.structure.files import File, Files

from forewarn.services.contracts import reference


def on_files(files: Files, config) -> Files:
    for uri, text in (
        ("reference/cli.md", reference.cli_markdown()),
        ("reference/settings.md", reference.settings_markdown()),
        ("reference/events.md", reference.events_markdown()),
    ):
        files.append(File.generated(config, uri, content=text))
    return files
