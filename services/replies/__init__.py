"""Tenants answering from their calendars: iMIP replies read from the organizer's mailbox."""
