"""With ODR_redis_url, sessions and rate-limit counters live in Redis, shared by processes.

Two app instances sharing one Redis stand for two `odr serve` processes behind a load balancer.
"""

from __future__ import annotations

import asyncio

import redis
from redis.asyncio import Redis as AsyncRedis

from odr.ops.stores import RedisCounters


def enterprise_user(demo_logins: dict[str, str]) -> str:
    return next(u for u in demo_logins if not u.startswith("reg"))


def test_a_session_survives_across_two_app_instances(
    make_app, open_client, redis_url, redis_prefix, demo_logins
):
    first = open_client(make_app(redis_url=redis_url, redis_prefix=redis_prefix))
    second = open_client(make_app(redis_url=redis_url, redis_prefix=redis_prefix))
    user = enterprise_user(demo_logins)
    response = first.post(
        "/enterprise/login",
        {"username": user, "password": demo_logins[user]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    session_id = first.client.cookies["odr_session"]
    keys = redis.Redis.from_url(redis_url).keys(f"{redis_prefix}:sessions:*")
    assert [k.decode() for k in keys] == [f"{redis_prefix}:sessions:{session_id}"]

    second.client.cookies.set("odr_session", session_id)
    page = second.get("/enterprise", follow_redirects=False)
    assert page.status_code == 200, page.headers.get("location")  # logged in on the other one

    assert second.post("/logout", {}, follow_redirects=False).status_code == 303
    again = first.get("/enterprise", follow_redirects=False)
    assert again.status_code == 303 and "/enterprise/login" in again.headers["location"]


def test_rate_limit_counters_are_shared_between_instances(
    make_app, open_client, redis_url, redis_prefix, file_complaint
):
    number, code = file_complaint()
    limits = {"redis_url": redis_url, "redis_prefix": redis_prefix, "rate_limit_per_subject": 2}
    first, second = open_client(make_app(**limits)), open_client(make_app(**limits))
    url = f"/api/v1/cases/{number}"
    assert first.get(url, headers={"X-Access-Code": "WRONGCODE1"}).status_code == 404
    assert second.get(url, headers={"X-Access-Code": "WRONGCODE1"}).status_code == 404
    refused = first.get(url, headers={"X-Access-Code": code})
    assert refused.status_code == 429
    ttl = redis.Redis.from_url(redis_url).ttl(
        f"{redis_prefix}:limits:tracking:subject:{number.lower()}:from:testclient"
    )  # both test clients come from the address "testclient"
    assert 0 < ttl <= 600 and 0 < int(refused.headers["retry-after"]) <= 600


def test_parallel_hits_all_count(run_async, redis_url, redis_prefix):
    async def hammer() -> tuple[list[int], int]:
        client = AsyncRedis.from_url(redis_url)
        counters = RedisCounters(client, f"{redis_prefix}:limits")
        try:
            results = await asyncio.gather(*(counters.hit("k", 60) for _ in range(50)))
            await counters.undo("k")
            left = int(await client.get(f"{redis_prefix}:limits:k"))
        finally:
            await client.aclose()
        return sorted(hits for hits, _ in results), left

    hits, left = run_async(hammer())
    assert hits == list(range(1, 51))  # every hit saw its own count: none lost to a race
    assert left == 49
