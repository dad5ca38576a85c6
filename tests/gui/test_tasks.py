"""The one way to run background work in the GUI (composer.gui.tasks): each task calls back
exactly once, with its result or its error, on the UI thread - and never into an owner that is
gone. Real threads on the real pool; the gate is a threading.Event, never a sleep."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, QThreadPool

from composer.gui.tasks import TaskRunner, run_task

WAIT = 10_000


def test_a_task_calls_back_once_with_its_result_or_its_error_on_the_ui_thread(qtbot) -> None:
    owner = QObject()
    runner = TaskRunner(owner)
    calls: list[tuple[str, object, bool]] = []
    ui = QThread.currentThread()

    def note(kind: str):
        return lambda value: calls.append((kind, value, QThread.currentThread() is ui))

    def boom() -> None:
        raise OSError("the disk said no")

    with qtbot.waitSignal(runner.idle, timeout=WAIT):
        runner.run(lambda: 42, note("result"), note("error"))
        runner.run(boom, note("result"), note("error"))
        assert runner.pending == 2
    assert runner.pending == 0
    assert sorted((k, str(v), on_ui) for k, v, on_ui in calls) == [
        ("error", "the disk said no", True),
        ("result", "42", True),
    ]


def test_no_callback_reaches_an_owner_deleted_while_its_task_ran(qtbot, capfd) -> None:
    gate = threading.Event()
    owner = QObject()
    runner = TaskRunner(owner)
    called: list[object] = []
    runner.run(lambda: gate.wait(WAIT / 1000), called.append, called.append)
    run_task(lambda: gate.wait(WAIT / 1000), called.append, called.append, owner=owner)
    with qtbot.waitSignal(owner.destroyed, timeout=WAIT):
        owner.deleteLater()
    gate.set()
    assert QThreadPool.globalInstance().waitForDone(WAIT)
    # one more turn of the event loop: anything queued for the dead owner would run now
    later = QObject()
    with qtbot.waitSignal(later.destroyed, timeout=WAIT):
        later.deleteLater()
    assert called == []
    assert capfd.readouterr().err == ""
