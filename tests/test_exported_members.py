"""The public names: ``ferrokafka.__all__`` and ``ferrokafka.errors.__all__`` are sorted, say
everything each module offers, and each name is the object we mean."""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import types

import ferrokafka
from ferrokafka import cluster, errors


def isort_order(names: list[str]) -> list[str]:
    """ruff's order for ``__all__``: CONSTANTS, then Classes, then the rest, each by name."""
    return sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n))


def public_names(module: types.ModuleType) -> set[str]:
    """What a module offers: its names not starting with ``_``, but its submodules and
    ``from __future__ import annotations``."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }


def test_package_all_is_sorted_and_complete() -> None:
    assert ferrokafka.__all__ == isort_order(ferrokafka.__all__)
    assert set(ferrokafka.__all__) == public_names(ferrokafka) | {"__version__"}
    assert ferrokafka.__version__ == importlib.metadata.version("ferrokafka")


def test_package_names_are_their_home_modules_objects() -> None:
    for name in ferrokafka.__all__:
        obj = getattr(ferrokafka, name)
        if name == "__version__":
            continue
        home = obj.__module__
        # Each comes from a public module (errors' classes are shown as ferrokafka.errors.X).
        assert not home.rpartition(".")[2].startswith("_"), (name, home)
        assert getattr(importlib.import_module(home), name) is obj, name
        if inspect.isclass(obj) and issubclass(obj, errors.KafkaError):
            assert getattr(errors, name) is obj


def test_errors_all_is_sorted_and_complete() -> None:
    assert errors.__all__ == isort_order(errors.__all__)
    assert set(errors.__all__) == public_names(errors)
    # Every exception class is in it, every broker code's class too.
    exported = [getattr(errors, name) for name in errors.__all__]
    assert all(cls in exported for cls in errors.BROKER_ERRORS.values())
    assert all(obj in exported for obj in (errors.ErrorCode, errors.error_for_code))


def test_errors_names_are_exceptions_shown_as_ferrokafka_errors() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if name in ("BROKER_ERRORS", "ErrorCode", "error_for_code"):
            continue
        assert inspect.isclass(obj), name
        assert issubclass(obj, errors.KafkaError), name
        assert name.endswith("Error"), name
        # What a traceback shows and a pickle refers to is the module users import.
        assert obj.__module__ == "ferrokafka.errors", name
        assert obj.__name__ == name


def test_one_name_per_error() -> None:
    classes = [getattr(errors, n) for n in errors.__all__ if inspect.isclass(getattr(errors, n))]
    assert len({id(c) for c in classes}) == len(classes)


def test_cluster_all_is_sorted_and_complete() -> None:
    assert cluster.__all__ == isort_order(cluster.__all__)
    described = {
        n for n in public_names(cluster) if getattr(cluster, n).__module__ == cluster.__name__
    }
    assert set(cluster.__all__) == described | {"describe_cluster"}


def test_docstrings_name_errors_that_exist() -> None:
    """A docstring of a public function that names an ``...Error`` names one users can catch."""
    for owner in (ferrokafka.Producer, cluster):
        for name, member in inspect.getmembers(owner):
            doc = inspect.getdoc(member) if not name.startswith("_") else None
            for mentioned in re.findall(r"`(\w+Error)`", doc or ""):
                assert hasattr(errors, mentioned), f"{owner.__name__}.{name}: {mentioned}"
