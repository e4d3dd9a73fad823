"""OpenTelemetry traces: one booking followed through every service.

FastStream's telemetry middleware opens a span for each message consumed and
published, and carries the trace context in the message headers; so the spans
of a booking, from `forewarn book` to the last notice, form one trace.
"""

from __future__ import annotations

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from .config import CommonSettings


def tracer_provider(settings: CommonSettings, name: str) -> TracerProvider | None:
    """Spans of the process `forewarn-NAME`, sent to FOREWARN_OTLP_ENDPOINT; None when tracing is off."""
    if not settings.otlp_endpoint:
        return None
    # Imported only when used: the exporter pulls in an HTTP client.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint)
    provider = TracerProvider(resource=Resource.create({"service.name": f"forewarn-{name}"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider
