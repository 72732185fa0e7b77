"""`python -m lab …` — the command-line entry point."""

from lab.cli import main

raise SystemExit(main())
