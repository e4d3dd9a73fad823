"""Work done in arrival order, on as many items at a time as queued up while the last group ran.

Group commit: the notifier records the outcomes of the mails in flight in one
transaction, and the inventory applies the notifications heard during a full
sync again in one, in order with the live ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """One worker runs `work` on every item submitted since its last run, in the order submitted."""

    def __init__(self, work: Callable[[list[T]], Awaitable[None]]) -> None:
        self._work = work
        self._pending: list[tuple[list[T], asyncio.Future[None]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, items: list[T]) -> None:
        """Returns once the group holding these items is done; raises what that group raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((items, done))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="group-commit")
        await done

    async def _drain(self) -> None:
        while self._pending:
            group, self._pending = self._pending, []
            failed: Exception | None = None
            try:
                await self._work([item for items, _ in group for item in items])
            except asyncio.CancelledError:
                for _, done in group:
                    done.cancel()
                raise
            except Exception as exc:
                failed = exc
            for _, done in group:
                if done.done():  # its caller was cancelled
                    continue
                if failed is None:
                    done.set_result(None)
                else:
                    done.set_exception(failed)

    async def close(self) -> None:
        """Stop the worker; whoever still waits is cancelled, so their messages go back unacked."""
        if self._worker is not None:
            self._worker.cancel()
            with suppress(asyncio.CancelledError):
                await self._worker
        for _, done in self._pending:
            done.cancel()
        self._pending = []
