"""SL7 rules. Modules named ``_*`` hold this family's helpers; every other module defines rules."""
