"""Layers: one per file. See base.py for the contract every layer keeps."""
