"""Crafts of the diabetes demo: split the data, fit and evaluate models, compare them."""
