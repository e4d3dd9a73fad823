"""The published contracts, read off the code: every payload's JSON Schema and the AsyncAPI
document, written into schemas/ by `make schemas` and checked by `make test`."""
