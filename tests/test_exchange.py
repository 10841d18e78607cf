"""The exchange-price client: the real API's shapes and its "last row at or before" rule."""

from __future__ import annotations

import pytest
import responses
from responses import matchers

from chainprice.adapters.exchange import ExchangePrices, ExchangeQuote
from chainprice.adapters.node import BadResponseError, NodeConfig, NotFoundError

API = "http://prices.test/api"
HISTORY = f"{API}/v1/historical-price"
ROWS = [
    {"time": 1_700_000_000, "USD": 36_000, "EUR": 33_000},
    {"time": 1_700_003_600, "USD": 36_500, "EUR": 33_400},
    {"time": 1_700_007_200, "USD": 37_000, "EUR": 33_900},
]


def prices() -> ExchangePrices:
    return ExchangePrices(API, NodeConfig(backoff_base=0))


@responses.activate
def test_latest_reads_every_currency_of_the_current_row() -> None:
    row = {"time": 1_732_000_000, "USD": 97_000, "EUR": 91_000, "JPY": 14_900_000}
    responses.add(responses.GET, f"{API}/v1/prices", json=row)
    assert prices().latest() == ExchangeQuote(
        1_732_000_000, 97_000.0, {"USD": 97_000.0, "EUR": 91_000.0, "JPY": 14_900_000.0}
    )


@responses.activate
def test_historical_asks_for_the_moment_and_takes_the_last_row_not_after_it() -> None:
    query = {"currency": "USD", "timestamp": "1700007000"}
    responses.add(
        responses.GET,
        HISTORY,
        json={"prices": ROWS, "exchangeRates": {"USDEUR": 0.92}},
        match=[matchers.query_param_matcher(query)],
    )
    quote = prices().historical(1_700_007_000)
    assert (quote.time, quote.usd) == (1_700_003_600, 36_500.0)  # not the nearer later row


@responses.activate
def test_a_moment_before_any_row_is_a_clear_error() -> None:
    responses.add(responses.GET, HISTORY, json={"prices": [], "exchangeRates": {}})
    with pytest.raises(NotFoundError, match=r"no USD price at or before 2009-01-03 18:15:05 UTC"):
        prices().historical(1_231_006_505)


@responses.activate
def test_rows_without_a_usd_price_do_not_count() -> None:
    rows = [{"time": 1_700_000_000, "USD": 36_000}, {"time": 1_700_003_600, "USD": 0}]
    responses.add(responses.GET, HISTORY, json={"prices": rows, "exchangeRates": {}})
    assert prices().historical(1_700_003_700).time == 1_700_000_000


@responses.activate
def test_history_is_the_rows_of_a_span_oldest_first() -> None:
    responses.add(
        responses.GET,
        HISTORY,
        json={"prices": ROWS[::-1], "exchangeRates": {}},
        match=[matchers.query_param_matcher({"currency": "USD"})],
    )
    quotes = prices().history(1_700_000_000, 1_700_007_200)
    assert [q.usd for q in quotes] == [36_000.0, 36_500.0]


@responses.activate
def test_rate_limits_are_waited_out() -> None:
    responses.add(responses.GET, f"{API}/v1/prices", status=429, body="Too Many Requests")
    responses.add(responses.GET, f"{API}/v1/prices", json={"time": 1, "USD": 2})
    client = prices()
    assert client.latest().usd == 2.0
    assert client.stats.retries == 1


@responses.activate
def test_answers_of_the_wrong_shape_are_reported() -> None:
    responses.add(responses.GET, HISTORY, json={"error": "nope"})
    with pytest.raises(BadResponseError, match="sent no list of prices"):
        prices().historical(1_700_000_000)
    responses.add(responses.GET, f"{API}/v1/prices", json={"time": 1})
    with pytest.raises(BadResponseError, match="no current USD price"):
        prices().latest()
