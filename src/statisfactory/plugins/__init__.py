"""Plugins: packaged interactors, backends, runners and hook plugins, found by entry points.

See :mod:`statisfactory.hookspecs` for the hooks, :mod:`.entry_points` for the groups,
:mod:`.manager` for how a session and a run gather their hook plugins, and :mod:`.relay` for
how a run calls them.
"""
