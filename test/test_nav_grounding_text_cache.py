"""The Grounder encodes an instruction's texts once: frame after frame with the same instruction reuses them
(same result as encoding again), a new instruction encodes anew."""
import numpy as np

from geotext_ros.nav.grounding import Grounder
from geotext_ros.nav.parser import parse_instruction
from geotext_ros.runtime import open_backend


class CountingBackend:
    """The real ONNX Runtime backend, counting encode_text calls."""

    def __init__(self, backend):
        self.backend, self.text_calls = backend, 0

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def encode_text(self, ids, mask):
        self.text_calls += 1
        return self.backend.encode_text(ids, mask)


def test_text_encoded_once_per_instruction(tiny_engine_dir):
    backend = CountingBackend(open_backend(tiny_engine_dir, "onnxruntime"))
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (96, 128, 3), dtype=np.uint8) for _ in range(3)]
    ins = parse_instruction("fly to the red building left of the pool")
    cached = Grounder(backend, offer_colours="")   # a target that lights nothing would encode its colour readings
    results = [cached.ground(f, ins) for f in frames]
    assert backend.text_calls == 1
    for frame, got in zip(frames, results):   # a fresh grounder (nothing cached) gives the same answer
        ref = Grounder(backend.backend, offer_colours="").ground(frame, ins)
        assert got.to_dict() == ref.to_dict()
    texts, groups = cached.instruction_texts(ins)
    assert texts[-1] == ins.text and [r for g in groups for r in g] == texts[:-1]
    cached.ground(frames[0], parse_instruction("fly to the pool"))
    assert backend.text_calls == 2
    offering = Grounder(backend, offer_colours="red, blue", min_score=1.0)   # nothing reaches 1.0: offers, cached
    backend.text_calls = 0
    for frame in frames:
        offering.ground(frame, parse_instruction("fly to the pool"))
    assert backend.text_calls == 2   # the instruction's readings and its colour readings, once each
    backend.close()
