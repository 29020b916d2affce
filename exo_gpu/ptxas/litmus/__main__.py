import sys

from exo_gpu.ptxas.litmus.cli import main

sys.exit(main())
