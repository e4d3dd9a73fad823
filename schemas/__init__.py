"""Event and command contracts of forewarn: each payload is defined once, here."""
