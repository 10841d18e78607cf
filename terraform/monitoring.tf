# A person hears of trouble: a job's ERROR line, or health answering anything but 200.
resource "google_monitoring_notification_channel" "email" {
  display_name = "chainprice alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
  depends_on = [google_project_service.api]
}

# Every ERROR line a function writes (the jobs log one JSON object per line, with its job).
resource "google_logging_metric" "job_errors" {
  name = "${var.name_prefix}-job-errors"
  filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "severity>=ERROR",
    "resource.labels.service_name:\"${var.name_prefix}-\"",
  ])
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "job"
      value_type  = "STRING"
      description = "The job that logged the error"
    }
  }
  label_extractors = {
    job = "EXTRACT(jsonPayload.job)"
  }
  depends_on = [google_project_service.api]
}

resource "google_monitoring_alert_policy" "job_errors" {
  display_name          = "chainprice: a job logged an error"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]
  conditions {
    display_name = "ERROR lines of the chainprice functions"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.job_errors.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.job"]
      }
      trigger {
        count = 1
      }
    }
  }
  alert_strategy {
    auto_close = "3600s"
  }
  documentation {
    content   = "A chainprice function logged an ERROR line (the one-line error is in the log entry). See the README's Deploy section."
    mime_type = "text/markdown"
  }
}

# health answers 503 when the lake lags the node or a job has not succeeded for too long.
resource "google_monitoring_uptime_check_config" "health" {
  display_name = "chainprice health"
  timeout      = "30s"
  period       = "${var.health_check_minutes * 60}s"
  # Three regions, the fewest allowed: every check is a call of health (benchmarks/cloud_cost.py).
  selected_regions = ["USA_OREGON", "USA_IOWA", "USA_VIRGINIA"]

  http_check {
    path           = "/"
    port           = 443
    use_ssl        = true
    validate_ssl   = true
    request_method = "GET"
    accepted_response_status_codes {
      status_value = 200
    }
    service_agent_authentication {
      type = "OIDC_TOKEN"
    }
  }

  # A Cloud Run target: the check signs its requests with the monitoring agent's identity
  # token, which alone may invoke health.
  monitored_resource {
    type = "cloud_run_revision"
    labels = {
      project_id   = var.project_id
      location     = var.region
      service_name = google_cloudfunctions2_function.job["health"].service_config[0].service
    }
  }
}

resource "google_monitoring_alert_policy" "health" {
  display_name          = "chainprice: health is failing"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]
  conditions {
    display_name = "health does not answer 200"
    condition_threshold {
      filter          = "metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND metric.label.check_id=\"${google_monitoring_uptime_check_config.health.uptime_check_id}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "600s"
      aggregations {
        alignment_period     = "1200s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["metric.label.check_id"]
      }
      trigger {
        count = 1
      }
    }
  }
  alert_strategy {
    auto_close = "3600s"
  }
  documentation {
    content   = "The health function answered 503 (the lake lags the node, or a job has not succeeded within its limit) or did not answer. Its JSON body names the problems."
    mime_type = "text/markdown"
  }
}
