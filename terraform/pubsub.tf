# Scheduler -> topic -> push subscription (retries with backoff, then the dead-letter topic)
# -> the CloudEvent function. functions-framework turns the push body into the CloudEvent the
# function takes (id = the message id, so a redelivery keeps its run id).
resource "google_pubsub_topic" "job" {
  for_each                   = local.topics
  name                       = "${var.name_prefix}-${each.key}"
  message_retention_duration = "86400s"
  depends_on                 = [google_project_service.api]
}

resource "google_pubsub_topic" "dead_letter" {
  for_each                   = local.topics
  name                       = "${var.name_prefix}-${each.key}-dead-letter"
  message_retention_duration = "604800s"
  depends_on                 = [google_project_service.api]
}

# Messages that failed every delivery stay here a week, for a person to look at.
resource "google_pubsub_subscription" "dead_letter" {
  for_each                   = local.topics
  name                       = "${var.name_prefix}-${each.key}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60
  expiration_policy {
    ttl = ""
  }
}

resource "google_service_account" "push" {
  account_id   = "${var.name_prefix}-push"
  display_name = "chainprice Pub/Sub push identity"
}

resource "google_pubsub_subscription" "job" {
  for_each = local.subscriptions
  name     = "${var.name_prefix}-${each.key}"
  topic    = google_pubsub_topic.job[each.key].id

  ack_deadline_seconds       = 600
  message_retention_duration = each.key == "backfill" ? "604800s" : "3600s"
  expiration_policy {
    ttl = ""
  }

  push_config {
    push_endpoint = google_cloudfunctions2_function.job[each.value].service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = google_cloudfunctions2_function.job[each.value].service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = each.key == "backfill" ? 10 : 5
  }
}

# Pub/Sub's own agent signs the push tokens and moves failed messages to the dead letters.
resource "google_service_account_iam_member" "push_token_creator" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.topics
  topic    = google_pubsub_topic.dead_letter[each.key].id
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = local.subscriptions
  subscription = google_pubsub_subscription.job[each.key].id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
