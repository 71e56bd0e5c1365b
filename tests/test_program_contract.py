"""The contract every registered program passes (shipped and test-only alike).

As anymail runs one set of cases against every backend: for each program, with its
case from :mod:`tests.program_cases`, the real dispatcher and a real SMTP server:

* planning twice plans once;
* a send the re-check refuses is skipped with a recorded reason;
* a due send is rendered and delivered, and mail a customer can opt out of carries
  ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058);
* after the customer opts out of the program's category, nothing is sent and the
  row says why.
"""

from __future__ import annotations

import pytest

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import SendStatus
from saleor_ecrm_plugin.preferences.categories import CATEGORIES
from saleor_ecrm_plugin.programs.registry import all_programs
from tests.program_cases import CASES, ProgramCase, case_for

PROGRAM_IDS = sorted(CASES)


def test_every_registered_program_has_a_contract_case(settings):
    registered = {program.id for program in all_programs()}
    assert registered == set(CASES), "add a case to tests/program_cases.py"


@pytest.fixture(params=PROGRAM_IDS)
def case(request, shop) -> ProgramCase:
    case = case_for(request.param)
    assert case is not None
    if not case.plans_sends:
        pytest.skip(f"{case.program_id} plans no sends of its own")
    case.configure()
    case.setup()
    return case


def run_dispatcher() -> None:
    Dispatcher(threads=1).run()


def test_planning_twice_plans_once(case):
    case.plan()
    planned = case.rows().count()
    assert planned >= 1
    case.plan()
    assert case.rows().count() == planned


def test_a_refused_send_is_skipped_with_its_reason(case, smtp_server):
    case.plan()
    case.make_due()
    case.refuse()
    run_dispatcher()
    skipped = case.rows().filter(status=SendStatus.SKIPPED)
    assert skipped.count() == 1, list(case.rows().values("status", "skip_reason"))
    assert skipped.get().skip_reason
    assert smtp_server.messages == []


def test_a_due_send_is_rendered_and_delivered(case, smtp_server):
    case.plan()
    case.make_due()
    run_dispatcher()
    sent = case.rows().filter(status=SendStatus.SENT)
    assert sent.count() == 1, list(case.rows().values("status", "skip_reason"))
    [received] = smtp_server.messages
    assert received.rcpt_tos == [case.recipient]
    assert received.message["Subject"]
    assert received.message["Message-ID"] == sent.get().message_id
    assert received.html.strip() and received.text.strip()
    category = CATEGORIES[case.program.category]
    if not category.transactional:
        # Django's MIME may fold the long header before its URL: read it unfolded
        unsubscribe = str(received.message["List-Unsubscribe"]).strip()
        assert unsubscribe.startswith("<http") and unsubscribe.endswith(">")
        assert received.message["List-Unsubscribe-Post"] == (
            "List-Unsubscribe=One-Click"
        )


def test_nothing_is_sent_after_opting_out_of_the_category(case, smtp_server):
    from saleor_ecrm_plugin.preferences import service

    category = CATEGORIES[case.program.category]
    if category.transactional:
        pytest.skip("transactional email cannot be opted out of")
    case.plan()
    case.make_due()
    service.unsubscribe(case.recipient, category.slug, "contract-test")
    run_dispatcher()
    row = case.rows().order_by("due_at").first()
    assert (row.status, row.skip_reason) == (
        SendStatus.SKIPPED,
        "unsubscribed_category",
    )
    assert smtp_server.messages == []
