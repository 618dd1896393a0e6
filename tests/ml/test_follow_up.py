"""The follow-up question asked when a ticket says too little: specific to the categories the
model weighed, generic when it knows none of them, and it names what the text lacks."""

from __future__ import annotations

import pytest

from ml.follow_up import follow_up_question, topic_of

VAGUE = "it doesn't work"


def test_a_network_candidate_asks_which_network_or_vpn_and_the_error():
    question = follow_up_question([("network", 0.7), ("hardware", 0.1)], VAGUE)
    assert "Which network or VPN" in question and "what error do you see" in question
    assert "device (make and model)" not in question


def test_a_hardware_candidate_asks_which_device_and_what_happens():
    question = follow_up_question([("Hardware", 0.6), ("Software", 0.1)], VAGUE)
    assert "Which device is it (make and model)" in question
    assert "what happens when you switch it on" in question


@pytest.mark.parametrize(
    ("category", "asks"),
    [
        ("Access & Accounts", "Which account or system"),
        ("Email", "Which mail app"),
        ("Printing", "Which printer"),
        ("Cloud & SaaS", "Which cloud service"),
        ("Security", "What did you notice"),
        ("software", "Which application"),
        ("Wi-Fi", "Which network or VPN"),
    ],
)
def test_each_topic_asks_for_its_own_subject(category, asks):
    assert asks in follow_up_question([(category, 0.8)], VAGUE)


def test_short_keywords_match_whole_words_only():
    # "wi" of "Wi-Fi" is a network word; "Windows" is not a network, "Landscape" not a LAN.
    assert topic_of("Wi-Fi") is topic_of("Network") is not None
    assert topic_of("Windows desktops") is topic_of("Hardware")
    assert topic_of("Landscape") is None and topic_of("Apples") is None


def test_two_close_candidates_ask_which_of_the_two_it_is():
    question = follow_up_question([("hardware", 0.31), ("network", 0.25), ("email", 0.1)], VAGUE)
    assert question.count("?") >= 2
    assert "Is it about a device (which model?) or the network (which network or VPN?)" in question


def test_a_clear_leader_is_asked_about_alone():
    question = follow_up_question([("hardware", 0.6), ("network", 0.2)], VAGUE)
    assert "Is it about" not in question and "network" not in question.lower()


def test_candidates_it_knows_no_topic_for_get_the_generic_question():
    for candidates in ([], [("Plumbing", 0.9), ("Catering", 0.05)]):
        question = follow_up_question(candidates, "asdf qwer zxcv")
        assert "Which device or application is it" in question
        assert "what error text do you see" in question and "since when" in question


def test_it_says_which_details_are_missing():
    question = follow_up_question([("network", 0.7)], VAGUE)
    assert question.startswith("Your ticket doesn't name the network, quote the error or say since")


def test_details_the_text_has_are_not_asked_for():
    text = 'The VPN says "connection refused by gateway" since Monday'
    question = follow_up_question([("network", 0.7)], text)
    assert "doesn't" not in question and "error" not in question and "Since when" not in question
    assert question == "Which network or VPN are you on?"


@pytest.mark.parametrize(
    "text",
    [
        "Outlook fails with error 0x800CCC0E",
        "it shows ERR-5012 on start",
        "error: cannot reach host",
        "the message is 'disk not found'",
    ],
)
def test_an_error_code_or_quoted_text_counts_as_error_text(text):
    assert "quote the error" not in follow_up_question([("software", 0.6)], text)


def test_apostrophes_are_not_quoted_error_text():
    question = follow_up_question([("access", 0.6)], "I can't log in, it won't let me")
    assert "quote the error" in question


def test_the_question_is_short():
    worst = follow_up_question([("security", 0.4), ("printing", 0.39)], VAGUE)
    assert len(worst) < 300
