from __future__ import annotations

import pytest

from tests.reports.history import History, build_history
from tests.solutions.conftest import make_escalated_ticket, make_expert  # noqa: F401 - shared


@pytest.fixture
def history(make_org, make_user, add_member, make_expert) -> History:  # noqa: F811
    return build_history(make_org, make_user, add_member, make_expert)
