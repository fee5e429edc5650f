"""What pyproject.toml cannot say: the top-level templates/ folder ships as ``syndicate.templates``.

The templates stay in one place in the tree (``templates/email``, ``templates/web``)
and are mapped into the package at build time, so a wheel, an editable install
and a checkout all find them through ``syndicate.resources``.
"""

from setuptools import find_namespace_packages, setup

TEMPLATES = "syndicate.templates"

setup(
    packages=[
        *find_namespace_packages(include=["syndicate", "syndicate.*"], exclude=["*.__pycache__"]),
        TEMPLATES,
        *(f"{TEMPLATES}.{name}" for name in find_namespace_packages(where="templates")),
    ],
    package_dir={TEMPLATES: "templates"},
)
