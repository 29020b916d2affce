"""Tools around NVIDIA's ptxas: the pinned toolchain, the serialization guard, the PTX reader,
the doctor and the litmus atlas."""
