"""Switching profile inside the app, without restarting the process."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlkwatch.app.screens.profiles import ProfileScreen
from mlkwatch.config import parse_settings
from mlkwatch.sim import Simulator
from tests.app.conftest import AppFactory
from tests.app.test_monitor import SIZE, wait_for


def two_profiles(sim: Simulator) -> str:
    return f"""
default_profile = "ops"

[profiles.ops]
base_url = "{sim.base_url}"
token_env = "MLK_TEST_OPS"

[profiles.audit]
base_url = "{sim.base_url}"
token_env = "MLK_TEST_AUDIT"
"""


async def test_choosing_a_profile_checks_it_and_hands_it_to_the_launcher(
    make_app: AppFactory,
    sim: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLK_TEST_OPS", sim.tokens["operator"])
    monkeypatch.setenv("MLK_TEST_AUDIT", sim.tokens["viewer"])
    settings, problems = parse_settings(two_profiles(sim), base_dir=tmp_path)
    assert problems == ()
    app = make_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.store) > 0)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ProfileScreen))
        await pilot.press("enter")  # profiles are sorted: "audit" comes first
        await wait_for(pilot, lambda: app.switch_to is not None)
    assert app.switch_to is not None
    target, me = app.switch_to
    assert target.profile == "audit"
    assert me.token.role == "viewer"


async def test_a_profile_without_its_token_is_refused_in_place(
    make_app: AppFactory,
    sim: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MLK_TEST_AUDIT", raising=False)
    settings, _ = parse_settings(two_profiles(sim), base_dir=tmp_path)
    app = make_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ProfileScreen))
        await pilot.press("enter")  # "audit", whose variable is unset
        await pilot.pause(0.3)
        assert app.switch_to is None
        assert app.is_running
        messages = " ".join(n.message for n in app._notifications)
        assert "MLK_TEST_AUDIT" in messages


async def test_a_broken_config_file_is_reported_and_defaults_used(
    make_app: AppFactory, tmp_path: Path
) -> None:
    broken = 'theme = "nope"\n[notify]\nbell = "yes"\n'
    settings, problems = parse_settings(broken, base_dir=tmp_path)
    assert problems, "the broken file must yield problems"
    app = make_app(settings=settings, config_problems=[str(p) for p in problems])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app._notifications))
        text = " ".join(n.message for n in app._notifications)
        assert "line 3" in text and "notify.bell" in text
        assert "default settings" in text
        assert app.is_running
        assert not app.settings.notify.bell


async def test_a_misspelt_key_id_is_named_and_the_rest_apply(
    make_app: AppFactory, tmp_path: Path
) -> None:
    keys = '[keys]\n"run.cancle" = "x"\n"runs.failed" = "ctrl+f"\n'
    settings, problems = parse_settings(keys, base_dir=tmp_path)
    assert problems == ()
    app = make_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app._notifications))
        text = " ".join(n.message for n in app._notifications)
        assert "'run.cancle'; did you mean 'run.cancel'?" in text
        assert "runs.failed" not in text
        await wait_for(pilot, lambda: len(app.store) > 0)
        await pilot.press("ctrl+f")  # the remapped quick filter
        await wait_for(
            pilot,
            lambda: (
                "status:failed" in str(app.screen.query_one("#runs-title").render())
            ),
        )
