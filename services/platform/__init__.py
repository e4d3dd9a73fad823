"""What every service stands on: settings, the store, logs, traces, metrics, an HTTP server, and
what the runtime asks of a service. It imports no service: the runtime (services/runtime/) composes them."""
