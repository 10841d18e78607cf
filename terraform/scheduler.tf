resource "google_cloud_scheduler_job" "job" {
  for_each  = local.schedules
  name      = "${var.name_prefix}-${each.key}"
  region    = var.region
  schedule  = each.value
  time_zone = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.job[each.key].id
    data       = base64encode("{}")
  }

  retry_config {
    retry_count = 0 # the next run comes soon; the subscription retries each delivery
  }

  depends_on = [google_project_service.api]
}
