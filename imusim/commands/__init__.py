"""Sub-commands of the ``imusim`` CLI: one module each, with ``register(subparsers)``."""
