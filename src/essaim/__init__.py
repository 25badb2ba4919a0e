"""Essaim: a free, self-hostable platform for French associations."""
