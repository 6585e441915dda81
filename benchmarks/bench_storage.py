"""Storage: artifacts on S3 (a moto server) and in PostgreSQL, through the catalog vs by hand.

Both sides do the same work in the same process against the same server: the catalog's save +
load of a DataFrame against the code a user would write without it (pandas + boto3 for S3,
pandas on the catalog's own engine for PostgreSQL). Runs alternate between the two sides and the
best of each is kept, so that a slow moment of the machine does not favour either.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _measure import new_project
from _servers import MotoServer, start_postgres
from _table import Row

S3_TARGET = 1.15
SQL_TARGET = 1.10
S3_ROWS = 5_000_000  # five float columns: about 200 MB of parquet
SQL_ROWS = 1_000_000


def best_of_alternating(*functions: Callable[[], object], repeat: int) -> list[float]:
    """The best wall time of each function, all run in turns ``repeat`` times (the order of the
    turn reversed every other time, so that neither side always runs first)."""
    best = [float("inf")] * len(functions)
    order = list(enumerate(functions))
    for turn in range(repeat):
        for side, function in order if turn % 2 == 0 else reversed(order):
            started = time.perf_counter()
            function()
            best[side] = min(best[side], time.perf_counter() - started)
    return best


def project(folder: Path, catalog: str, locals_yaml: str) -> Path:
    """A minimal project with one catalog file and the given settings."""
    new_project(folder, {"conf/locals.yaml": locals_yaml})
    (folder / "catalog" / "catalog.yaml").write_text(catalog)
    return folder


def row(figure: str, ours: float, theirs: float, who: str, target: float | None) -> Row:
    factor = ours / theirs
    return Row(
        "storage",
        figure,
        f"{ours:.2f}",
        f"{who} {theirs:.2f}",
        f"{factor:.2f}× the time",
        f"≤ {target:.2f}×" if target else "",
        factor <= target if target else None,
    )


# --- S3 -------------------------------------------------------------------------------------------
def s3_rows(folder: Path) -> list[Row]:
    import numpy as np
    import pandas as pd

    from statisfactory import Session
    from statisfactory.IO.backends.s3 import transfer_config

    server = MotoServer(authenticated=False)
    server.start()
    try:
        root = project(
            folder / "s3",
            '- {name: big, type: parquet, extra: {path: "s3://bench-bucket/catalog/big.parquet"}}\n',
            server.locals_yaml(),
        )
        catalog = Session(root_folder=root).catalog
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({f"c{i}": rng.normal(size=S3_ROWS) for i in range(5)})
        client = server.client()
        client.create_bucket(
            Bucket="bench-hand", CreateBucketConfiguration={"LocationConstraint": server.region}
        )
        size = len(frame.to_parquet())

        def through_the_catalog() -> None:
            catalog.save("big", frame)
            catalog.load("big")

        def by_hand(config: object) -> Callable[[], None]:
            def run() -> None:
                buffer = io.BytesIO()
                frame.to_parquet(buffer)
                buffer.seek(0)
                client.upload_fileobj(buffer, "bench-hand", "big.parquet", Config=config)
                received = io.BytesIO()
                client.download_fileobj("bench-hand", "big.parquet", received, Config=config)
                received.seek(0)
                pd.read_parquet(received)

            return run

        ours, same_settings, defaults = best_of_alternating(
            through_the_catalog, by_hand(transfer_config()), by_hand(None), repeat=3
        )
    finally:
        server.stop()
        server.log.unlink(missing_ok=True)
    figure = f"S3 (moto): save + load a {size / 1e6:.0f} MB parquet artifact (s)"
    return [
        row(figure, ours, same_settings, "pandas + boto3, same transfer settings", S3_TARGET),
        row(
            "  the same against boto3's default transfer settings (s)",
            ours,
            defaults,
            "pandas + boto3 defaults",
            None,
        ),
    ]


# --- PostgreSQL -----------------------------------------------------------------------------------
def sql_rows(folder: Path) -> list[Row]:
    import numpy as np
    import pandas as pd

    from statisfactory import Session
    from statisfactory.IO.interactors.sql import copy_rows

    server = start_postgres()
    try:
        root = project(
            folder / "sql",
            f'- {{name: sales, type: sql, extra: {{url: "{server.url()}", table: sales}}}}\n',
            "",
        )
        catalog = Session(root_folder=root).catalog
        engine = catalog.interactor("sales", {}).engine()
        rng = np.random.default_rng(0)
        frame = pd.DataFrame(
            {
                "id": np.arange(SQL_ROWS),
                "amount": rng.normal(size=SQL_ROWS),
                "shop": rng.choice(["north", "south", "east", "west"], SQL_ROWS),
                "day": pd.date_range("2020-01-01", periods=SQL_ROWS, freq="min"),
                "open": rng.choice([True, False], SQL_ROWS),
            }
        )

        def through_the_catalog() -> None:
            catalog.save("sales", frame)
            catalog.load("sales")

        def pandas_with(method: object) -> Callable[[], None]:
            def run() -> None:
                with engine.begin() as connection:
                    frame.to_sql(
                        "by_hand", connection, if_exists="replace", index=False, method=method
                    )
                with engine.connect() as connection:
                    pd.read_sql_table("by_hand", connection)

            return run

        ours, same_method = best_of_alternating(
            through_the_catalog, pandas_with(copy_rows), repeat=3
        )
        (default_inserts,) = best_of_alternating(pandas_with(None), repeat=1)
    finally:
        server.stop()
    figure = f"PostgreSQL: save + load {SQL_ROWS:,} rows (s)"
    return [
        row(figure, ours, same_method, "pandas, same engine, same COPY method", SQL_TARGET),
        row(
            "  the same against pandas' default INSERTs (s)",
            ours,
            default_inserts,
            "pandas to_sql default",
            None,
        ),
    ]


def run() -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="statisfactory-bench-storage-"))
    try:
        return s3_rows(folder) + sql_rows(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
