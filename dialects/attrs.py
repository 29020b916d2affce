"""Small helpers shared by the dialects and passes."""

import re

from xdsl.dialects.builtin import IntegerAttr


def int_value(attr: IntegerAttr) -> int:
    """The Python int of an integer attribute (a property like `stages = 4 : i64`)."""
    return attr.value.data


_PTX_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_$]*|[_$%][A-Za-z0-9_$]+")


def kernel_name_problem(name: str) -> str | None:
    """Why `name` cannot name a kernel (a PTX .entry), with the fix; None if it can."""
    if not name:
        return "the kernel name is empty: name it with a letter, then letters, digits or _ (e.g. my_gemm)"
    if not _PTX_IDENTIFIER.fullmatch(name):
        bad = next((c for c in name if not (c.isascii() and (c.isalnum() or c in "_$"))), name[0])
        return (f"kernel name {name!r} is not a PTX identifier (it has {bad!r}): use a letter, then letters, "
                f"digits or _, e.g. {re.sub(r'[^A-Za-z0-9_]', '_', name).lstrip('0123456789') or 'my_gemm'}")
    return None
