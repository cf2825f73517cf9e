locals {
  # Cloud Run's deterministic URL: known before the service exists, so no self-reference.
  url = "https://${var.service.name}-${var.project_number}.${var.region}.run.app"
}

resource "google_artifact_registry_repository" "images" {
  # checkov:skip=CKV_GCP_84: the image holds public model weights and our code, no customer data; Google-managed encryption at rest, no KMS key to run.
  project       = var.project_id
  location      = var.region
  repository_id = "images"
  format        = "DOCKER"
  description   = "The inference service's GPU image."
  labels        = var.labels

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }
}

resource "google_service_account" "inference" {
  project      = var.project_id
  account_id   = "inference"
  display_name = "Cloud Run inference service"
}

# Cloud Tasks mints OIDC tokens for this account; the service accepts only it (FA_TASKS__INVOKER_SERVICE_ACCOUNT).
resource "google_service_account" "tasks_invoker" {
  project      = var.project_id
  account_id   = "tasks-invoker"
  display_name = "Cloud Tasks invoker of the inference service"
}

resource "google_cloud_run_v2_service" "inference" {
  project             = var.project_id
  location            = var.region
  name                = var.service.name
  ingress             = "INGRESS_TRAFFIC_ALL" # authenticated callers only: no allUsers invoker
  deletion_protection = false
  labels              = var.labels

  template {
    service_account                  = google_service_account.inference.email
    max_instance_request_concurrency = var.service.concurrency
    timeout                          = "${var.service.timeout_s}s"
    gpu_zonal_redundancy_disabled    = true

    scaling {
      min_instance_count = 0
      max_instance_count = var.service.max_instances
    }

    node_selector {
      accelerator = "nvidia-l4"
    }

    containers {
      image = var.image

      resources {
        limits = {
          cpu              = var.service.cpu
          memory           = var.service.memory
          "nvidia.com/gpu" = "1"
        }
        cpu_idle          = false # instance-based billing, required with a GPU
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = merge(var.environment, {
          FA_PROFILE      = "prod"
          FA_SECRETS      = var.secret_keys
          FA_SERVICE_NAME = "inference"
          # A connection for each request it serves at once (shared.config.DatabaseSettings): with the functions'
          # pool of 1 (+2 overflow), eight analyses would queue for three connections, and a wait past
          # pool_timeout fails the task.
          FA_DATABASE__POOL_SIZE            = tostring(var.service.concurrency)
          FA_TASKS__INVOKER_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
          FA_TASKS__INFERENCE_URL           = local.url
        })
        content {
          name  = env.key
          value = env.value
        }
      }

      startup_probe {
        initial_delay_seconds = 10
        period_seconds        = 10
        timeout_seconds       = 5
        failure_threshold     = ceil(var.service.startup_probe_timeout / 10)
        http_get {
          path = "/readyz"
        }
      }

      liveness_probe {
        period_seconds    = 30
        timeout_seconds   = 5
        failure_threshold = 3
        http_get {
          path = "/healthz"
        }
      }
    }
  }
}

resource "google_cloud_run_v2_service_iam_member" "tasks_invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.inference.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.tasks_invoker.email}"
}

resource "google_cloud_run_v2_service_iam_member" "extra_invokers" {
  for_each = toset(var.extra_invokers)
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.inference.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${each.value}"
}

resource "google_cloud_tasks_queue" "queues" {
  for_each = var.queues
  project  = var.project_id
  location = var.region
  name     = each.key

  rate_limits {
    max_dispatches_per_second = each.value.max_dispatches_per_second
    max_concurrent_dispatches = each.value.max_concurrent_dispatches
  }

  retry_config {
    max_attempts       = each.value.max_attempts
    max_retry_duration = "3600s"
    min_backoff        = "10s"
    max_backoff        = "300s"
    max_doublings      = 4
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }
}
