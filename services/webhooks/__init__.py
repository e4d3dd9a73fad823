"""Webhooks for tenants' automation: CloudEvents, signed as Standard Webhooks says, sent from JetStream."""
