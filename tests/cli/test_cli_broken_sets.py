"""One broken parameter set does not block the others: it is an error only when used."""

from pathlib import Path

from shop_project import SHOP, statisfactory

BROKEN = """
    cyclic:
      +from: [looping]
      n_orders: 2
    looping:
      +from: [cyclic]
    orphan:
      +from: [nowhere]
    bad_merge:
      +merge: sideways
      n_orders: 3
"""


def _shop_with_broken_sets(project_factory) -> Path:
    return project_factory({**SHOP, "pipelines/parameters/broken.yaml": BROKEN}, name="shop")


def test_a_good_set_runs_beside_broken_ones(project_factory) -> None:
    root = _shop_with_broken_sets(project_factory)

    result = statisfactory("run", "orders", "big", cwd=root)

    assert result.returncode == 0, result.stderr
    assert (root / "data/summary_big.json").exists()


def test_using_a_broken_set_is_its_own_error(project_factory) -> None:
    root = _shop_with_broken_sets(project_factory)

    result = statisfactory("run", "orders", "orphan", cwd=root)

    assert result.returncode == 2, result.stderr
    assert "'nowhere'" in result.stderr and "Traceback" not in result.stderr
    assert not (root / "data").exists()


def test_configurations_ls_lists_broken_sets_with_their_error(project_factory) -> None:
    root = _shop_with_broken_sets(project_factory)

    result = statisfactory("configurations", "ls", cwd=root)

    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "n_orders" in lines["big"]
    for name in ("cyclic", "looping", "orphan", "bad_merge"):
        assert "broken" in lines[name], result.stdout
    assert "sideways" in result.stdout and "inherits from itself" in result.stdout
