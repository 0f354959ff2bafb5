"""Ships migrations/ and seed/ inside the wheel (as service/_bundled/), so an installed service
migrates and seeds from any directory; everything else is configured in pyproject.toml."""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("migrations", "seed")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        for name in BUNDLED:
            for folder, subfolders, files in os.walk(name):
                subfolders[:] = [d for d in subfolders if d != "__pycache__"]
                target = os.path.join(self.build_lib, "service", "_bundled", folder)
                self.mkpath(target)
                for file_name in files:
                    if not file_name.endswith(".pyc"):
                        self.copy_file(
                            os.path.join(folder, file_name), os.path.join(target, file_name)
                        )


setup(cmdclass={"build_py": BuildWithData})
