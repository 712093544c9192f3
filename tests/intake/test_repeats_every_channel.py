"""The repeat check for every respondent (registered or not) on every channel, and the
probable repeat (no order number: same phone, business and product within 7 days) that the
regulator is shown, never joined."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from complaints import complaint_form, submit_form
from sqlalchemy import select

from odr.cases.models import Case
from odr.clock import utcnow
from odr.intake.import12315 import _import_one, import_records
from odr.intake.transfer12315 import HEADERS, read_records

FILED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
# A business odr does not know: found by the regulator from its address.
STALL = {
    "respondent_name": "民族大道路边水果摊",
    "respondent_address": "南宁市青秀区民族大道100号旁",
}


def file(session, rules, now, **overrides):  # type: ignore[no-untyped-def]
    return submit_form(session, rules, now, purchase_date="2026-10-30", **overrides)


def test_a_repeat_against_an_unregistered_business_joins_the_open_case(factory, rules):
    with factory.begin() as session:
        first = file(session, rules, FILED, **STALL)
        assert first.case.respondent_id is not None  # a respondent record, not enrolled
        again = file(session, rules, FILED + timedelta(days=2), **STALL)
        assert again.duplicate and again.case.id == first.case.id
        other_stall = file(
            session, rules, FILED + timedelta(days=2), **{**STALL, "respondent_name": "另一家摊"}
        )
        assert not other_stall.duplicate
        # Another business (a name of its own), told by its code.
        uscc = {**STALL, "respondent_name": "南湖水果店", "respondent_uscc": "91110000600037341L"}
        by_code = file(session, rules, FILED, **uscc)
        # Found by its code, whatever name it is given the second time.
        renamed = file(
            session, rules, FILED + timedelta(days=1), **{**uscc, "respondent_name": "水果摊"}
        )
        assert not by_code.duplicate and renamed.duplicate and renamed.case.id == by_code.case.id


def stall_form(**overrides: str) -> dict[str, str]:
    return complaint_form(**{**STALL, **overrides})


def api_body(**overrides: str) -> dict:
    body = {k: v for k, v in stall_form(**overrides).items() if v != ""}
    body["notify_sms"] = body["notify_email"] = True
    return body


def transfer_csv(*numbers: str, **overrides: str) -> bytes:
    form = stall_form(**overrides)
    row = dict.fromkeys(HEADERS, "")
    row.update(
        {
            "投诉人姓名": form["complainant_name"],
            "联系电话": form["complainant_phone"],
            "联系地址": form["complainant_address"],
            "被投诉人名称": form["respondent_name"],
            "被投诉人地址": form["respondent_address"],
            "商品或服务名称": form["product"],
            "订单号": form["order_number"],
            "投诉诉求": "退款",
            "投诉内容": form["facts"],
        }
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(HEADERS))
    writer.writeheader()
    writer.writerows({**row, "投诉编号": number} for number in numbers)
    return out.getvalue().encode()


def test_every_channel_joins_the_open_case_of_an_unregistered_business(
    client, file_complaint, factory, rules
):
    number, _ = file_complaint(**STALL)
    web = client.post("/", stall_form())
    assert web.status_code == 200 and "投诉已并入原案件" in web.text and number in web.text
    api = client.client.post("/api/v1/complaints", json=api_body())
    assert api.status_code == 201 and api.json()["duplicate_of"] == number
    records, _ = read_records(transfer_csv("R-1", "R-2"))
    batch = import_records(factory, records, rules, utcnow())  # the batch path
    assert [(r.status, r.case_number) for r in batch] == [("duplicate", number)] * 2
    (record,) = read_records(transfer_csv("R-3"))[0]
    with factory.begin() as session:  # one record at a time (a batch that met a conflict)
        one = _import_one(session, record, rules, utcnow())
    assert (one.status, one.case_number) == ("duplicate", number)
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        joined = [e.payload["channel"] for e in case.events if e.trigger == "duplicate_received"]
    assert joined == ["web", "api", "12315", "12315", "12315"]


def test_a_batch_joins_its_own_earlier_record_of_an_unregistered_business(factory, rules):
    records, _ = read_records(transfer_csv("B-1", "B-2"))
    first, second = import_records(factory, records, rules, utcnow())
    assert (first.status, second.status) == ("created", "duplicate")
    assert second.case_number == first.case_number


def test_without_an_order_number_the_same_product_within_7_days_is_a_probable_repeat(
    factory, rules
):
    no_order = {"order_number": ""}
    with factory.begin() as session:
        first = file(session, rules, FILED, **no_order)
        again = file(session, rules, FILED + timedelta(days=6), **no_order)
        assert not again.duplicate and again.case.id != first.case.id  # offered, not joined
        assert again.case.probable_repeat_of == first.case.id
        other_product = file(
            session, rules, FILED + timedelta(days=6), product="巨峰葡萄", **no_order
        )
        assert other_product.case.probable_repeat_of is None
        other_phone = file(
            session, rules, FILED + timedelta(days=6), complainant_phone="13900139000", **no_order
        )
        assert other_phone.case.probable_repeat_of is None
        stall = file(session, rules, FILED, **STALL, **no_order)
        stall_again = file(session, rules, FILED + timedelta(days=1), **STALL, **no_order)
        assert stall_again.case.probable_repeat_of == stall.case.id
        with_order = file(session, rules, FILED + timedelta(days=6), order_number="MT-9")
        assert with_order.case.probable_repeat_of is None  # an order number says which
    with factory.begin() as session:
        late = file(session, rules, FILED + timedelta(days=8), **no_order)
        # The latest of the last 7 days (one that gave its order number may be it too).
        assert late.case.probable_repeat_of == with_order.case.id
    with factory.begin() as session:
        much_later = file(session, rules, FILED + timedelta(days=30), **no_order)
        assert much_later.case.probable_repeat_of is None


def test_the_batch_path_flags_probable_repeats_too(client, file_complaint, factory, rules):
    number, _ = file_complaint(order_number="", **STALL)
    records, _ = read_records(transfer_csv("P-1", order_number=""))
    (result,) = import_records(factory, records, rules, utcnow())
    api = client.client.post("/api/v1/complaints", json=api_body(order_number=""))
    with factory() as session:
        web, transferred, posted = (
            session.scalar(select(Case).where(Case.number == n))
            for n in (number, result.case_number, api.json()["number"])
        )
        assert transferred.probable_repeat_of == web.id
        assert posted.probable_repeat_of == transferred.id  # the latest one


def test_the_regulator_sees_the_flag_on_the_case_and_in_the_queue(
    file_complaint, other_client, demo_logins
):
    first, _ = file_complaint(order_number="", **STALL)
    second, _ = file_complaint(order_number="", **STALL)
    other_client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = other_client.get(f"/regulator/cases/{second}").text
    assert 'id="probable-repeat"' in page and f"/regulator/cases/{first}" in page
    assert 'id="probable-repeat"' not in other_client.get(f"/regulator/cases/{first}").text
    queue = other_client.get("/regulator?queue=all").text
    row = queue[queue.index(second) : queue.index("</tr>", queue.index(second))]
    assert "可能重复投诉" in row
    first_row = queue[queue.index(first) : queue.index("</tr>", queue.index(first))]
    assert "可能重复投诉" not in first_row
