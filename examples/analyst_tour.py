"""A tour of chainprice's Python API, in cells (``# %%``: Jupyter, VS Code and Spyder run them
one by one): open the demo lake, plot the on-chain price against the exchange's with polars and
Plotly, and price a day straight from a node.

Run it whole with ``uv run python examples/analyst_tour.py [WORKDIR]`` (default
``example-output``). Everything stays on this machine: the demo fills ``WORKDIR/lake`` from the
simulated node, the figure is ``WORKDIR/onchain_vs_exchange.html`` (Plotly's script inlined, no
network needed to open it) and ``WORKDIR/summary.json`` holds the figures printed. The data is
simulated: a generated chain with a planted price.
"""

# %% Set-up: a work folder, and the one import the API needs
import json
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

import chainprice

work = Path(sys.argv[1] if len(sys.argv) > 1 else "example-output")
work.mkdir(parents=True, exist_ok=True)
lake_dir = work / "lake"
chainprice_command = [sys.executable, "-m", "chainprice"]

# %% The demo lake: `chainprice demo --no-serve` ingests three simulated days into it, once
if not (lake_dir / "manifest.json").exists():
    subprocess.run([*chainprice_command, "demo", "--lake", str(lake_dir), "--no-serve"], check=True)

# %% Open it: the day prices, each with the exchange's price of the same day
lake = chainprice.open_lake(str(lake_dir))
days = lake.read_polars("prices").filter(pl.col("kind") == "day").sort("date")
print(days.select("date", "price", "exchange_price", "diff_pct", "confidence", "is_valid"))

# %% The latest day in detail: its intraday price points and the exchange's prices over the days
latest = days["date"].max()
points = lake.read_polars("intraday", from_date=latest, to_date=latest)
exchange = lake.read_polars("exchange_prices", from_date=days["date"].min(), to_date=latest)
exchange = exchange.sort("time").with_columns(pl.from_epoch("time").alias("at"))
points = points.with_columns(pl.from_epoch("time").alias("at"))
print(f"{latest}: {points.height:,} intraday points, {exchange.height} exchange prices")

# %% Plot on-chain against exchange, written to a standalone HTML file
figure = go.Figure()
figure.add_scattergl(
    x=points["at"].to_list(),
    y=points["price"].to_list(),
    mode="markers",
    marker={"size": 2, "opacity": 0.3, "color": "#f7931a"},
    name=f"on-chain points of {latest}",
)
figure.add_scatter(
    x=exchange["at"].to_list(),
    y=exchange["price"].to_list(),
    mode="lines",
    line={"color": "#1f77b4"},
    name="exchange (simulated price API)",
)
figure.add_scatter(
    x=days.select(pl.col("date").cast(pl.Datetime) + pl.duration(hours=12)).to_series().to_list(),
    y=days["price"].to_list(),
    mode="markers+lines",
    marker={"size": 10, "color": "#2ca02c"},
    name="on-chain day price",
)
figure.update_layout(
    title="On-chain BTC/USD against the exchange (SIMULATED DATA)",
    xaxis_title="time (UTC)",
    yaxis_title="USD per BTC",
)
html = work / "onchain_vs_exchange.html"
figure.write_html(html, include_plotlyjs=True)
print(f"figure written to {html}")

# %% Price a day from a node: the simulated node serves the demo's chain, as the demo starts it
node_sim = subprocess.Popen(
    [*chainprice_command, "node-sim", "--days", "3", "--port", "0"],
    stdout=subprocess.PIPE,
    text=True,
)
try:
    ready = dict(part.split("=", 1) for part in node_sim.stdout.readline().split()[2:])
    node = chainprice.Node(ready["url"], source="rpc", rpc_cookie=ready["cookie"])
    from_node = chainprice.price_day(latest, node=node)
    recent = chainprice.price_recent(144, node=node)
finally:
    node_sim.terminate()
    node_sim.wait(timeout=60)
from_lake = chainprice.price_day(latest, lake=lake)
print(f"{latest} from the node: {from_node.price!r} (blocks {from_node.start_height}..)")
print(f"{latest} from the lake: {from_lake.price!r}, the same result: {from_node == from_lake}")
print(f"latest 144 blocks from the node: {recent.price:,.2f}")

# %% What the tour found, for scripts (and the test that runs this file)
summary = {
    "days": [d.isoformat() for d in days["date"]],
    "intraday_points": points.height,
    "exchange_prices": exchange.height,
    "figure": str(html),
    "from_node": from_node.to_json(),
    "from_lake": from_lake.to_json(),
    "recent": recent.to_json(),
}
(work / "summary.json").write_text(json.dumps(summary, indent=2))
