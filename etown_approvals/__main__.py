"""``python -m etown_approvals`` runs the ``etown`` command."""

from .cli import main

main()
