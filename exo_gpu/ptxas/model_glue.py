"""Attach the fitted model's verdict (`exo_gpu.ptxas.model`) to a `verify-wgmma-pipeline` verdict.

The RULES findings explain *where* a kernel's pipeline goes wrong; the fitted decision lists
decide *what ptxas does* (codes, serialized, injected wait).  When the model predicts codes or
serialization that no finding accounts for, a `fitted-rule` finding names the model's rule, so
that the doctor and the strict pass still point at a reason.
"""

from __future__ import annotations

import os

from exo_gpu.ptxas import model as M


def enabled(fitted: bool | None) -> bool:
    """The fitted lists are opt-in ($EXO_GPU_PTXAS_MODEL=fitted, or fitted=True): they beat the
    RULES table on held-out random programs but not on real compilers' PTX for ptxas 12.3
    (65% against 88%, docs/ptxas-model-eval.md), the users' default."""
    if fitted is not None:
        return fitted
    return os.environ.get("EXO_GPU_PTXAS_MODEL", "flow") == "fitted"


def flow_enabled(fitted: bool | None) -> bool:
    """The flow model (`exo_gpu.ptxas.flow_model`) gives the verdict by default ($EXO_GPU_PTXAS_MODEL
    unset or `flow`; `rules` for the RULES table alone, `fitted` for the decision lists): it beats the
    RULES table on the A test split, on distribution B and on real compilers' PTX for 12.3 and 13.5
    (docs/ptxas-model-eval.md).  The RULES findings still say where a pipeline goes wrong."""
    return fitted is None and os.environ.get("EXO_GPU_PTXAS_MODEL", "flow") == "flow"


def attach(verdict, func, funcs, cuda: str, fitted: bool | None = None) -> None:
    if flow_enabled(fitted):
        from exo_gpu.ptxas import flow_ir, flow_model

        converted = {name: flow_ir.convert(f) for name, f in funcs.items()}
        verdict.fitted = flow_model.explain(converted, verdict.name, cuda)
        return
    if not enabled(fitted):
        return
    model = M.load()
    if model is None:
        return
    from exo_gpu.passes.verify_wgmma_pipeline import Finding
    from exo_gpu.ptxas.features import function_features

    v = model.predict(function_features(func, funcs), cuda)
    verdict.fitted = v
    if not (v.codes or v.serialized):
        return
    if any(f.codes or f.serialized for f in verdict.findings):
        return
    rules = [f"{comp}: if {' and '.join(r.conds) or 'always'} then {r.value}" for comp, r in v.because]
    verdict.findings.append(Finding(
        "fitted-rule", "B", verdict.name, func.line.value.data, f".entry {verdict.name}", None, None, None, "",
        tuple(c for c in v.codes), v.serialized,
        "the fitted model (exo_gpu/ptxas/model_rules.json) predicts this from the kernel's features: "
        + "; ".join(rules),
        "see docs/ptxas-wgmma-rules.md for the rule and its minimal witness", "", cuda))
