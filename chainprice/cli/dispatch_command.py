"""``chainprice dispatch``: Pub/Sub push delivery on one machine, for the backfill fan-out.

Serves Pub/Sub's publish call (set ``PUBSUB_EMULATOR_HOST`` to the address it
prints) and pushes each message as a CloudEvent to the worker URLs given.
"""

from __future__ import annotations

import argparse
import threading


def add_dispatch_parser(commands: argparse._SubParsersAction) -> None:
    dispatch = commands.add_parser(
        "dispatch",
        help="a local Pub/Sub stand-in: takes publishes, pushes CloudEvents to workers",
    )
    dispatch.add_argument(
        "--push",
        action="append",
        required=True,
        metavar="URL",
        help="a worker's URL (functions-framework --target backfill_worker); repeatable",
    )
    dispatch.add_argument("--host", default="127.0.0.1")
    dispatch.add_argument("--port", type=int, default=8085)
    dispatch.add_argument(
        "--max-attempts", type=int, default=5, help="deliveries per message (default 5)"
    )
    dispatch.set_defaults(run=run_dispatch)


def run_dispatch(args: argparse.Namespace) -> int:
    from chainprice.adapters.pubsub_dispatcher import Dispatcher

    dispatcher = Dispatcher(
        args.push, host=args.host, port=args.port, max_attempts=args.max_attempts
    ).start()
    print(
        f"dispatching: PUBSUB_EMULATOR_HOST={dispatcher.host} -> {', '.join(args.push)} "
        "(Ctrl-C stops)",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        dispatcher.stop()
        print(
            f"delivered {len(dispatcher.log.delivered)}, retried {len(dispatcher.log.retried)}, "
            f"dead-lettered {len(dispatcher.log.dead_lettered)}"
        )
    return 0
