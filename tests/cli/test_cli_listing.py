"""``pipelines``, ``configurations`` and ``artifacts``: ls with --select, describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from shop_project import SHOP, statisfactory


@pytest.fixture
def shop(project_factory) -> Path:
    """A project with three pipelines (orders, broken, slow) and three parameter sets."""
    return project_factory(SHOP, name="shop")


def test_pipelines_ls_lists_names_tags_operators_and_files(shop: Path) -> None:
    result = statisfactory("pipelines", "ls", cwd=shop)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Pipelines of demo"
    orders = next(line for line in lines if line.strip().startswith("orders"))
    assert "shop" in orders
    assert "shop.crafts.make_orders, shop.crafts.total, shop.crafts.write_total" in orders
    assert "pipelines/definitions/pipelines.yaml" in orders
    assert any(line.strip().startswith("slow") for line in lines)


def test_pipelines_ls_does_not_import_the_project_code(project_factory) -> None:
    root = project_factory(
        {
            "lib/boom.py": "raise RuntimeError('imported!')\n",
            "pipelines/definitions/p.yaml": "p: [boom.craft]\n",
        }
    )
    result = statisfactory("pipelines", "ls", cwd=root)

    assert result.returncode == 0, result.stderr
    assert "boom.craft" in result.stdout


def names(listing: str) -> set[str]:
    """The first column of a plain listing: its title and header lines skipped."""
    return {line.split()[0] for line in listing.splitlines()[2:] if line.strip() != "(none)"}


def test_select_keeps_entries_with_any_of_the_tags(shop: Path) -> None:
    assert names(statisfactory("pipelines", "ls", cwd=shop).stdout) == {"orders", "broken", "slow"}
    failing = statisfactory("pipelines", "ls", "--select", "failing", cwd=shop).stdout
    assert names(failing) == {"broken"}

    both = statisfactory("pipelines", "ls", "--select", "failing, shop", cwd=shop).stdout
    assert names(both) == {"broken", "orders"}

    none = statisfactory("pipelines", "ls", "--select", "nothing", cwd=shop).stdout
    assert "(none)" in none and names(none) == set()


def test_pipelines_describe_shows_batches_and_data(shop: Path) -> None:
    result = statisfactory("pipelines", "describe", "orders", cwd=shop)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "tags: shop" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [row[0:2] for row in rows] == [
        ["1", "shop.crafts.make_orders"],
        ["2", "shop.crafts.total"],
        ["3", "shop.crafts.write_total"],
    ]
    assert "orders (artifact)" in out and "revenue (volatile)" in out


def test_pipelines_describe_unknown_and_broken(project_factory, shop: Path) -> None:
    unknown = statisfactory("pipelines", "describe", "order", cwd=shop)
    assert unknown.returncode == 2
    assert "Did you mean orders" in unknown.stderr

    root = project_factory({"pipelines/definitions/p.yaml": "p: [missing.module.craft]\n"})
    broken = statisfactory("pipelines", "describe", "p", cwd=root)
    assert broken.returncode == 2
    assert "missing.module" in broken.stderr and "Traceback" not in broken.stderr


def test_configurations_ls_and_select(shop: Path) -> None:
    result = statisfactory("configurations", "ls", cwd=shop)
    assert result.returncode == 0, result.stderr
    big = next(line for line in result.stdout.splitlines() if line.strip().startswith("big"))
    assert "large" in big and "n_orders" in big and "shop.crafts.total" in big

    small = statisfactory("configurations", "ls", "--select", "small", cwd=shop).stdout
    assert names(small) == {"base"}


def test_configurations_describe_prints_the_resolved_set(shop: Path) -> None:
    import yaml

    result = statisfactory("configurations", "describe", "big", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert "# parameter set big, declared in pipelines/parameters/sets.yaml" in result.stdout
    assert yaml.safe_load(result.stdout) == {
        "n_orders": 10,
        "label": "big",
        "shop.crafts.total": {"factor": 2},
    }


def test_configurations_describe_hides_secrets(shop: Path) -> None:
    result = statisfactory("configurations", "describe", "secretive", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert "s3cr3t" not in result.stdout and "hunter2" not in result.stdout
    assert "user: bob" in result.stdout


def test_artifacts_ls_with_select(shop: Path) -> None:
    result = statisfactory("artifacts", "ls", cwd=shop)
    assert result.returncode == 0, result.stderr
    orders = next(line for line in result.stdout.splitlines() if line.strip().startswith("orders"))
    assert "json" in orders and "data/orders_!{n_orders}.json" in orders and "raw" in orders
    assert "hunter2" not in result.stdout

    report = statisfactory("artifacts", "ls", "--select", "report", cwd=shop).stdout
    assert names(report) == {"summary", "warehouse"}


def test_artifacts_describe_hides_secrets(shop: Path) -> None:
    import yaml

    result = statisfactory("artifacts", "describe", "warehouse", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    entry = yaml.safe_load(result.stdout)
    assert entry["type"] == "sql"
    assert entry["extra"]["password"] == "***"
    assert entry["extra"]["url"] == "postgresql://bob:***@db.example/shop"
    assert entry["tags"] == ["db", "report"]


def test_artifacts_describe_unknown_suggests(shop: Path) -> None:
    result = statisfactory("artifacts", "describe", "summery", cwd=shop)

    assert result.returncode == 2
    assert "'summary'" in result.stderr and "Traceback" not in result.stderr


def test_broken_catalog_is_one_message_naming_the_file(project_factory) -> None:
    root = project_factory({"catalog/bad.yaml": "- name: x\n  type: [unclosed\n"})
    result = statisfactory("artifacts", "ls", cwd=root)

    assert result.returncode == 2
    assert "bad.yaml" in result.stderr
    assert "Traceback" not in result.stderr
