"""The containers suite: images and the stack in containers (`make test-containers`, issue 12).

Run with `--stack=containers`; where no Docker daemon answers, every test here is skipped with that reason.
"""

from __future__ import annotations

import pytest

from system.stack.containers import docker_available


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = docker_available()
    if reason is not None:
        for item in items:
            if "tests/containers/" in str(item.path):
                item.add_marker(pytest.mark.skip(reason=f"{reason}: `make images` and a Docker daemon are needed"))
