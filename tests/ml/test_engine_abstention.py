"""Knowing when it doesn't know, and saying why: the final confidence, per-class thresholds,
"needs more detail", explanations (terms and neighbours) and the reference set, on a real
model trained on synthetic tickets."""

import numpy as np
import pytest
import torch

from ml.engine import TrainConfig, TriageModel, train_triage
from ml.engine.confidence import (
    NEVER,
    ConfidenceModel,
    class_thresholds,
    fit_confidence,
    junk_texts,
    without_class,
)
from ml.engine.reference import ReferenceSet

from .engine_data import CATEGORY_WORDS, tickets

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    texts, categories, priorities = tickets(200, seed=11)
    keys = [f"ticket:{i}" for i in range(len(texts))]
    titles = [t[:30] for t in texts]
    model = train_triage(
        texts,
        categories,
        priorities,
        config=TrainConfig(console_progress=False),
        keys=keys,
        titles=titles,
    )
    path = tmp_path_factory.mktemp("abstain") / "v1"
    model.save(path)
    return model, TriageModel.load(path), texts, categories


VAGUE = ["it doesn't work", "help", "problem", "please fix"]
JUNK = ["qwzx vbnm", "1234 5678 90", "zzzz zzzz", "!!! ???"]


def test_clear_tickets_are_confident_and_vague_or_junk_ones_are_not(trained):
    model, _, _, _ = trained
    clear, truth, _ = tickets(40, seed=99)
    sure = model.predict(clear)
    assert np.mean([p == t for p, t in zip(sure.categories, truth, strict=True)]) > 0.9
    vague = model.predict(VAGUE + JUNK)
    assert np.mean(vague.category_confidences) < 0.5
    assert np.mean(sure.category_confidences) > np.mean(vague.category_confidences) + 0.3
    # The blend alone is sure of some junk: the final confidence is what catches it.
    assert max(vague.blend_confidences) > max(vague.category_confidences)


def test_vague_and_junk_tickets_abstain_and_ask_for_detail(trained):
    model, _, _, _ = trained
    out = model.predict(VAGUE + JUNK, precision_target=0.95)
    assert all(out.abstained)
    assert all(out.needs_detail)
    clear, _, _ = tickets(20, seed=5)
    sure = model.predict(clear, precision_target=0.95)
    assert np.mean(sure.abstained) < 0.5
    assert not any(d for d, a in zip(sure.needs_detail, sure.abstained, strict=True) if not a)


def test_a_higher_precision_target_never_triages_more_tickets(trained):
    model, _, _, _ = trained
    texts, _, _ = tickets(60, seed=21)
    texts += [" ".join(t.split()[:2]) for t in texts[:20]]
    kept = [
        sum(not a for a in model.predict(texts, precision_target=t).abstained)
        for t in (0.6, 0.9, 0.999)
    ]
    assert kept[0] >= kept[1] >= kept[2]


def test_explanation_terms_are_the_ticket_words_that_carry_the_class(trained):
    model, _, _, _ = trained
    out = model.predict(["the vpn router drops my wifi since today"], explain=True)
    assert out.categories == ["network"]
    terms = out.explanations[0]["terms"]
    assert terms, "a lexical model always has words to show"
    top = terms[0]
    assert top["term"] in CATEGORY_WORDS["network"] and top["weight"] > 0
    written = set("the vpn router drops my wifi since today".split())
    assert {t["term"] for t in terms} <= written
    weights = [abs(t["weight"]) for t in terms]
    assert weights == sorted(weights, reverse=True)


def test_explanation_neighbours_are_labelled_training_tickets_with_keys(trained):
    model, loaded, texts, categories = trained
    out = loaded.predict([texts[7]], explain=True)
    neighbours = out.explanations[0]["neighbours"]
    assert len(neighbours) == 3
    assert neighbours[0]["key"] == "ticket:7"  # the ticket itself is in the reference set
    assert neighbours[0]["similarity"] > 0.99
    assert neighbours[0]["label"] == categories[7]
    sims = [n["similarity"] for n in neighbours]
    assert sims == sorted(sims, reverse=True)
    assert model.predict(["x"]).explanations == []  # only when asked


def test_loaded_model_gives_the_same_confidence_and_decisions(trained):
    model, loaded, _, _ = trained
    texts, _, _ = tickets(15, seed=31)
    texts += VAGUE
    a, b = model.predict(texts), loaded.predict(texts)
    assert a.categories == b.categories
    assert a.abstained == b.abstained
    assert np.allclose(a.category_confidences, b.category_confidences, atol=0.02)


def test_metadata_records_the_confidence_model_and_blend(trained):
    model, _, _, _ = trained
    confidence = model.metadata["training"]["confidence"]
    assert confidence["features"] and len(confidence["coef"]) == len(confidence["features"])
    blend = model.metrics["category"]["blend"]
    assert set(blend["weights"]) <= {"encoder", "embedding", "lexical"}
    assert 0.0 <= blend["prior_weight"] <= 1.0


def test_class_thresholds_reach_the_target_on_the_rows_they_were_chosen_on():
    rng = np.random.default_rng(0)
    n = 2000
    predicted = rng.integers(0, 3, size=n)
    confidence = rng.uniform(size=n)
    # Class 2 is right far less often at the same confidence.
    correct = rng.uniform(size=n) < np.where(predicted == 2, confidence * 0.7, confidence)
    thresholds = class_thresholds(predicted, confidence, correct, 3, 0.9)
    assert thresholds[2] > thresholds[0]
    for c in range(3):
        kept = (predicted == c) & (confidence >= thresholds[c])
        if thresholds[c] < NEVER:
            assert correct[kept].mean() >= 0.9
    # An unreachable target leaves every class to an expert.
    assert (class_thresholds(predicted, confidence * 0.1, correct & False, 3, 0.95) == NEVER).all()


def test_rare_classes_share_the_pooled_threshold():
    predicted = np.array([0] * 100 + [1] * 3)
    confidence = np.r_[np.linspace(0.01, 1, 100), [0.99, 0.98, 0.97]]
    correct = np.r_[np.linspace(0.01, 1, 100) > 0.3, [True, True, True]]
    thresholds = class_thresholds(predicted, confidence, correct, 2, 0.95)
    pooled = class_thresholds(np.zeros(103, dtype=int), confidence, correct, 1, 0.95)[0]
    assert thresholds[1] == pooled


def test_confidence_model_round_trips_and_learns_the_sign_of_its_features():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 7))
    correct = (x[:, 2] + 0.3 * rng.normal(size=500)) > 0  # familiarity decides
    model = fit_confidence(x, correct)
    assert model.coef[2] > 0
    again = ConfidenceModel.from_dict(model.as_dict())
    assert np.allclose(again.confidence(x), model.confidence(x))
    with pytest.raises(ValueError):
        ConfidenceModel.from_dict({**model.as_dict(), "features": ["other"]})


def test_without_class_removes_a_class_and_renormalises():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    q = without_class(p, np.array([0, 2]))
    assert q[0, 0] == 0 and q[1, 2] == 0
    assert np.allclose(q.sum(axis=1), 1)
    assert q[0, 1] == pytest.approx(2 / 3)


def test_junk_texts_are_reproducible_and_wordlike_in_shape_only():
    a = junk_texts(20, np.random.default_rng(3))
    b = junk_texts(20, np.random.default_rng(3))
    assert a == b and all(t.strip() for t in a)


def test_reference_set_familiarity_can_hide_a_class_and_each_row_from_itself():
    vectors = np.eye(4, dtype=np.float32)
    ref = ReferenceSet(vectors, np.array([0, 0, 1, 1]), ["a", "b"], ["k0", "k1", "k2", "k3"])
    knn, same = ref.familiarity_of(vectors, np.array([0, 0, 1, 1]), self_rows=np.arange(4))
    assert np.allclose(same, 0.0)  # only itself was identical, and it is hidden
    _, same_visible = ref.familiarity_of(vectors, np.array([0, 0, 1, 1]))
    assert np.allclose(same_visible, 1.0)
    _, hidden = ref.familiarity_of(vectors[:1], np.array([1]), exclude_label=np.array([1]))
    assert hidden[0] == -1.0  # no row of the predicted class is left to compare with
    assert [n.key for n in ref.nearest(vectors[2], k=2)][0] == "k2"
