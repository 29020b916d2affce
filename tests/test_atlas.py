"""The litmus atlas: the verifier's RULES table matches the stored ptxas observation for every
case and version; the stored observations still hold for the ptxas CI has (12.3, 13.x); the
rules document is the generated one."""

import pytest

from exo_gpu.ptxas import atlas, toolchain
from exo_gpu.passes.verify_wgmma_pipeline import verify_text

CASES = atlas.case_names()


def test_corpus_is_the_generated_one(tmp_path):
    atlas.generate(tmp_path)
    for case in atlas.CASES:
        assert (tmp_path / f"{case.name}.ptx").read_text() == atlas.case_path(case.name).read_text(), case.name


@pytest.mark.parametrize("case", CASES)
def test_rules_table_matches_every_stored_observation(case):
    """The hand-written RULES table (the fitted model's prior, `fitted=False`) reproduces the
    atlas; the fitted model's own atlas agreement is reported in docs/ptxas-model-eval.md."""
    text = atlas.case_path(case).read_text()
    obs = atlas.load(case)["observations"]
    assert {"12.3", toolchain.newest()} <= set(obs)
    wrong = []
    for v, o in obs.items():
        (k,) = verify_text(text, v, f"{case}.ptx", fitted=False)
        if (tuple(k.codes), k.serialized) != atlas.summary(o):
            wrong.append(f"{v}: predicted {k.codes} {k.serialized}, observed {atlas.summary(o)}")
    assert not wrong, wrong


def test_stored_observations_still_hold_on_ci_versions():
    changed = atlas.check_stored(["12.3", "13.x"], jobs=4)
    assert not changed, changed


def test_rules_doc_is_generated(tmp_path):
    out = atlas.write_doc(path=tmp_path / "rules.md")
    assert out.read_text() == atlas.DOC.read_text(), "run: python -m exo_gpu.ptxas.atlas doc"
