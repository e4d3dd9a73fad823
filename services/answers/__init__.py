"""Tenants' answers to notices: the signed links that ask for them, and the store that keeps them."""
