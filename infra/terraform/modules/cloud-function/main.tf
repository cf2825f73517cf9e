locals {
  account_id = "fn-${replace(var.name, "_", "-")}"
}

resource "google_service_account" "function" {
  project      = var.project_id
  account_id   = local.account_id
  display_name = "Cloud Function ${var.name}"
}

resource "google_cloudfunctions2_function" "function" {
  # checkov:skip=CKV_GCP_124: only the API and the Stripe webhook (var.public) accept traffic from anywhere; workers are ALLOW_INTERNAL_ONLY.
  project  = var.project_id
  location = var.region
  name     = replace(var.name, "_", "-")
  labels   = var.labels

  build_config {
    runtime     = var.runtime
    entry_point = var.name
    environment_variables = {
      GOOGLE_FUNCTION_SOURCE = var.source_file
    }
    source {
      storage_source {
        bucket = var.bundle.bucket
        object = var.bundle.object
      }
    }
  }

  service_config {
    available_memory                 = var.settings.memory
    available_cpu                    = var.settings.cpu
    timeout_seconds                  = var.settings.timeout_s
    max_instance_count               = var.settings.max_instances
    min_instance_count               = 0
    max_instance_request_concurrency = var.settings.concurrency
    service_account_email            = google_service_account.function.email
    ingress_settings                 = var.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY" # Pub/Sub pushes count as internal
    all_traffic_on_latest_revision   = true
    environment_variables = merge(var.environment, {
      FA_PROFILE      = "prod"
      FA_SECRETS      = var.secret_keys
      FA_SERVICE_NAME = var.name
      PYTHONPATH      = "/workspace"
    })
  }
}

# Gen2 functions are served by Cloud Run: invoking one is run.invoker on its service.
resource "google_cloud_run_service_iam_member" "public" {
  # checkov:skip=CKV_GCP_102: the public API and the Stripe webhook must be callable by browsers and Stripe; each authenticates every request itself (Supabase JWT, Stripe signature).
  count    = var.public ? 1 : 0
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = toset(var.tasks == null ? [] : var.tasks.queue_ids)
  project  = var.project_id
  location = var.region
  name     = each.value
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.function.email}"
}

# Creating a task with an OIDC token for another account needs actAs on it.
resource "google_service_account_iam_member" "act_as_invoker" {
  count              = var.tasks == null ? 0 : 1
  service_account_id = "projects/${var.project_id}/serviceAccounts/${var.tasks.invoker_service_account}"
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.function.email}"
}
