"""Prometheus metrics for every message a process consumes and publishes."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from faststream.nats.prometheus.provider import NatsMetricsSettingsProvider, settings_provider_factory
from faststream.prometheus import PrometheusMiddleware
from prometheus_client import CollectorRegistry

from forewarn.schemas import subjects

# Subjects that carry a window id or a reply inbox: as metric labels they would
# grow without bound, so each counts under its family.
PER_MESSAGE = (
    subjects.TIMER_PREFIX + ".",
    subjects.DUE.removesuffix(">"),
    subjects.REMINDERS.removesuffix(">"),
    "_INBOX.",
)


def family(subject: str) -> str:
    """The subject as a label value: 'maint.due.mw-1.start' counts as 'maint.due.>'."""
    for prefix in PER_MESSAGE:
        if subject.startswith(prefix):
            return prefix + ">"
    return subject


class _Provider(NatsMetricsSettingsProvider):
    def get_consume_attrs_from_message(self, msg: Any) -> Any:
        attrs = super().get_consume_attrs_from_message(msg)
        return attrs | {"destination_name": family(attrs["destination_name"])}

    def get_publish_destination_name_from_cmd(self, cmd: Any) -> str:
        return family(super().get_publish_destination_name_from_cmd(cmd))


def _providers(msg: Any) -> Any:
    found = settings_provider_factory(msg)
    return _Provider() if type(found) is NatsMetricsSettingsProvider else found


_MIDDLEWARES: WeakKeyDictionary[CollectorRegistry, PrometheusMiddleware] = WeakKeyDictionary()


def metrics_middleware(registry: CollectorRegistry) -> PrometheusMiddleware:
    """FastStream's Prometheus middleware, with bounded subject labels.

    One per registry: the services of one process each have a broker, and all
    count into that process's metrics.
    """
    if registry not in _MIDDLEWARES:
        _MIDDLEWARES[registry] = PrometheusMiddleware(
            settings_provider_factory=_providers, registry=registry, app_name="forewarn"
        )
    return _MIDDLEWARES[registry]
