"""What the `forewarn` command prints with --json when it refuses: one shape for every command."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CliReason(BaseModel):
    """One thing wrong: the option, argument, variable or record field, and what is wrong with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(examples=["--start", "hosts.nodeset", "FOREWARN_STATUS_URL"])
    message: str = Field(examples=["'tomorrow' is not an ISO 8601 time"])


class CliError(BaseModel):
    """The command's refusal (exit code 2) or an environment not ready (exit code 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    error: str = Field(description="One line for a person.")
    reasons: list[CliReason] = Field(min_length=1, description="Every reason, each naming its field.")
