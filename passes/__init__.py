"""Exo-GPU's passes, in pipeline order:

schedule -> insert-syncs -> lower-fragments -> lower-to-ptx -> assign-registers -> emit-ptx
"""

from exo_gpu.passes.assign_registers import AssignRegistersPass
from exo_gpu.passes.emit_ptx import EmitPtxPass
from exo_gpu.passes.insert_syncs import InsertSyncsPass
from exo_gpu.passes.lower_fragments import LowerFragmentsPass
from exo_gpu.passes.lower_to_ptx import LowerToPtxPass
from exo_gpu.passes.schedule import SchedulePass
from exo_gpu.passes.verify_wgmma_pipeline import VerifyWgmmaPipelinePass

PIPELINE_ORDER = (SchedulePass, InsertSyncsPass, LowerFragmentsPass, LowerToPtxPass, AssignRegistersPass, EmitPtxPass)

PASSES = {p.name: p for p in (*PIPELINE_ORDER, VerifyWgmmaPipelinePass)}
DEFAULT_PIPELINE = "schedule,insert-syncs,lower-fragments,lower-to-ptx,assign-registers,emit-ptx"
