"""Templates (emails) ship as package data."""
