# The functions of functions/main.py and how each is reached. The offline checks
# (tests/test_terraform.py) read this map: every key is an entry point of main.py, a
# "pubsub" function is a CloudEvent there, an "http" one an HTTP function.
locals {
  lake_url = "gs://${google_storage_bucket.lake.name}/${var.lake_prefix}"

  # Variables every function gets, then those of the functions that talk to the node.
  common_env = {
    CHAINPRICE_LAKE_URL                  = local.lake_url
    CHAINPRICE_ALERT_MAX_LAG_BLOCKS      = var.alert_max_lag_blocks
    CHAINPRICE_ALERT_MAX_DIVERGENCE_PCT  = var.alert_max_divergence_pct
    CHAINPRICE_ALERT_MAX_SILENCE_SECONDS = var.alert_max_silence_seconds
  }
  node_env = {
    CHAINPRICE_NODE_URL    = var.node_url
    CHAINPRICE_NODE_SOURCE = var.node_source
    CHAINPRICE_RPC_USER    = var.rpc_user
    CHAINPRICE_PRICES_URL  = var.prices_url
  }

  # Secret Manager secrets, each mounted as the variable the configuration reads, in the
  # functions that talk to the node (they are the ones that post alerts, too).
  secrets = merge(
    {
      rpc-password = "CHAINPRICE_RPC_PASSWORD"
      node-headers = "CHAINPRICE_NODE_HEADERS"
    },
    var.alert_webhook ? { alert-webhook-url = "CHAINPRICE_ALERT_WEBHOOK_URL" } : {},
  )
  secret_values = {
    rpc-password      = var.rpc_password
    node-headers      = var.node_headers
    alert-webhook-url = var.alert_webhook_url
  }

  # Ingress: Pub/Sub's pushes count as internal; the operator and the uptime check come from
  # outside, with an identity token. Gen2 limits: an event-driven function runs at most
  # 540 s, an HTTP one 3600 s; Pub/Sub push waits at most 600 s for an answer (the
  # subscriptions' ack deadline).
  functions = {
    ingest = {
      trigger       = "pubsub"
      topic         = "ingest"
      node          = true
      memory        = "2Gi"
      timeout       = 540
      max_instances = 1
      writes_lake   = true
      ingress       = "ALLOW_INTERNAL_ONLY"
      env           = {}
    }
    mempool = {
      trigger       = "pubsub"
      topic         = "mempool"
      node          = true
      memory        = "1Gi"
      timeout       = 240
      max_instances = 1
      writes_lake   = true
      ingress       = "ALLOW_INTERNAL_ONLY"
      env           = {}
    }
    backfill = {
      trigger       = "http"
      node          = true
      memory        = "512Mi"
      timeout       = 300
      max_instances = 1
      writes_lake   = true
      ingress       = "ALLOW_ALL"
      env = {
        CHAINPRICE_BACKFILL_TOPIC = google_pubsub_topic.job["backfill"].id
      }
    }
    backfill_worker = {
      trigger       = "pubsub"
      topic         = "backfill"
      node          = true
      memory        = "2Gi"
      timeout       = 540
      max_instances = var.backfill_workers
      writes_lake   = true
      ingress       = "ALLOW_INTERNAL_ONLY"
      env           = {}
    }
    health = {
      trigger       = "http"
      node          = false
      memory        = "512Mi"
      timeout       = 60
      max_instances = 2
      writes_lake   = false
      ingress       = "ALLOW_ALL"
      env           = {}
    }
  }

  # Cloud Scheduler publishes to these topics; the push subscriptions deliver to the functions.
  schedules = {
    ingest  = "*/10 * * * *"
    mempool = "*/5 * * * *"
  }
  topics = toset(["ingest", "mempool", "backfill"])
  # topic => the function its push subscription delivers to
  subscriptions = {
    ingest   = "ingest"
    mempool  = "mempool"
    backfill = "backfill_worker"
  }

  # Who may invoke each function (Cloud Run's run.invoker), and nobody else: Pub/Sub's push
  # identity the CloudEvent ones, the operator backfill, the uptime check and the operator health.
  push_invoker   = "serviceAccount:${google_service_account.push.email}"
  uptime_invoker = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-monitoring-notification.iam.gserviceaccount.com"
  invokers = {
    ingest          = [local.push_invoker]
    mempool         = [local.push_invoker]
    backfill_worker = [local.push_invoker]
    backfill        = [var.operator]
    health          = [local.uptime_invoker, var.operator]
  }

  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "api" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
