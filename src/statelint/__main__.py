"""Allow ``python -m statelint``.

``python -m`` puts the working directory first on ``sys.path``. statelint is run
inside the trees it scans, so a ``click.py`` or ``yaml.py`` there would be imported
instead of the library: drop that entry before importing anything (as pip does).
"""

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    sys.path.pop(0)

from statelint.cli import main  # noqa: E402 - after the sys.path fix on purpose

if __name__ == "__main__":
    main()
