"""``python -m statisfactory``: the same command line as ``statisfactory``."""

import sys

from statisfactory.cli.main import main

sys.exit(main())
