"""The run history: every run, craft execution and artifact write of a project, and lineage.

- :mod:`~statisfactory.history.store`: the store (SQLite at ``<root>/.statisfactory/history.db``
  by default, any SQLAlchemy database with the ``history_url`` setting);
- :mod:`~statisfactory.history.fingerprints` and :mod:`~statisfactory.history.digests`: what a
  craft's code, parameters and artifacts are fingerprinted with;
- :mod:`~statisfactory.history.recorder`: recording one run;
- :mod:`~statisfactory.history.lineage`: what produced an artifact, recursively;
- :mod:`~statisfactory.history.volatiles`: the optional on-disk cache of volatiles;
- :mod:`~statisfactory.history.recording` and :mod:`~statisfactory.history.incremental`: the
  plugins a session adds to each of its runs (:meth:`BaseSession.run_plugins`): the run history,
  and for an incremental run the skip policy, which compares a craft with its recorded state
  (:mod:`~statisfactory.history.decisions`).
"""
