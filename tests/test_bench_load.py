"""bench/load.py, the web load test: what its users post is what the API accepts, it loads only this
machine, it finds the saturation point, and a short real run against `python -m web` works (its
figures mean nothing; `make bench` takes the real ones)."""

import json

import pytest

from bench import load
from web import api


def test_users_post_a_growing_drawing_the_api_accepts():
    bodies = load.drawing_bodies(4)
    drawings = [api.parse_drawing(b) for b in bodies]
    points = [sum(len(s) for s in d.strokes) for d in drawings]
    assert len(bodies) > 3 and points == sorted(points) and points[0] < points[-1]
    assert len(drawings[-1].strokes) == 2  # the whole 4: both strokes
    assert all(d.width == d.height == load.CANVAS for d in drawings)
    assert json.loads(bodies[-1])["strokes"][0][0] == list(drawings[-1].strokes[0][0])


@pytest.mark.parametrize("url", ["http://example.com:8000", "http://10.0.0.1", "https://127.0.0.1:8000"])
def test_only_this_machine_is_loaded(url):
    with pytest.raises(ValueError, match="only http://127.0.0.1"):
        load.local_target(url)
    assert load.local_target("http://localhost:8123")[:2] == ("127.0.0.1", 8123)


def test_saturation_search_brackets_the_knee(monkeypatch):
    def fake(host, port, path, users, seconds, interval, pid):  # p99 grows 2 ms a user; 10 req/s a user
        return {"users": users, "throughput_rps": 10.0 * users, "p99_ms": 2.0 * users, "errors": 0}

    monkeypatch.setattr(load, "measure", fake)
    levels = [fake(None, None, None, u, 1, 0.1, None) for u in load.USERS]
    extra = load._search(levels, None, None, None, 1, 0.1, None)
    tried = [lv["users"] for lv in extra]
    assert tried[0] == 100  # all of 1..50 users were good: double
    assert all(50 < u < 100 for u in tried[1:])  # then bisect between 50 (good) and 100 (bad)
    assert load.saturation(levels + extra)["users"] == max(u for u in [*load.USERS, *tried] if 2.0 * u <= 100)
    assert load.saturation([fake(None, None, None, 80, 1, 0.1, None)]) is None


def test_a_short_run_against_the_real_server():
    result = load.run(users=(1, 3), seconds=0.6, find_saturation=False)
    assert "skipped" not in result, result.get("skipped")
    assert [lv["users"] for lv in result["levels"]] == [1, 3]
    for lv in result["levels"]:
        assert lv["ok"] > 0 and lv["errors"] == 0, lv
        assert lv["p50_ms"] <= lv["p99_ms"] and lv["server_cpu"] is not None
    table = load.report(result)
    assert "answered req/s" in table and "Saturation point" in table
