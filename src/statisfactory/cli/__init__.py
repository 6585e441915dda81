"""The ``statisfactory`` command line (click); the commands import the library lazily."""
