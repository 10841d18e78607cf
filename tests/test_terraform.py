"""The Terraform module checked offline: parsed by two real HCL parsers, its wiring compared
with the functions' code and configuration, and checkov run over it.

No cloud account and no provider download: what is checked is what can be known from the
files. The functions' entry points and trigger types come from ``functions/main.py``; the
variables the configuration accepts and requires are found by running
``chainprice.jobs.settings.load_settings`` itself; the lake's object names come from
``chainprice.lake_schema``.
"""

from __future__ import annotations

import ast
import datetime as dt
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from terraform_model import (
    MODULE,
    ROOT,
    canonical,
    parse_hcl2json,
    parse_python_hcl2,
    parse_tfvars,
    tf_files,
)

from chainprice import lake_schema
from chainprice.jobs.settings import PREFIX, SECRET_VARIABLES, SettingsError, load_settings
from chainprice.lake_schema import naming

CHECKOV_VERSION = "3.3.30"
PUBLIC = ("allUsers", "allAuthenticatedUsers")
EVENT_TIMEOUT_MAX = 540  # gen2 event-driven functions
HTTP_TIMEOUT_MAX = 3600  # gen2 HTTP functions
PUSH_ACK_MAX = 600  # Pub/Sub push: the longest wait for an answer
MEMORY_MAX_MIB_AT_1_CPU = 4096  # Cloud Run: 1 vCPU takes at most 4 GiB
MEMORY_MIN_MIB_GEN2 = 512  # the second-generation execution environment's least


@cache
def model() -> dict[str, Any]:
    return canonical(parse_hcl2json(tf_files()))


def resources(kind: str) -> dict[str, dict]:
    return model()["resource"].get(kind, {})


def local(name: str) -> Any:
    return model()["locals"][name]


def functions() -> dict[str, dict]:
    return local("functions")


@cache
def entry_points() -> dict[str, str]:
    """``functions/main.py``'s entry points: name -> ``cloud_event`` or ``http`` (decorators)."""
    tree = ast.parse((ROOT / "functions" / "main.py").read_text())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Attribute)
                    and isinstance(decorator.value, ast.Name)
                    and decorator.value.id == "functions_framework"
                ):
                    found[node.name] = decorator.attr
    return found


def no_node_targets() -> tuple[str, ...]:
    """``NO_NODE_TARGETS`` of ``functions/main.py``: the entry points that need no node."""
    tree = ast.parse((ROOT / "functions" / "main.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "NO_NODE_TARGETS" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError("functions/main.py has no NO_NODE_TARGETS")


class _Recording(Mapping[str, str]):
    """An environment that remembers every variable the configuration asks for."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return self.values.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


SAMPLES = ("http://127.0.0.1:8332", "lake-folder")


def _required(needs_node: bool) -> dict[str, str]:
    """The smallest environment the configuration accepts, found by asking it: each refusal
    "X is not set" adds X (with the first sample value it takes)."""
    env: dict[str, str] = {}
    while True:
        try:
            load_settings(env, needs_node=needs_node)
            return env
        except SettingsError as exc:
            match = re.match(rf"({PREFIX}\w+) is not set", str(exc))
            assert match, f"unexpected refusal of a minimal environment: {exc}"
            for sample in SAMPLES:
                try:
                    load_settings({**env, match[1]: sample}, needs_node=needs_node)
                except SettingsError as again:
                    if match[1] in str(again):
                        continue
                env[match[1]] = sample
                break
            else:
                raise AssertionError(f"no sample value satisfies {match[1]}") from exc


@cache
def accepted_variables() -> frozenset[str]:
    env = _Recording(_required(needs_node=True))
    load_settings(env, needs_node=True)
    return frozenset(k for k in env.asked if k.startswith(PREFIX))


def function_env_keys(name: str) -> set[str]:
    spec = functions()[name]
    keys = set(local("common_env")) | set(spec["env"])
    if spec["node"]:
        keys |= set(local("node_env"))
    return keys


def secrets() -> dict[str, str]:
    """``local.secrets`` with the example's values: secret id -> the variable it is mounted as
    (the alerts' webhook only when ``alert_webhook`` is true)."""
    text = local("secrets")
    found = dict(re.findall(r'"?([\w-]+)"?="(CHAINPRICE_\w+)"', text))
    if not var_value("alert_webhook"):
        found.pop("alert-webhook-url")
    return found


def secret_keys(name: str) -> set[str]:
    return set(secrets().values()) if functions()[name]["node"] else set()


# --- values, as far as they can be known offline --------------------------------------------


@cache
def example_vars() -> dict[str, Any]:
    return parse_tfvars(MODULE / "terraform.tfvars.example")


def var_value(name: str) -> Any:
    variable = model()["variable"][name]
    return example_vars().get(name, variable.get("default"))


def resolve(text: Any, each_key: str | None = None) -> Any:
    """``${var.x}``, ``${local.x}``, ``${each.key}`` and the names and ids of topics and the
    bucket replaced by their values (from terraform.tfvars.example and the defaults)."""
    if not isinstance(text, str):
        return text

    def value(expression: str) -> str:
        if expression == "each.key" and each_key is not None:
            return each_key
        if m := re.fullmatch(r"var\.(\w+)", expression):
            return str(var_value(m[1]))
        if m := re.fullmatch(r"local\.(\w+)", expression):
            return str(resolve(local(m[1])))
        if expression == "google_storage_bucket.lake.name":
            return resolve(resources("google_storage_bucket")["lake"]["name"])
        if m := re.fullmatch(r'google_pubsub_topic\.job\["(\w+)"\]\.id', expression):
            name = resolve(resources("google_pubsub_topic")["job"]["name"], m[1])
            return f"projects/{var_value('project_id')}/topics/{name}"
        raise AssertionError(f"cannot resolve ${{{expression}}} offline")

    return re.sub(r"\$\{([^${}]+)\}", lambda m: value(m[1]), text)


# --- the parsers ------------------------------------------------------------------------------


def test_both_hcl_parsers_read_every_file_alike() -> None:
    files = tf_files()
    assert {p.name for p in files} >= {"variables.tf", "outputs.tf", "main.tf", "functions.tf"}
    assert canonical(parse_python_hcl2(files)) == model()
    assert parse_tfvars(MODULE / "terraform.tfvars.example")


def test_hcl2json_refuses_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tf"
    broken.write_text('resource "google_storage_bucket" "x" {\n  name = \n')
    with pytest.raises(AssertionError, match=r"broken\.tf"):
        parse_hcl2json([broken])


def test_example_variables_are_the_modules() -> None:
    variables = model()["variable"]
    required = {name for name, v in variables.items() if "default" not in v}
    assert required <= set(example_vars()), "the example leaves a required variable out"
    assert set(example_vars()) <= set(variables), "the example sets an unknown variable"
    outputs = model()["output"]
    assert {"latest_json_url", "site_url", "function_urls", "lake_url"} <= set(outputs)


# --- the functions ----------------------------------------------------------------------------


def test_every_function_of_main_py_is_deployed_with_its_trigger_type() -> None:
    points = entry_points()
    assert points, "no functions_framework entry point found in functions/main.py"
    deployed = functions()
    assert set(deployed) == set(points)
    triggers = {"pubsub": "cloud_event", "http": "http"}
    for name, spec in deployed.items():
        assert triggers[spec["trigger"]] == points[name], name
    function = resources("google_cloudfunctions2_function")["job"]
    assert function["for_each"] == "${local.functions}"
    (build,) = function["build_config"]
    assert build["entry_point"] == "${each.key}"
    # CloudEvent functions are reached by their push subscriptions, not by an Eventarc
    # trigger of their own (whose subscription could have no dead-letter topic).
    assert "event_trigger" not in function


def test_cloud_event_functions_get_their_events_from_one_push_subscription() -> None:
    subscriptions = local("subscriptions")
    pushed = [f for f, spec in functions().items() if spec["trigger"] == "pubsub"]
    assert sorted(subscriptions.values()) == sorted(pushed)
    for topic, function in subscriptions.items():
        assert functions()[function]["topic"] == topic
    assert set(subscriptions) <= set(re.findall(r'"(\w+)"', local("topics")))
    subscription = resources("google_pubsub_subscription")["job"]
    assert subscription["for_each"] == "${local.subscriptions}"
    (push,) = subscription["push_config"]
    uri = "${google_cloudfunctions2_function.job[each.value].service_config[0].uri}"
    assert push["push_endpoint"] == uri
    (oidc,) = push["oidc_token"]
    assert oidc["audience"] == uri
    assert oidc["service_account_email"] == "${google_service_account.push.email}"
    (retry,) = subscription["retry_policy"]
    assert retry["minimum_backoff"] and retry["maximum_backoff"]
    (dead,) = subscription["dead_letter_policy"]
    assert dead["dead_letter_topic"] == "${google_pubsub_topic.dead_letter[each.key].id}"
    assert resources("google_pubsub_topic")["dead_letter"]["for_each"] == "${local.topics}"
    assert resources("google_pubsub_subscription")["dead_letter"]["for_each"] == "${local.topics}"
    ack = subscription["ack_deadline_seconds"]
    assert ack <= PUSH_ACK_MAX
    for function in subscriptions.values():
        assert functions()[function]["timeout"] <= ack, f"{function} outlives the ack deadline"


def test_schedules_publish_to_the_topics_as_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text()
    promised = {
        m[1]: int(m[2])
        for m in re.finditer(
            r"^\| `(\w+)` \| CloudEvent \(Pub/Sub, every (\d+) minutes\)", readme, re.M
        )
    }
    assert promised, "the README's functions table names no schedule"
    schedules = local("schedules")
    assert {
        topic: int(re.fullmatch(r"\*/(\d+) \* \* \* \*", cron)[1])
        for topic, cron in schedules.items()
    } == promised
    job = resources("google_cloud_scheduler_job")["job"]
    assert job["for_each"] == "${local.schedules}"
    (target,) = job["pubsub_target"]
    assert target["topic_name"] == "${google_pubsub_topic.job[each.key].id}"
    for topic in schedules:
        assert local("subscriptions")[topic] == topic, "a schedule must reach its own function"


def test_runtime_memory_and_timeouts_are_within_the_platforms_limits() -> None:
    function = resources("google_cloudfunctions2_function")["job"]
    (build,) = function["build_config"]
    requires = re.search(r'requires-python = ">=3\.(\d+)', (ROOT / "pyproject.toml").read_text())
    assert build["runtime"] == f"python3{requires[1]}"
    (service,) = function["service_config"]
    assert service["available_cpu"] == "1"
    assert service["timeout_seconds"] == "${each.value.timeout}"
    assert service["available_memory"] == "${each.value.memory}"
    for name, spec in functions().items():
        limit = EVENT_TIMEOUT_MAX if spec["trigger"] == "pubsub" else HTTP_TIMEOUT_MAX
        assert 1 <= spec["timeout"] <= limit, name
        amount, unit = re.fullmatch(r"(\d+)(Mi|Gi)", spec["memory"]).groups()
        mib = int(amount) * (1024 if unit == "Gi" else 1)
        assert MEMORY_MIN_MIB_GEN2 <= mib <= MEMORY_MAX_MIB_AT_1_CPU, name


def test_the_source_zip_is_named_by_its_hash_and_built_by_function_source() -> None:
    assert "archive_file" not in model().get("data", {}), "archive_file zeroes the files' times"
    obj = resources("google_storage_bucket_object")["function_source"]
    assert "${filesha256(var.function_source_zip)}" in obj["name"]
    assert obj["source"] == "${var.function_source_zip}"
    (build,) = resources("google_cloudfunctions2_function")["job"]["build_config"]
    (source,) = build["source"]
    (storage,) = source["storage_source"]
    assert storage["object"] == "${google_storage_bucket_object.function_source.name}"
    default = model()["variable"]["function_source_zip"]["default"]
    target = (MODULE / default).resolve().relative_to(ROOT).as_posix()
    readme = (ROOT / "README.md").read_text()
    command = re.search(
        r"python -m chainprice\.deploy\.function_source ([^\s`]+) --zip ([^\s`]+)", readme
    )
    assert command, "the README does not say how to build the zip"
    assert command[2] == target


# --- configuration and secrets -----------------------------------------------------------------


def test_every_variable_set_is_accepted_and_every_required_one_is_set() -> None:
    accepted = accepted_variables()
    assert f"{PREFIX}LAKE_URL" in accepted and f"{PREFIX}NODE_URL" in accepted
    without_node = no_node_targets()
    for name in functions():
        keys = function_env_keys(name) | secret_keys(name)
        assert keys <= accepted, f"{name} sets {sorted(keys - accepted)}"
        needs_node = name not in without_node
        assert functions()[name]["node"] == needs_node, name
        assert set(_required(needs_node)) <= keys, f"{name} misses a required variable"


def test_the_configuration_accepts_each_functions_environment_as_deployed(monkeypatch) -> None:
    """The variables' values, resolved from the example, go through the real loader (an
    emulator host instead of Google credentials: the lake URL's check makes no request)."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    function = resources("google_cloudfunctions2_function")["job"]
    (service,) = function["service_config"]
    expression = "local.common_env,each.value.node?local.node_env:{},each.value.env"
    assert expression.replace(",", "") in service["environment_variables"]
    secret_values = {
        variable: var_value(re.search(r"var\.(\w+)", local("secret_values")[key])[1])
        for key, variable in secrets().items()
    }
    for name, spec in functions().items():
        env = {**local("common_env"), **(local("node_env") if spec["node"] else {}), **spec["env"]}
        env = {k: resolve(v) for k, v in env.items()}
        env = {k: v for k, v in env.items() if v != ""}  # as the resource filters them
        env |= {k: secret_values[k] for k in secret_keys(name)}
        settings = load_settings(env, needs_node=spec["node"])
        assert settings.lake_url == "gs://my-chainprice-lake/lake"
        assert (settings.node is not None) == spec["node"]
        if name == "backfill":
            assert settings.backfill_topic == "projects/my-project/topics/chainprice-backfill"
    worker_topic = next(t for t, f in local("subscriptions").items() if f == "backfill_worker")
    assert functions()["backfill"]["env"]["CHAINPRICE_BACKFILL_TOPIC"] == (
        f'${{google_pubsub_topic.job["{worker_topic}"].id}}'
    )


def test_every_secret_is_mounted_as_the_variable_the_configuration_reads() -> None:
    assert var_value("alert_webhook") is True, "the example leaves the webhook's secret unchecked"
    assert sorted(secrets().values()) == sorted(SECRET_VARIABLES)
    assert set(local("secret_values")) == set(secrets())
    for name in functions():
        plain = function_env_keys(name)
        assert not plain & set(SECRET_VARIABLES), f"{name} sets a secret in plain text"
    (service,) = resources("google_cloudfunctions2_function")["job"]["service_config"]
    (mount,) = service["dynamic"]["secret_environment_variables"]
    assert mount["for_each"] == "${each.value.node?local.secrets:{}}"
    (content,) = mount["content"]
    assert content["key"] == "${secret_environment_variables.value}"
    assert content["secret"] == (
        "${google_secret_manager_secret.node[secret_environment_variables.key].secret_id}"
    )
    assert resources("google_secret_manager_secret")["node"]["for_each"] == "${local.secrets}"
    version = resources("google_secret_manager_secret_version")["node"]
    assert "secret_data" not in version, "a secret's value would be kept in the state"
    assert version["secret_data_wo"] == "${local.secret_values[each.key]}"
    for variable in ("rpc_password", "node_headers", "alert_webhook_url"):
        assert model()["variable"][variable]["sensitive"] is True
        assert model()["variable"][variable]["ephemeral"] is True
    access = resources("google_secret_manager_secret_iam_member")["accessor"]
    assert access["role"] == "roles/secretmanager.secretAccessor"
    assert "f.node" in access["for_each"] and "keys(local.secrets)" in access["for_each"]


# --- access -----------------------------------------------------------------------------------


def _members() -> Iterator[tuple[str, str, str]]:
    for kind, named in model()["resource"].items():
        for name, body in named.items():
            for field in ("member", "members"):
                values = body.get(field, [])
                for value in values if isinstance(values, list) else [values]:
                    yield kind, name, value


def test_no_public_binding_on_the_bucket_itself() -> None:
    public = [(k, n, m) for k, n, m in _members() if any(p in m for p in PUBLIC)]
    assert public == [("google_storage_managed_folder_iam_member", "public_read", "allUsers")]
    for kind in model()["resource"]:
        assert not kind.startswith("google_storage_bucket_acl")
        assert not kind.startswith("google_storage_default_object_acl")
        assert not kind.startswith("google_storage_object_acl")
        assert kind != "google_storage_bucket_iam_policy"
    grant = resources("google_storage_managed_folder_iam_member")["public_read"]
    assert grant["role"] == "roles/storage.objectViewer"
    assert grant["for_each"] == "${google_storage_managed_folder.public}"
    folders = resources("google_storage_managed_folder")["public"]["for_each"]
    published = re.findall(r'"([^"]*)"', folders)
    assert sorted(published) == ["${var.lake_prefix}/", "site/"]
    assert all(f.endswith("/") and f.strip("/") for f in published), "never the bucket's root"
    assert model()["variable"]["lake_prefix"]["validation"], "the lake needs a folder of its own"


def test_each_function_has_its_own_account_and_only_its_callers_invoke_it() -> None:
    accounts = resources("google_service_account")["function"]
    assert accounts["for_each"] == "${local.functions}"
    (service,) = resources("google_cloudfunctions2_function")["job"]["service_config"]
    assert service["service_account_email"] == (
        "${google_service_account.function[each.key].email}"
    )
    invokers = local("invokers")
    assert set(invokers) == set(functions())
    assert invokers["backfill"] == ["${var.operator}"]
    assert invokers["health"] == ["${local.uptime_invoker}", "${var.operator}"]
    assert "gcp-sa-monitoring-notification" in local("uptime_invoker")
    for name, spec in functions().items():
        if spec["trigger"] == "pubsub":
            assert invokers[name] == ["${local.push_invoker}"], name
            assert spec["ingress"] == "ALLOW_INTERNAL_ONLY", name
    invoker = resources("google_cloud_run_v2_service_iam_member")["invoker"]
    assert "local.invokers" in invoker["for_each"]
    assert invoker["member"] == "${each.value.member}"
    assert invoker["role"] == "roles/run.invoker"
    (validation,) = model()["variable"]["operator"]["validation"]
    assert "user|group|serviceAccount" in validation["condition"]
    lake = resources("google_storage_bucket_iam_member")["lake"]
    assert lake["for_each"] == "${local.functions}"
    assert functions()["health"]["writes_lake"] is False
    assert "roles/storage.objectViewer" in lake["role"]
    project_roles = [k for k in model()["resource"] if k.startswith("google_project_iam")]
    assert project_roles == [], "the functions hold no project-wide role"


# --- the bucket, the site, the dataset ------------------------------------------------------


def test_the_bucket_is_uniform_versioned_cleaned_and_readable_by_the_site() -> None:
    bucket = resources("google_storage_bucket")["lake"]
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["versioning"] == [{"enabled": True}]
    rules = bucket["lifecycle_rule"]
    conditions = [rule["condition"][0] for rule in rules]
    assert any("days_since_noncurrent_time" in c for c in conditions)
    assert any("num_newer_versions" in c for c in conditions)
    (cors,) = bucket["cors"]
    assert sorted(cors["method"]) == ["GET", "HEAD"]
    assert {"Content-Range", "Accept-Ranges", "Content-Length", "ETag"} <= set(
        cors["response_header"]
    )
    assert bucket["website"][0]["main_page_suffix"] == "index.html"


def _finished_day_objects() -> dict[str, list[str]]:
    """A real name of every kind of published object, per table (from the lake's naming)."""
    day = dt.date(2024, 12, 5)
    at = dt.datetime(2024, 12, 5, 12, 0, tzinfo=dt.UTC)
    block = "00" * 32
    names = {
        table: lake_schema.compacted_object(
            table, day, [lake_schema.block_object(table, day, 872_559, block)]
        )
        for table in ("blocks", "outputs", "txids")
    }
    names |= {
        "intraday": lake_schema.intraday_object(day),
        "exchange_prices": lake_schema.exchange_object(day, "mempool.space"),
        "runs": lake_schema.run_object(at, "abc123"),
        "histograms": lake_schema.histogram_object(day),
        "mempool_runs": naming.mempool_run_object(at),
        "mempool_points": naming.mempool_points_object(at),
    }
    found = {table: [name] for table, name in names.items()}
    found["prices"] = [
        lake_schema.day_price_object(day),
        lake_schema.recent_day_object(day),
        lake_schema.mempool_price_object(at),
    ]
    found["prices_day_months"] = [lake_schema.month_prices_object("2024-12", ["a", "b"])]
    return found


def _hive_keys(prefix: str) -> list[tuple[str, str]]:
    return re.findall(r"\{(\w+):(\w+)\}", prefix)


def test_bigquery_external_tables_cover_every_finished_day_object_with_its_partitions() -> None:
    lake_url = resolve("${local.lake_url}")
    tables = resolve_tables()
    bq_type = {"date32[day]": "DATE", "string": "STRING"}
    partitioned = {n: t for n, t in lake_schema.TABLES.items() if t.partition_columns}
    assert set(partitioned) <= set(tables)
    for table, objects in _finished_day_objects().items():
        uris, prefix = tables[table]["uris"], tables[table]["prefix"]
        for name in objects:
            url = f"{lake_url}/{name}"
            assert any(fnmatch.fnmatchcase(url, uri) for uri in uris), (table, name)
            assert not any(
                fnmatch.fnmatchcase(f"{lake_url}/{lake_schema.staged(name)}", uri) for uri in uris
            ), f"{table} would read staged objects"
            fixed = prefix.split("{", 1)[0]
            keys = _hive_keys(prefix)
            parts = url.removeprefix(fixed).split("/")[: len(keys)]
            assert [p.split("=")[0] for p in parts] == [k for k, _ in keys], (table, name)
        if table in partitioned:
            schema = partitioned[table].partitions
            assert keys == [(f.name, bq_type[str(f.type)]) for f in schema], table
    (table,) = [resources("google_bigquery_table")["lake"]]
    (external,) = table["external_data_configuration"]
    assert external["source_format"] == "PARQUET"
    (hive,) = external["hive_partitioning_options"]
    assert hive["mode"] == "CUSTOM" and hive["source_uri_prefix"] == "${each.value.prefix}"


def resolve_tables() -> dict[str, dict]:
    """``local.external_tables``, evaluated (a ``for`` over the day tables merged with two)."""
    text = local("external_tables")
    day_tables = re.findall(r'"(\w+)"', local("date_tables"))
    template = re.search(r"table=>\{uris=\[\"([^\"]+)\"\]prefix=\"([^\"]+)\"\}", text)
    tables = {
        t: {
            "uris": [resolve(template[1].replace("${table}", t))],
            "prefix": resolve(template[2].replace("${table}", t)),
        }
        for t in day_tables
    }
    for name, body in re.findall(r"(\w+)=\{(uris=\[[^\]]*\]prefix=\"[^\"]+\")\}", text):
        if name == "table":
            continue
        uris = re.findall(r'"([^"]+)"', body.split("prefix=")[0])
        prefix = body.split("prefix=")[1].strip('"')
        tables[name] = {"uris": [resolve(u) for u in uris], "prefix": resolve(prefix)}
    return tables


# --- alerts -----------------------------------------------------------------------------------


def test_errors_and_health_alert_a_person_by_email() -> None:
    channel = resources("google_monitoring_notification_channel")["email"]
    assert channel["type"] == "email"
    assert channel["labels"]["email_address"] == "${var.alert_email}"
    metric = resources("google_logging_metric")["job_errors"]
    assert "severity>=ERROR" in metric["filter"]
    assert "cloud_run_revision" in metric["filter"]
    assert "${var.name_prefix}-" in metric["filter"]
    assert metric["label_extractors"]["job"] == "EXTRACT(jsonPayload.job)"
    policies = resources("google_monitoring_alert_policy")
    channel_ref = "${google_monitoring_notification_channel.email.id}"
    for policy in policies.values():
        assert policy["notification_channels"] == [channel_ref]
    (errors,) = policies["job_errors"]["conditions"]
    metric_name = "${google_logging_metric.job_errors.name}"
    assert (
        f"logging.googleapis.com/user/{metric_name}" in errors["condition_threshold"][0]["filter"]
    )
    (health,) = policies["health"]["conditions"]
    health_filter = health["condition_threshold"][0]["filter"]
    assert "uptime_check/check_passed" in health_filter
    assert "${google_monitoring_uptime_check_config.health.uptime_check_id}" in health_filter
    check = resources("google_monitoring_uptime_check_config")["health"]
    (resource,) = check["monitored_resource"]
    assert resource["labels"]["service_name"] == (
        '${google_cloudfunctions2_function.job["health"].service_config[0].service}'
    )
    (http,) = check["http_check"]
    assert http["accepted_response_status_codes"] == [{"status_value": 200}]
    assert http["service_agent_authentication"] == [{"type": "OIDC_TOKEN"}]
    assert "health" in entry_points() and entry_points()["health"] == "http"


# --- checkov ----------------------------------------------------------------------------------


def checkov_venv() -> Path:
    """checkov in a virtual environment of its own (it clashes with python-hcl2), made once."""
    cache_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = Path(
        os.environ.get(
            "CHAINPRICE_CHECKOV_VENV", cache_home / "chainprice" / f"checkov-{CHECKOV_VERSION}"
        )
    )
    checkov = venv / "bin" / "checkov"
    if not checkov.exists():
        uv = [shutil.which("uv")] if shutil.which("uv") else [sys.executable, "-m", "uv"]
        subprocess.run([*uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        subprocess.run(
            [
                *uv,
                "pip",
                "install",
                "-q",
                "--python",
                str(venv / "bin" / "python"),
                f"checkov=={CHECKOV_VERSION}",
            ],
            check=True,
            env={**os.environ, "UV_COMPILE_BYTECODE": "1"},
        )
    return checkov


def accepted_findings() -> dict[tuple[str, str], str]:
    found = {}
    for line in (MODULE / "checkov-accepted.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            head, _, reason = line.partition(": ")
            check, resource = head.split(" ", 1)
            assert len(reason) > 20, f"give a reason for {head}"
            found[(check, resource)] = reason
    return found


def _accepted(check: str, resource: str, accepted: dict) -> tuple[str, str] | None:
    for key in accepted:
        if key[0] == check and (resource == key[1] or resource.startswith(key[1] + "[")):
            return key
    return None


def test_checkov_finds_nothing_beyond_the_accepted_list() -> None:
    checkov = checkov_venv()
    result = subprocess.run(
        [
            str(checkov),
            "-d",
            str(MODULE),
            "--framework",
            "terraform",
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        timeout=300,
    )
    assert result.stdout.strip(), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert reports and all(r["summary"]["parsing_errors"] == 0 for r in reports)
    assert sum(r["summary"]["passed"] for r in reports) > 20, "checkov checked almost nothing"
    accepted = accepted_findings()
    failed = [
        (c["check_id"], c["resource"]) for r in reports for c in r["results"]["failed_checks"]
    ]
    unexpected = [f for f in failed if _accepted(*f, accepted) is None]
    assert unexpected == [], f"checkov findings not in terraform/checkov-accepted.txt: {unexpected}"
    used = {_accepted(*f, accepted) for f in failed}
    assert set(accepted) <= used, f"accepted findings that no longer fail: {set(accepted) - used}"
