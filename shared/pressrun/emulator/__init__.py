"""The embedded default: the whole stack on one machine, on an in-process moto."""
