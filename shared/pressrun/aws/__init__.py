"""Adapters: the small pieces that talk to AWS on the domain's behalf."""
