"""``python -m alcore``: the ``alcore`` command (:mod:`alcore.cli`)."""

import sys

from alcore.cli import main

if __name__ == "__main__":
    sys.exit(main())
