"""topk_cosine against a brute-force full sort."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geotext_ros.runtime.retrieval import topk_cosine


def _unit(rng, n, d):
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), q=st.integers(1, 4), k=st.integers(1, 20), chunk=st.integers(1, 128),
       seed=st.integers(0, 2**16))
def test_matches_full_sort(n, q, k, chunk, seed):
    rng = np.random.default_rng(seed)
    gallery, queries = _unit(rng, n, 8), _unit(rng, q, 8)
    idx, val = topk_cosine(queries, gallery, k=k, chunk=chunk)
    scores = queries @ gallery.T
    kk = min(k, n)
    assert idx.shape == (q, kk) and val.shape == (q, kk)
    expected_vals = -np.sort(-scores, axis=1)[:, :kk]
    np.testing.assert_allclose(val, expected_vals, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(scores, idx, axis=1), val, atol=1e-6)
    assert (np.diff(val, axis=1) <= 1e-7).all()


def test_single_query_and_unnormalized_inputs():
    rng = np.random.default_rng(0)
    gallery = _unit(rng, 1000, 16)
    query = gallery[123] * 5.0
    idx, val = topk_cosine(query, gallery * 3.0, k=10, normalized=False)
    assert idx.shape == (10,) and idx[0] == 123 and val[0] == pytest.approx(1.0, abs=1e-5)


def test_dimension_mismatch_is_explained():
    with pytest.raises(ValueError, match="do not match"):
        topk_cosine(np.zeros((2, 8)), np.zeros((10, 4)))
