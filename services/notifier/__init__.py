"""The notifier: emails with calendar invitations to each affected tenant."""
