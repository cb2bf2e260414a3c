"""Benchmarks behind ``imusim bench NAME``: one module per benchmark exposing ``NAME``,
``add_arguments(parser)`` and ``run(args)``; shared timing/memory helpers in ``_util``."""
