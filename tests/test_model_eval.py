"""The fitted ptxas model (exo_gpu/ptxas/model_rules.json) on held-out data: a fixed sample of
the litmus distribution-A TEST split, stored with what every pinned ptxas did to each program
(tests/ptxas_model/test-sample.jsonl.gz, written by `python -m exo_gpu.ptxas.model_eval sample`).
The features are recomputed from the PTX, so this checks the reader, the dataflow analysis,
the features and the decision lists together; no ptxas runs."""

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from exo_gpu.ptxas import model as M
from exo_gpu.ptxas.features import kernel_features
from exo_gpu.ptxas.model_data import in_train

SAMPLE = Path(__file__).parent / "ptxas_model" / "test-sample.jsonl.gz"
# the agreement reached on this sample (12.3: 0.825, 13.5: 0.67, lowest 0.595 on 12.9/13.0), less
# a small margin; the targets (0.98 / 0.95) are NOT reached: see docs/ptxas-model-eval.md
FLOOR = {"12.3": 0.80, "13.5": 0.65, "any": 0.57}


def _rows():
    return [json.loads(line) for line in gzip.decompress(SAMPLE.read_bytes()).decode().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def agreement():
    model = M.load()
    assert model is not None, "no fitted rules: python -m exo_gpu.ptxas.model_eval fit"
    ok, total = Counter(), Counter()
    for row in _rows():
        (kf,) = [k for k in kernel_features(row["ptx"], row["id"]) if k.name == row["kernel"]]
        for v, (codes, ser, wait) in row["obs"].items():
            total[v] += 1
            ok[v] += model.predict(kf, v).key == M.exact_key(codes, ser, wait)
    return {v: ok[v] / total[v] for v in total}


def test_sample_is_test_split_only():
    rows = _rows()
    assert len(rows) >= 100
    assert not [r["id"] for r in rows if in_train(r["id"])]


def test_every_pinned_version_is_sampled(agreement):
    from exo_gpu.ptxas import toolchain

    assert set(toolchain.pinned_versions()) <= set(agreement)


@pytest.mark.parametrize("version", ["12.3", "13.5"])
def test_agreement_on_key_versions(agreement, version):
    assert agreement[version] >= FLOOR[version], f"{version}: {agreement[version]:.3f}"


def test_agreement_on_every_version(agreement):
    low = {v: round(a, 3) for v, a in agreement.items() if a < FLOOR["any"]}
    assert not low, low
