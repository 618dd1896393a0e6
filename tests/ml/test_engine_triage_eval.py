"""`manage.py triage_eval`: CSV in, per-row predictions and both scores out, no database."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ml.engine import macro_f1

from .engine_data import tickets


def _write(path, rows, header=("subject", "body", "queue")):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _split(tmp_path, n_train=120, n_test=30):
    train_texts, train_labels, _ = tickets(n_train, seed=10)
    test_texts, test_labels, _ = tickets(n_test, seed=11)
    train = _write(
        tmp_path / "train.csv",
        [
            (t.split()[0], " ".join(t.split()[1:]), y)
            for t, y in zip(train_texts, train_labels, strict=True)
        ],
    )
    test = _write(
        tmp_path / "test.csv",
        [
            (t.split()[0], " ".join(t.split()[1:]), y)
            for t, y in zip(test_texts, test_labels, strict=True)
        ],
    )
    return train, test, test_labels


def test_trains_predicts_and_reports_both_models(tmp_path):
    train, test, truth = _split(tmp_path)
    out = tmp_path / "predictions.csv"
    stdout = StringIO()
    call_command(
        "triage_eval",
        "--train",
        str(train),
        "--test",
        str(test),
        "--text-col",
        "subject,body",
        "--label-col",
        "queue",
        "--predictions-out",
        str(out),
        "--time-budget",
        "60",
        stdout=stdout,
    )
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["row"] for r in rows] == [str(i) for i in range(len(truth))]
    assert [r["label"] for r in rows] == truth
    assert all(0.0 < float(r["confidence"]) <= 1.0 for r in rows)
    score = macro_f1(truth, [r["predicted"] for r in rows])
    assert score > 0.9
    printed = stdout.getvalue()
    assert f"product            macro-F1 {score:.4f}" in printed
    assert "TF-IDF+LinearSVC   macro-F1" in printed and "accuracy" in printed
    assert "strategy: frozen (cold start" in printed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--train": "missing.csv"}, "no such file"),
        ({"--text-col": "subject,title"}, "missing column(s) title"),
        ({"--label-col": "category"}, "missing column(s) category"),
        ({"--time-budget": "0"}, "positive"),
    ],
)
def test_bad_input_is_a_command_error(tmp_path, change, message):
    train, test, _ = _split(tmp_path, 8, 4)
    args = {
        "--train": str(train),
        "--test": str(test),
        "--text-col": "subject,body",
        "--label-col": "queue",
        "--predictions-out": str(tmp_path / "out.csv"),
    }
    for key, value in change.items():
        args[key] = str(tmp_path / value) if key == "--train" else value
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("triage_eval", *[x for pair in args.items() for x in pair])


def test_empty_or_single_class_training_data_is_a_command_error(tmp_path):
    _, test, _ = _split(tmp_path, 8, 4)
    empty = _write(tmp_path / "empty.csv", [])
    one_class = _write(tmp_path / "one.csv", [("vpn", "down", "network")] * 10)
    common = [
        "--test",
        str(test),
        "--text-col",
        "subject,body",
        "--label-col",
        "queue",
        "--predictions-out",
        str(tmp_path / "out.csv"),
    ]
    with pytest.raises(CommandError, match="no data rows"):
        call_command("triage_eval", "--train", str(empty), *common)
    with pytest.raises(CommandError, match="two categories"):
        call_command("triage_eval", "--train", str(one_class), *common)
