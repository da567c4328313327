"""``python -m displacement_sim ARGS`` runs ``displacement-sim ARGS`` (:func:`.cli.main`)."""

import sys

from displacement_sim.cli import main

if __name__ == "__main__":  # not in the children that the spawn start method re-imports
    sys.exit(main())
