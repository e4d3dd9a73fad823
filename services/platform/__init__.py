"""What runs every service: settings, the store and its migrations, logs, traces, /health and
/metrics, and the runtime that builds and starts the services of one process."""
