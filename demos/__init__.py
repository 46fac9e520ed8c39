"""The demos: one script per lesson topic, each a command and an importable ``main(argv)``.

Run one from the repository root, e.g. ``python demos/conv_autoencoder.py --quick``; every demo
takes ``--quick``, ``--epochs``, ``--dataset``, ``--limit``, ``--seed``, ``--out`` and
``--data-dir`` (see ``minae.demo``) and prints where its figures went.
"""
