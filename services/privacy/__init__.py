"""Contacts are people: pseudonyms for the forgotten, and the files that hold addresses kept
private."""
