"""The reporter: a completion report per ended window, for tenants and for ops."""
