"""Random wgmma litmus programs (grammar, render, program), their ptxas labels (label,
executor, corpus) and the command line (cli): ``python -m exo_gpu.ptxas.litmus``."""
