"""Exo-GPU's passes, in pipeline order:

schedule -> insert-syncs -> lower-fragments -> lower-to-ptx -> tie-loop-carried -> assign-registers
-> check-register-budget -> emit-ptx
"""

from exo_gpu.passes.assign_registers import AssignRegistersPass
from exo_gpu.passes.check_register_budget import CheckRegisterBudgetPass
from exo_gpu.passes.emit_ptx import EmitPtxPass
from exo_gpu.passes.insert_syncs import InsertSyncsPass
from exo_gpu.passes.lower_fragments import LowerFragmentsPass
from exo_gpu.passes.lower_to_ptx import LowerToPtxPass
from exo_gpu.passes.schedule import SchedulePass
from exo_gpu.passes.tie_loop_carried import TieLoopCarriedPass
from exo_gpu.passes.verify_wgmma_pipeline import VerifyWgmmaPipelinePass

PIPELINE_ORDER = (SchedulePass, InsertSyncsPass, LowerFragmentsPass, LowerToPtxPass, TieLoopCarriedPass, AssignRegistersPass,
                  CheckRegisterBudgetPass, EmitPtxPass)

PASSES = {p.name: p for p in (*PIPELINE_ORDER, VerifyWgmmaPipelinePass)}
DEFAULT_PIPELINE = ",".join(p.name for p in PIPELINE_ORDER)
