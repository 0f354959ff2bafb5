"""Ships migrations/ and seed/ inside the wheel (as service/_bundled/), so an installed service
migrates and seeds from any directory, and the compiled translation catalogs; everything else is
configured in pyproject.toml."""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("migrations", "seed")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        self.compile_catalogs()
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

    def compile_catalogs(self) -> None:
        """The .mo files of service/translations, compiled from the .po (never committed)."""
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        source = os.path.join("service", "translations")
        for language in sorted(os.listdir(source)):
            po_path = os.path.join(source, language, "LC_MESSAGES", "messages.po")
            if not os.path.isfile(po_path):
                continue
            target = os.path.join(self.build_lib, source, language, "LC_MESSAGES")
            self.mkpath(target)
            with open(po_path, "rb") as po_file:
                catalog = read_po(po_file, locale=language)
            with open(os.path.join(target, "messages.mo"), "wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildWithData})
