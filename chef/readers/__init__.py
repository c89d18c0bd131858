"""Readers: one module per input format, each turning files on disk into a `chef.model.Project`.

Only readers touch the project's files. `chef.detect` decides which reader applies.
"""
