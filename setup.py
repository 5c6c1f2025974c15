"""Map the two source folders onto one import root.

facade/    -> intercom_phone_switch            (handwritten)
generated/ -> intercom_phone_switch.generated  (made by `nox -s generate`)

Everything else about the distribution lives in pyproject.toml.
"""

from setuptools import find_packages, setup

ROOTS = {"intercom_phone_switch": "facade", "intercom_phone_switch.generated": "generated"}


def packages() -> list[str]:
    found = []
    for name, folder in ROOTS.items():
        found.append(name)
        found.extend(
            f"{name}.{sub}" for sub in find_packages(folder) if sub.split(".")[0] != "generated"
        )
    return found


setup(packages=packages(), package_dir=ROOTS)
