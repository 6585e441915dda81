"""Shared by the command-line tests: a small shop project, and the real CLI's runner
(:func:`project_files.statisfactory`).

(Not a conftest.py: test modules import it, so that no second module named ``conftest``
shadows the root one that other tests import from.)
"""

from __future__ import annotations

from project_files import statisfactory

__all__ = ["SHOP", "statisfactory"]

SHOP = {
    "lib/shop/__init__.py": "",
    "lib/shop/crafts.py": """
        import time

        from statisfactory import Artifact, Craft, Volatile


        @Craft()
        def make_orders(n_orders: int = 3) -> Artifact("orders"):
            return [{"id": i, "amount": 10 * i} for i in range(1, n_orders + 1)]


        @Craft()
        def total(orders: Artifact, factor: float = 1.0) -> Volatile("revenue"):
            return sum(order["amount"] for order in orders) * factor


        @Craft()
        def write_total(revenue: Volatile, label: str = "total") -> Artifact("summary"):
            return {"label": label, "revenue": revenue}


        @Craft()
        def explode(orders: Artifact) -> Artifact("never"):
            raise ValueError("the orders are cursed")


        @Craft()
        def wait(orders: Artifact, seconds: float = 60.0) -> Volatile("waited"):
            time.sleep(seconds)
            return seconds
    """,
    "catalog/catalog.yaml": """
        - name: orders
          type: json
          extra: {path: "data/orders_!{n_orders}.json"}
          +tags: [raw]
        - name: summary
          type: json
          extra: {path: "data/summary_!{label}.json"}
          +tags: [report]
        - name: never
          type: json
          extra: {path: data/never.json}
        - name: warehouse
          type: sql
          extra: {url: "postgresql://bob:hunter2@db.example/shop", table: orders, password: hunter2}
          +tags: [db, report]
    """,
    "pipelines/definitions/pipelines.yaml": """
        orders:
          +tags: [shop]
          +operators: [shop.crafts.make_orders, shop.crafts.total, shop.crafts.write_total]
        broken:
          +tags: [shop, failing]
          +operators: [shop.crafts.make_orders, shop.crafts.explode]
        slow:
          +operators: [shop.crafts.make_orders, shop.crafts.wait]
    """,
    "pipelines/parameters/sets.yaml": """
        base:
          +tags: [small]
          n_orders: 4
        big:
          +from: [base]
          +tags: [large]
          n_orders: 10
          label: big
          shop.crafts.total: {factor: 2}
        secretive:
          api_token: s3cr3t-token
          database: {user: bob, password: hunter2}
    """,
}
