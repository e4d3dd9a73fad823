"""The services forewarn runs, in the order a stack starts them.

Apart from the runtime, so that the CLI can name them without loading them.
"""

SERVICES = ("scheduler", "impact", "notifier", "reporter", "statuspage", "inventory", "replies")
