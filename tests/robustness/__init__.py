"""Reliability and security: hostile inputs, fuzzing, never losing a result or a file (issue 8).

Every hostile input is generated at run time into ``tmp_path``: nothing odd is
checked in (a NUL byte or a symlink loop in the repository would trouble git, editors
and other tools before statelint ever saw it).
"""
