# The node's credentials, the tunnel's headers and the alerts' webhook URL. Their values are write-only arguments:
# sent to Secret Manager, never stored in Terraform's state or plan.
resource "google_secret_manager_secret" "node" {
  for_each  = local.secrets
  secret_id = "${var.name_prefix}-${each.key}"
  replication {
    auto {}
  }
  depends_on = [google_project_service.api]
}

resource "google_secret_manager_secret_version" "node" {
  for_each               = local.secrets
  secret                 = google_secret_manager_secret.node[each.key].id
  secret_data_wo         = local.secret_values[each.key]
  secret_data_wo_version = var.secret_version
}

# Each function that talks to the node reads these secrets, and nothing else.
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = {
    for pair in setproduct([for name, f in local.functions : name if f.node], keys(local.secrets)) :
    "${pair[0]}/${pair[1]}" => { function = pair[0], secret = pair[1] }
  }
  secret_id = google_secret_manager_secret.node[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.value.function].email}"
}
