"""Allow ``python -m statelint``."""

from statelint.cli import main

if __name__ == "__main__":
    main()
