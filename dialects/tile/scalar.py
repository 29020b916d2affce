"""`tile.load_scalar`: one element of a global tensor as an f32 scalar.

A per-tensor scale (fp8 GEMMs: D = scale_a * scale_b * (A @ B), torch._scaled_mm's
convention) lives in device memory, not in a kernel argument, so that the caller never has
to read it back to the host.  The program reads it with `tile.load_scalar` and uses it as it
would use an f32 kernel argument, through `tile.splat`:

    %sa = tile.load_scalar %scale_a[%c0] : !tile.tensor<?xf32> -> f32
    %ta = tile.splat %sa : f32 -> !tile.tile<128x256xf32>
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import Float32Type, IndexType, f32
from xdsl.ir import SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def, traits_def, var_operand_def
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from exo_gpu.dialects.tile.syntax import parse_indexed, print_indexed
from exo_gpu.dialects.tile.types import TensorType, element_name


@irdl_op_definition
class LoadScalarOp(IRDLOperation):
    """`%s = tile.load_scalar %t[%i] : !tile.tensor<?xf32> -> f32`: element %i of f32 tensor
    %t (one index per dimension, element indices), read by every program instance.  Unlike
    `tile.load` it is not masked: the element must exist (a one-element scale tensor is read
    at index 0)."""

    name = "tile.load_scalar"
    tensor = operand_def(TensorType)
    indices = var_operand_def(IndexType)
    result = result_def(Float32Type)
    traits = traits_def(Pure())

    def __init__(self, tensor: SSAValue, indices: Sequence[SSAValue]):
        super().__init__(operands=[tensor, indices], result_types=[f32])

    def print(self, printer: Printer) -> None:
        print_indexed(printer, self)

    @classmethod
    def parse(cls, parser: Parser) -> LoadScalarOp:
        tensor, indices, attrs, result, pos = parse_indexed(parser)
        if not isinstance(result, Float32Type):
            parser.raise_error(f"tile.load_scalar gives an f32 scalar, not {result}: write '-> f32'", pos, parser.pos)
        op = cls(tensor, indices)
        op.attributes.update(attrs)
        return op

    def verify_(self) -> None:
        t = self.tensor.type
        assert isinstance(t, TensorType)
        if element_name(t.element) != "f32":
            raise VerifyException(f"tile.load_scalar reads f32 tensors, got {t}: store the scale as float32")
        if len(self.indices) != t.rank:
            raise VerifyException(f"tile.load_scalar: {t} has rank {t.rank} but {len(self.indices)} indices were "
                                  "given: give one element index per dimension, e.g. [%c0] for a one-element scale")


OPS = [LoadScalarOp]
