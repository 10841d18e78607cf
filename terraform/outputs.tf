output "lake_url" {
  description = "CHAINPRICE_LAKE_URL of the functions (and of `chainprice sql --lake`)."
  value       = local.lake_url
}

output "latest_json_url" {
  description = "The headline prices, public."
  value       = "https://storage.googleapis.com/${google_storage_bucket.lake.name}/${var.lake_prefix}/latest.json"
}

output "site_url" {
  description = "The site, once built and copied to gs://BUCKET/site (README, Deploy)."
  value       = "https://storage.googleapis.com/${google_storage_bucket.lake.name}/site/index.html"
}

output "function_urls" {
  description = "Each function's URL (all require an identity token)."
  value       = { for name, f in google_cloudfunctions2_function.job : name => f.service_config[0].uri }
}

output "backfill_topic" {
  description = "CHAINPRICE_BACKFILL_TOPIC."
  value       = google_pubsub_topic.job["backfill"].id
}

output "dead_letter_subscriptions" {
  description = "Where messages that failed every delivery wait."
  value       = { for topic, s in google_pubsub_subscription.dead_letter : topic => s.id }
}

output "bigquery_dataset" {
  description = "The dataset of external tables over the lake."
  value       = "${var.project_id}.${google_bigquery_dataset.lake.dataset_id}"
}
