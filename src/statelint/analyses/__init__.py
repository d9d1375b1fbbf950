"""Analyses that rules of several families share: module state, shutdown paths, routes, files, syntax helpers."""
