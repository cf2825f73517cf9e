resource "google_secret_manager_secret" "secrets" {
  for_each  = toset(var.secret_ids)
  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    auto {}
  }
}

locals {
  grants = merge([
    for secret_id, emails in var.accessors : {
      for email in emails : "${secret_id}/${email}" => { secret_id = secret_id, email = email }
    }
  ]...)
}

resource "google_secret_manager_secret_iam_member" "accessors" {
  for_each  = local.grants
  project   = var.project_id
  secret_id = google_secret_manager_secret.secrets[each.value.secret_id].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${each.value.email}"
}
