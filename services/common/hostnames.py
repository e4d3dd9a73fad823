"""Host names in node-set syntax (ClusterShell), for messages people read."""

from __future__ import annotations

from ClusterShell.NodeSet import NodeSet


def fold(names: list[str]) -> str:
    """Host names folded back to node-set syntax: sto1-cmp-[01-04]."""
    return str(NodeSet.fromlist(names))
