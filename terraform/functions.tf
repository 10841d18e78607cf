# The source zip (chainprice.deploy.function_source --zip, which keeps the files' times, so
# the shipped kernels stay valid; Terraform's archive_file would zero them), under a name
# holding its hash: a change of the code uploads a new object, and so redeploys.
resource "google_storage_bucket_object" "function_source" {
  name   = "functions/source-${filesha256(var.function_source_zip)}.zip"
  bucket = google_storage_bucket.source.name
  source = var.function_source_zip
}

# One service account per function, holding only the roles its job needs.
resource "google_service_account" "function" {
  for_each     = local.functions
  account_id   = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  display_name = "chainprice ${each.key} function"
}

resource "google_cloudfunctions2_function" "job" {
  for_each    = local.functions
  name        = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  location    = var.region
  description = "chainprice ${each.key} (functions/main.py)"

  build_config {
    runtime     = "python311"
    entry_point = each.key
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = "1"
    timeout_seconds                  = each.value.timeout
    min_instance_count               = 0
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = 1
    ingress_settings                 = each.value.ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.function[each.key].email
    environment_variables = {
      for name, value in merge(local.common_env, each.value.node ? local.node_env : {}, each.value.env) :
      name => value if value != ""
    }

    dynamic "secret_environment_variables" {
      for_each = each.value.node ? local.secrets : {}
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.node[secret_environment_variables.key].secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_secret_manager_secret_version.node,
    google_secret_manager_secret_iam_member.accessor,
  ]
}

# Every function is private: only its caller (Pub/Sub's push identity, the operator, the
# uptime check) may invoke it.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = {
    for pair in flatten([
      for function, members in local.invokers : [for member in members : { function = function, member = member }]
    ]) : "${pair.function} ${pair.member}" => pair
  }
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.job[each.value.function].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value.member
}

# The lake: read and write (objects are created, replaced by compare-and-swap and deleted
# after the grace period) for the jobs, read only for health.
resource "google_storage_bucket_iam_member" "lake" {
  for_each = local.functions
  bucket   = google_storage_bucket.lake.name
  role     = each.value.writes_lake ? "roles/storage.objectUser" : "roles/storage.objectViewer"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# The backfill planner publishes the chunks.
resource "google_pubsub_topic_iam_member" "backfill_publisher" {
  topic  = google_pubsub_topic.job["backfill"].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.function["backfill"].email}"
}
