"""Project source files shared by the runner tests."""

# A session class whose every build leaves a file named after the process in ``builds/``, so a
# test can count how many sessions each runner built, and in which processes.
COUNTING_SESSION = """
    import os
    import time

    from statisfactory.session import BaseSession


    class CountingSession(BaseSession):
        pass


    @CountingSession.hook_post_init()
    def count_builds(session):
        folder = session.root / "builds"
        folder.mkdir(exist_ok=True)
        (folder / f"{os.getpid()}-{time.time_ns()}").touch()
"""
