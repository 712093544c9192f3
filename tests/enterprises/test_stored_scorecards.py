"""Stored scorecards: what the pages show is read back exactly as computed; a page computes a card
only when none is stored, and the worker computes again only the stale ones."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from test_scorecard import beijing, build_cohort, file, new_enterprise

from odr.background import refresh_rollups
from odr.clock import utcnow
from odr.enterprises import stored_scorecards
from odr.enterprises.scorecard import default_window, scorecards

NOW = beijing(2026, 11, 18, 15)  # the 4 and 12 weeks up to it hold build_cohort's 6 cases
FIVE_MINUTES = timedelta(minutes=5)


def test_a_stored_card_reads_back_as_computed(factory, rules):
    with factory.begin() as session:
        shop, other = build_cohort(session, rules)
        idle = new_enterprise(session)
        ids = [shop.id, other.id, idle.id]
        since, until = default_window(NOW, 12)
        computed = scorecards(session, ids, since, until, rules.calendar)
        assert computed[shop.id].received == 6 and computed[shop.id].rating_counts
        stored_scorecards.compute(session, ids, 12, NOW, rules.calendar)
    with factory() as session:
        stored = stored_scorecards.stored(session, [*ids, 999_999], 12)
        assert set(stored) == set(ids)
        for enterprise_id in ids:
            assert stored[enterprise_id] == replace(computed[enterprise_id], computed_at=NOW)
        assert stored_scorecards.stored(session, ids, 4) == {}  # another window


def test_the_worker_computes_again_only_stale_cards(factory, rules):
    with factory.begin() as session:
        shop, _ = build_cohort(session, rules)
        stored_scorecards.compute(session, [shop.id], 12, NOW, rules.calendar)
        stored_scorecards.compute(session, [shop.id], 4, NOW + FIVE_MINUTES, rules.calendar)
        file(session, rules, shop, beijing(2026, 11, 17, 10), 99)
    refresh = stored_scorecards.refresh_stale
    assert refresh(factory, rules.calendar, NOW + FIVE_MINUTES, FIVE_MINUTES) == 0
    later = NOW + timedelta(minutes=8)
    assert refresh(factory, rules.calendar, later, FIVE_MINUTES) == 1  # the 12 weeks only
    with factory() as session:
        twelve = stored_scorecards.stored(session, [shop.id], 12)[shop.id]
        four = stored_scorecards.stored(session, [shop.id], 4)[shop.id]
    assert (twelve.received, twelve.computed_at) == (7, later)
    assert (four.received, four.computed_at) == (6, NOW + FIVE_MINUTES)
    assert refresh(factory, rules.calendar, later, FIVE_MINUTES) == 0


def _received(page: str) -> int:
    found = re.search(r"收到投诉</dt><dd>(\d+)</dd>", page)
    assert found, page
    return int(found.group(1))


def test_pages_show_the_stored_card_until_the_worker_computes_it_again(
    client, factory, rules, settings
):
    now = utcnow()
    with factory.begin() as session:
        shop = new_enterprise(session)
        file(session, rules, shop, now, 1)
        shop_id = shop.id
    pages = [f"/enterprises/{shop_id}", f"/disclosures/businesses/{shop_id}"]
    for path in pages:  # none stored: computed for the first page, and stored
        page = client.get(path)
        assert page.status_code == 200 and _received(page.text) == 1
        assert "数据更新于" in page.text
    with factory.begin() as session:
        file(session, rules, shop, now, 2)
    assert [_received(client.get(path).text) for path in pages] == [1, 1]
    # The worker's pass, as `odr worker` runs it: nothing is stale yet.
    assert refresh_rollups(factory, rules, settings) == 0
    assert stored_scorecards.refresh_stale(factory, rules.calendar, utcnow(), FIVE_MINUTES) == 0
    later = utcnow() + timedelta(minutes=6)
    assert stored_scorecards.refresh_stale(factory, rules.calendar, later, FIVE_MINUTES) == 1
    assert [_received(client.get(path).text) for path in pages] == [2, 2]
    client.client.cookies.set("odr_lang", "en")
    assert "Figures as of" in client.get(pages[0]).text
