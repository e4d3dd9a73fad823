"""Change-freeze calendars ship as package data."""
