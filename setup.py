"""Install Mesmerize: ``pip install .`` (``.[test]`` for the test suite, ``.[gpu]`` for CUDA)."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def _requirements(name: str) -> list[str]:
    lines = (ln.split("#", 1)[0].strip() for ln in (HERE / name).read_text().splitlines())
    return [ln for ln in lines if ln]


setup(
    name="mesmerize",
    version="0.1.0",
    description="Calcium imaging analysis from raw movies to publication figures",
    author="The Mesmerize developers",
    keywords=["calcium imaging", "neuroscience", "motion correction", "CNMF", "CNMF-E",
              "source extraction", "flowchart", "NWB"],
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["mesmerize", "mesmerize.*"]),
    include_package_data=True,
    install_requires=_requirements("requirements.txt"),
    extras_require={
        "test": _requirements("requirements-test.txt"),
        # torch pinned: other versions pull gigabytes of CUDA wheels on this platform.
        "gpu": ["torch==2.13.0"],
        "docs": ["sphinx>=7", "sphinx-rtd-theme>=2"],
    },
    entry_points={
        "console_scripts": [
            "mesmerize=mesmerize.cli.main:main",
            "mesmerize-scheduler=mesmerize.cli.scheduler:main",
            "mesmerize-batch-runner=mesmerize.cli.batch_runner:main",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Bio-Informatics",
        "Intended Audience :: Science/Research",
        "Operating System :: POSIX :: Linux",
        "Environment :: X11 Applications :: Qt",
        "Development Status :: 4 - Beta",
    ],
)
