"""LatestWork: the thread that runs a node's heavy work off its executor (nodes/worker.py)."""
import threading
import time

from geotext_ros.nodes.worker import LatestWork


class Log:
    def __init__(self):
        self.errors = []

    def error(self, text, **kwargs):
        self.errors.append(text)


def wait_until(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.005)
    return pred()


def test_kicks_during_a_run_collapse_into_one_more_run_on_another_thread():
    started, release, runs, threads = threading.Event(), threading.Event(), [], []

    def work():
        threads.append(threading.current_thread().name)
        runs.append(time.monotonic())
        started.set()
        release.wait(5.0)

    worker = LatestWork("test-work", work, Log())
    worker.kick()
    assert started.wait(5.0)
    for _ in range(10):          # ten kicks while the first run is still going
        worker.kick()
    release.set()
    assert wait_until(lambda: len(runs) == 2)
    time.sleep(0.2)
    assert len(runs) == 2        # one more run, not ten queued ones
    assert set(threads) == {"test-work"} and threading.current_thread().name != "test-work"
    worker.stop()
    assert not worker.running


def test_a_failing_run_is_logged_and_the_next_kick_runs_again():
    log, runs = Log(), []

    def work():
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("bad frame")

    worker = LatestWork("test-fail", work, log)
    worker.kick()
    assert wait_until(lambda: log.errors)
    assert "test-fail failed: RuntimeError: bad frame" in log.errors[0]
    worker.kick()
    assert wait_until(lambda: len(runs) == 2)
    worker.stop()


def test_stop_waits_for_the_run_in_progress_and_nothing_runs_after_it():
    runs, done = [], threading.Event()

    def work():
        time.sleep(0.2)
        runs.append(1)
        done.set()

    worker = LatestWork("test-stop", work, Log())
    worker.kick()
    time.sleep(0.05)
    worker.stop()
    assert done.is_set() and not worker.running   # stop returned after the run in progress had ended
    worker.kick()
    time.sleep(0.1)
    assert runs == [1]
