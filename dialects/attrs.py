"""Small helpers shared by the dialects and passes."""

from xdsl.dialects.builtin import IntegerAttr


def int_value(attr: IntegerAttr) -> int:
    """The Python int of an integer attribute (a property like `stages = 4 : i64`)."""
    return attr.value.data
