"""A second SIGTERM cuts a render at once, but never a call to the job store in the middle of it."""
from __future__ import annotations

import pytest

from cinealert.service.worker import _HandBack, _Interrupts


def test_inside_the_render_the_job_is_handed_back_at_once():
    cut = _Interrupts()
    reached = []
    with pytest.raises(_HandBack):
        with cut.render():
            reached.append("render")
            cut.hand_back()
            reached.append("after")              # not reached: the hand-back is raised where the signal came
    assert reached == ["render"]


def test_a_store_call_runs_whole_and_the_hand_back_follows_it():
    cut = _Interrupts()
    done = []
    with pytest.raises(_HandBack):
        with cut.render():
            with cut.store_call():
                cut.hand_back()                  # the signal arrives mid-transaction: nothing is raised here
                done.append("committed")
            done.append("rendering on")          # not reached: raised as soon as the store call is over
    assert done == ["committed"]


def test_a_request_before_the_render_stops_it_at_its_start():
    cut = _Interrupts()
    cut.hand_back()                              # between the claim and the render
    with pytest.raises(_HandBack):
        with cut.render():
            pytest.fail("the render should not start")
