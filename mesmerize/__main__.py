"""``python -m mesmerize`` is the same as the ``mesmerize`` command."""
from mesmerize.cli.main import main

raise SystemExit(main())
