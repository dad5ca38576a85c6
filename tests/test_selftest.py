"""`composer --self-test` from source: the same check the installers run on the bundle."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_self_test_passes_and_leaves_composer_home_alone(run_composer, composer_home) -> None:
    # conftest sets QT_QPA_PLATFORM=offscreen and, for root in CI, QTWEBENGINE_DISABLE_SANDBOX
    before = sorted(p.name for p in composer_home.rglob("*")) if composer_home.exists() else []
    r = run_composer("--self-test", timeout=180)
    assert r.code == 0, r.out + r.err
    for check in ("resources", "send", "tls", "keyring", "gui"):
        assert f"ok   {check}:" in r.out, r.out
    assert "self-test passed" in r.out
    after = sorted(p.name for p in composer_home.rglob("*")) if composer_home.exists() else []
    assert after == before  # it used a throw-away COMPOSER_HOME


def test_self_test_without_gui_needs_no_qt(run_composer) -> None:
    r = run_composer("--self-test", env={"COMPOSER_SELFTEST_GUI": "0"})
    assert r.code == 0, r.out + r.err
    assert "ok   send:" in r.out
    assert "gui:" not in r.out


def test_sample_draft_for_the_bundle_dry_run_is_valid(run_composer) -> None:
    draft = ROOT / "installers" / "sample-draft.json"
    assert json.loads(draft.read_text())["format"] == "composer-draft"
    r = run_composer("send", "--dry-run", "--draft", str(draft))
    assert r.code == 0, r.err
    assert "RCPT TO:<reader@example.com>" in r.out
