"""Mail for tenants and ops: composing notices, sending them, and the ledger that sends each once."""
