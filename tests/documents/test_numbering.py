"""The papers' numbers: never skipped (a rolled-back issue gives its number back) nor given
twice (two clerks at once, on PostgreSQL, in threads)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select
from test_papers import FILED, documents_of, file, regulator

from odr.cases.models import Case
from odr.cases.service import act
from odr.documents.numbering import document_number, next_seq, office_prefix
from odr.documents.service import Papers
from odr.offices.models import Office
from odr.offices.service import by_code


def test_a_rolled_back_number_is_given_again(factory):
    with factory() as session, session.begin():
        office = by_code(session, "450105")
        first = next_seq(session, office.id, 2031, "acceptance_notice")
    with factory() as session:
        undone = session.begin()
        taken = next_seq(session, office.id, 2031, "acceptance_notice")
        undone.rollback()
    with factory() as session, session.begin():
        again = next_seq(session, office.id, 2031, "acceptance_notice")
    assert taken == first + 1 and again == first + 1


def test_prefixes_and_the_number():
    city = Office(region_code="370200", name="青岛市市场监督管理局", level="city")
    district = Office(region_code="450102", name="南宁市兴宁区市场监督管理局", level="county")
    assert office_prefix(city) == "青市监" and office_prefix(district) == "兴市监"
    district.document_prefix = "兴宁市监"
    assert document_number(city, "调", 2026, 12) == "青市监调字〔2026〕第0012号"
    assert document_number(district, "受", 2026, 3) == "兴宁市监受字〔2026〕第0003号"


def test_two_clerks_at_once_get_consecutive_numbers(factory, rules, settings, postgres_only):
    papers = Papers.from_settings(settings)
    with factory.begin() as session:
        numbers = [file(session, rules).number for _ in range(4)]
    barrier = threading.Barrier(len(numbers))
    errors: list[BaseException] = []

    def clerk(number: str) -> None:
        try:
            with factory.begin() as session:
                case = session.scalars(select(Case).where(Case.number == number)).one()
                handler = regulator(session, "450102")
                barrier.wait(timeout=30)
                act(
                    session,
                    case,
                    "accept",
                    handler,
                    {},
                    rules=rules,
                    now=FILED + timedelta(days=1),
                    documents=papers,
                )
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with factory() as session:
        seqs = sorted(
            d.seq
            for n in numbers
            for d in documents_of(
                session, session.scalars(select(Case).where(Case.number == n)).one()
            )
        )
    assert seqs == list(range(seqs[0], seqs[0] + len(numbers)))
