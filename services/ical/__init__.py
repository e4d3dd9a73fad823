"""iCalendar: invitations, updates and cancellations (RFC 5545/5546, MAINT-NOTE), and calendar feeds."""
