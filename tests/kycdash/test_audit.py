import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kycdash.audit.models import AuditEvent
from kycdash.audit.services import audit_record, audit_verify


@pytest.fixture
def chain(project, reviewer):
    return [
        audit_record(action=f"test.{n}", actor=reviewer, project=project, data={"n": n})
        for n in range(5)
    ]


def test_an_untouched_chain_verifies(chain, capsys):
    assert audit_verify() is None
    call_command("verify_audit")
    assert "5 rows verified" in capsys.readouterr().out


def test_each_row_links_to_the_one_before(chain):
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1


def test_an_edited_row_is_named(chain):
    AuditEvent.objects.filter(seq=3).update(data={"n": 99})
    broken = audit_verify()
    assert broken is not None and broken.seq == 3 and "altered" in broken.problem
    with pytest.raises(CommandError, match="#3"):
        call_command("verify_audit")


def test_a_removed_row_is_named(chain):
    AuditEvent.objects.filter(seq=2).delete()
    broken = audit_verify()
    assert broken is not None and broken.seq == 2 and "missing" in broken.problem


def test_a_removed_last_row_is_named(chain):
    AuditEvent.objects.filter(seq=5).delete()
    broken = audit_verify()
    assert broken is not None and broken.seq == 5


def test_a_rehashed_edit_still_breaks_the_next_link(chain):
    row = AuditEvent.objects.get(seq=2)
    row.data = {"n": 42}
    row.hash = row.compute_hash()
    row.save()
    broken = audit_verify()
    assert broken is not None and broken.seq == 3
