"""Running kernels on a Hopper GPU: the cuda-python runtime and the compile-and-check runner."""
