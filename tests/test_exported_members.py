"""The public API is the curated list in nocontent.__all__; notebooks import only these."""

import types

import nocontent


def test_all_is_sorted_and_unique() -> None:
    names = nocontent.__all__

    def group(name: str) -> int:  # constants, then classes, then the rest (ruff's RUF022)
        return 0 if name.isupper() else 1 if name[0].isupper() else 2

    assert names == sorted(names, key=lambda name: (group(name), name))
    assert len(set(names)) == len(names)


def test_every_exported_name_exists() -> None:
    missing = [name for name in nocontent.__all__ if not hasattr(nocontent, name)]
    assert missing == []


def test_no_private_module_leaks_a_public_name() -> None:
    public = {
        name
        for name, value in vars(nocontent).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)  # subpackages
    }
    assert public <= set(nocontent.__all__)
