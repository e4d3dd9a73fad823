"""What composes the services: one process's stack, its health, and the schema of every service's tables."""
