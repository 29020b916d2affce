"""Exo-GPU's dialects, from the highest level to the lowest:

tile (tile programs: tile.kernel) -> warpgroup (warp-specialized roles, the K loop)
-> tma / mbarrier (the shared-memory ring) and wgmma (async matrix multiply)
-> ptx (assembly, one op per instruction).
"""

from xdsl.context import Context
from xdsl.dialects.arith import Arith
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.scf import Scf
from xdsl.ir import Dialect

from exo_gpu.dialects import fragment, fragment_pack, ptx_float
from exo_gpu.dialects.ptx import Ptx
from exo_gpu.dialects.tile import Tile
from exo_gpu.dialects.tma import Mbarrier, Tma
from exo_gpu.dialects.warpgroup import Warpgroup
from exo_gpu.dialects.wgmma import Wgmma as _WgmmaCore


def _extended(dialect: Dialect, ops, attrs=()) -> Dialect:
    """`dialect` with more ops and attributes defined in another module."""
    return Dialect(dialect.name, [*dialect.operations, *ops], [*dialect.attributes, *attrs])


# The wgmma dialect with its fragment ops (dialects/fragment.py, fragment_pack.py); ptx with its float ops.
Wgmma = _extended(_WgmmaCore, [*fragment.OPS, *fragment_pack.OPS], fragment.TYPES)
Ptx = _extended(Ptx, ptx_float.OPS)
DIALECTS = (Tile, Warpgroup, Tma, Mbarrier, Wgmma, Ptx)


def make_context() -> Context:
    """A context holding builtin, arith, scf and every Exo-GPU dialect."""
    ctx = Context()
    for dialect in (Builtin, Arith, Scf, *DIALECTS):
        ctx.load_dialect(dialect)
    return ctx
