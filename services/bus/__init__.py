"""The maintenance stream on NATS JetStream: declaration, consumers, publishing."""
