"""The wizard's flow table: next step, skipped steps and the steps to a landing, per tenant
kind (no Pilot: plain functions of the facts)."""

from __future__ import annotations

import dataclasses

import pytest

from tui_app.wizard.flow import (
    FLOW,
    FLOWS,
    STEPS,
    Facts,
    next_step,
    skipped_steps,
    step_names,
    steps_until,
)

#: A classic tenant: folders, a process released to two environments.
CLASSIC = Facts(connected=True, folders=3, release_chosen=True, releases=2, has_arguments=True)
#: A modern folder: one release of the process, no input arguments.
MODERN = Facts(connected=True, folders=2, release_chosen=True, releases=1, has_arguments=False)
#: A tenant without folders (old on-prem): one release.
NO_FOLDERS = Facts(connected=True, folders=0, release_chosen=True, releases=1)
#: Adding a queue item in a tenant with folders.
QUEUE = Facts(connected=True, folders=2, action="add_queue_item")


def walk(facts: Facts) -> list:
    steps = ["Connect"]
    while steps[-1] != step_names(facts)[-1]:
        steps.append(next_step(steps[-1], facts))
    return steps


def test_the_table_is_the_step_list_shared_by_the_indicator_and_the_screens():
    from tui_app.ui import widgets
    from tui_app.ui.screens import _WHERE, screen_class

    assert tuple(step.name for step in FLOW) == STEPS
    assert STEPS == ("Connect", "Folder", "Action", "Process", "Release", "Strategy",
                     "Options", "Arguments", "Review", "Run")
    assert step_names(QUEUE) == ("Connect", "Folder", "Action", "Queue", "Content", "Item",
                                 "Review", "Monitor")
    assert widgets.STEPS is STEPS
    assert set(_WHERE) == {(action, step.name) for action, steps in FLOWS.items()
                           for step in steps}
    for action in FLOWS:
        names = step_names(Facts(action=action))
        assert [screen_class(step, action).STEP for step in names] == list(names)
    assert screen_class("Review", "add_queue_item") is not screen_class("Review")


@pytest.mark.parametrize(
    "facts, expected",
    [
        (CLASSIC, list(STEPS)),
        (MODERN, ["Connect", "Folder", "Action", "Process", "Strategy", "Options", "Review",
                  "Run"]),
        (NO_FOLDERS, ["Connect", "Action", "Process", "Strategy", "Options", "Arguments",
                      "Review", "Run"]),
        (QUEUE, ["Connect", "Folder", "Action", "Queue", "Content", "Item", "Review",
                 "Monitor"]),
        (dataclasses.replace(QUEUE, folders=0), ["Connect", "Action", "Queue", "Content",
                                                 "Item", "Review", "Monitor"]),
    ],
    ids=["classic", "modern", "no-folders", "queue", "queue-no-folders"],
)
def test_next_step_skips_what_the_choices_make_useless(facts, expected):
    assert walk(facts) == expected
    assert next_step(expected[-1], facts) == expected[-1]


def test_skipped_steps_are_only_told_once_known():
    assert skipped_steps(Facts()) == ()  # not connected: a folder step may still come
    assert skipped_steps(Facts(connected=True)) == ("Folder",)
    assert skipped_steps(Facts(connected=True, folders=1, releases=1)) == ()  # no release yet
    assert skipped_steps(MODERN) == ("Release", "Arguments")
    assert skipped_steps(NO_FOLDERS) == ("Folder", "Release")
    assert skipped_steps(CLASSIC) == ()


def test_steps_until_a_landing_open_every_step_in_between():
    assert steps_until("Review", CLASSIC) == ["Folder", "Action", "Process", "Release",
                                              "Strategy", "Options", "Arguments", "Review"]
    assert steps_until("Strategy", NO_FOLDERS) == ["Action", "Process", "Strategy"]
    assert steps_until("Folder", CLASSIC) == ["Folder"]
    # A landing the facts skip is never passed: the walk stops at Review.
    assert steps_until("Arguments", MODERN) == ["Folder", "Action", "Process", "Strategy",
                                                "Options", "Review"]
    assert steps_until("Item", QUEUE) == ["Folder", "Action", "Queue", "Content", "Item"]
    assert steps_until("Review", QUEUE) == ["Folder", "Action", "Queue", "Content", "Item",
                                            "Review"]
