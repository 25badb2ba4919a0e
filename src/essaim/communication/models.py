"""Audiences (saved segments over Persons), mailings and their deliveries, newsletter lists,
the association's public page and its news posts."""
