"""``runs ls`` and ``runs show``: telling runs apart."""

from __future__ import annotations

from shop_project import SHOP, statisfactory


def test_runs_ls_shows_each_runs_overrides_and_show_names_an_unknown_run(project_factory) -> None:
    shop = project_factory(SHOP, name="shop")
    for args in (
        ("base",),
        ("base", "--param", "label=x", "--param", "shop.crafts.total:factor=3"),
        ("--param", "n_orders=5"),
    ):
        ran = statisfactory("run", "orders", *args, cwd=shop)
        assert ran.returncode == 0, ran.stderr

    listing = statisfactory("runs", "ls", cwd=shop)
    assert listing.returncode == 0, listing.stderr
    rows = [line for line in listing.stdout.splitlines() if " orders " in line]
    assert len(rows) == 3
    newest, overridden, plain = rows
    assert " +n_orders=5 " in newest  # no set: every parameter given is an override
    assert "base +label=x +shop.crafts.total:factor=3" in overridden
    assert "base" in plain and "+" not in plain.split("base", 1)[1].split()[0]

    unknown = statisfactory("runs", "show", "zzzz", cwd=shop)
    assert unknown.returncode == 2
    assert "matches no recorded run" in unknown.stderr
    assert "longer prefix" not in unknown.stderr


def test_runs_ls_keeps_secret_overrides_masked(project_factory) -> None:
    shop = project_factory(SHOP, name="shop")
    ran = statisfactory("run", "orders", "base", "--param", "api_token=hush-hush-1234", cwd=shop)
    assert ran.returncode == 0, ran.stderr

    listing = statisfactory("runs", "ls", cwd=shop)
    assert "hush-hush-1234" not in listing.stdout + listing.stderr
    assert "+api_token=" in listing.stdout
