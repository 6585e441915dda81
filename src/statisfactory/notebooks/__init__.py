"""Notebooks: compile ``craft``-tagged cells into modules, and the IPython extension."""
