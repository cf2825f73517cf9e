locals {
  manifest = jsondecode(file(var.manifest_path))
  labels   = { app = "following-analytics", environment = var.environment }
  apis = [
    "artifactregistry.googleapis.com", "cloudbuild.googleapis.com", "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com", "cloudtasks.googleapis.com", "eventarc.googleapis.com", "iam.googleapis.com",
    "logging.googleapis.com", "monitoring.googleapis.com", "pubsub.googleapis.com", "run.googleapis.com",
    "secretmanager.googleapis.com", "storage.googleapis.com",
  ]
  common_env = merge({
    FA_GCP_PROJECT                    = var.project_id
    FA_PUBSUB__PROJECT_ID             = var.project_id
    FA_TASKS__PROJECT_ID              = var.project_id
    FA_TASKS__LOCATION                = var.region
    FA_AUTH__JWT_ISSUER               = var.settings.jwt_issuer
    FA_AUTH__JWKS_URL                 = var.settings.jwks_url
    FA_AUTH__SUPABASE_URL             = var.settings.supabase_url
    FA_STRIPE__APP_URL                = var.settings.app_url
    FA_STORAGE__CDN_BASE_URL          = var.settings.cdn_base_url
    FA_STORAGE__ENDPOINT_URL          = var.settings.storage_endpoint
    FA_STORAGE__BUCKET                = var.settings.storage_bucket
    FA_CORS_ORIGINS                   = jsonencode(var.settings.cors_origins)
    FA_TASKS__INFERENCE_URL           = module.inference.url
    FA_TASKS__INVOKER_SERVICE_ACCOUNT = module.inference.tasks_invoker_email
  }, var.settings.extra)
}

resource "google_project_service" "apis" {
  for_each           = toset(local.apis)
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

resource "google_storage_bucket" "sources" {
  # checkov:skip=CKV_GCP_62: access logs of a build-only bucket would log Cloud Build's own reads; audit logs cover it.
  project                     = var.project_id
  name                        = "${var.project_id}-function-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true # the previous bundle stays: a rollback points the functions back at it
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 10
    }
    action {
      type = "Delete"
    }
  }
}

# Named by the zip's hash: Cloud Functions redeploy only when the source object's name changes.
resource "google_storage_bucket_object" "bundle" {
  name   = "functions-${filemd5(var.bundle_path)}.zip"
  bucket = google_storage_bucket.sources.name
  source = var.bundle_path
}

module "secrets" {
  source     = "../secrets"
  project_id = var.project_id
  secret_ids = keys(local.manifest.secrets)
  labels     = local.labels
  accessors = {
    for secret_id in keys(local.manifest.secrets) : secret_id => concat(
      [for name, fn in local.manifest.functions : module.functions[name].service_account_email if contains(fn.secrets, secret_id)],
      contains(local.manifest.inference.secrets, secret_id) ? [module.inference.service_account_email] : [],
    )
  }
  depends_on = [google_project_service.apis]
}

module "functions" {
  source      = "../cloud-function"
  for_each    = local.manifest.functions
  project_id  = var.project_id
  region      = var.region
  name        = each.key
  source_file = each.value.source
  bundle      = { bucket = google_storage_bucket.sources.name, object = google_storage_bucket_object.bundle.name }
  settings = {
    memory        = coalesce(try(var.function_overrides[each.key].memory, null), each.value.memory)
    cpu           = each.value.cpu
    timeout_s     = each.value.timeout_s
    max_instances = coalesce(try(var.function_overrides[each.key].max_instances, null), each.value.max_instances)
    concurrency   = each.value.concurrency
  }
  environment = local.common_env
  secret_keys = each.value.secret_keys
  public      = each.value.public
  tasks = each.value.enqueues_tasks ? {
    queue_ids               = values(module.inference.queue_ids)
    invoker_service_account = module.inference.tasks_invoker_email
  } : null
  labels     = local.labels
  depends_on = [google_project_service.apis]
}

# The identity Pub/Sub pushes as: run.invoker on each consumer function, nothing else.
resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "pubsub-push"
  display_name = "Pub/Sub push subscriptions (OIDC)"
}

resource "google_cloud_run_service_iam_member" "push_invoker" {
  for_each = toset([for sub in local.manifest.subscriptions : sub.consumer])
  project  = var.project_id
  location = var.region
  service  = module.functions[each.value].service_name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.pubsub_push.email}"
}

module "pubsub" {
  source            = "../pubsub"
  project_id        = var.project_id
  project_number    = var.project_number
  topics            = local.manifest.topics
  dead_letter_topic = local.manifest.dead_letter_topic
  labels            = local.labels
  push_subscriptions = {
    for name, sub in local.manifest.subscriptions : name => {
      topic                = sub.topic
      push_endpoint        = module.functions[sub.consumer].url
      oidc_service_account = google_service_account.pubsub_push.email
    }
  }
  depends_on = [google_project_service.apis]
}

module "inference" {
  source         = "../inference"
  project_id     = var.project_id
  project_number = var.project_number
  region         = var.region
  image          = var.inference_image
  service        = { max_instances = var.inference.max_instances, concurrency = var.inference.concurrency }
  environment    = { for k, v in local.common_env : k => v if !contains(["FA_TASKS__INFERENCE_URL", "FA_TASKS__INVOKER_SERVICE_ACCOUNT"], k) }
  secret_keys    = local.manifest.inference.secret_keys
  queues         = local.manifest.queues
  extra_invokers = var.deployer_service_account == null ? [] : [var.deployer_service_account]
  labels         = local.labels
  depends_on     = [google_project_service.apis]
}

# Publisher roles live here, after both sides exist: topics need the functions' URLs for their push
# subscriptions, so the functions cannot depend on the topics.
locals {
  publishers = merge(
    merge([
      for name, fn in local.manifest.functions : {
        for topic in fn.publishes : "${name}/${topic}" => { topic = topic, email = module.functions[name].service_account_email }
      }
    ]...),
    { for topic in local.manifest.inference.publishes : "inference/${topic}" => { topic = topic, email = module.inference.service_account_email } },
  )
}

resource "google_pubsub_topic_iam_member" "publishers" {
  for_each = local.publishers
  project  = var.project_id
  topic    = module.pubsub.topic_ids[each.value.topic]
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${each.value.email}"
}

module "scheduler" {
  source     = "../scheduler"
  project_id = var.project_id
  region     = var.region
  schedules  = local.manifest.schedules
  topic_ids  = module.pubsub.topic_ids
  paused     = var.schedules_paused
  depends_on = [google_project_service.apis]
}

module "monitoring" {
  source              = "../monitoring"
  project_id          = var.project_id
  notification_emails = var.alert_emails
  public_services     = [for name, fn in local.manifest.functions : module.functions[name].service_name if fn.public]
  inference_service   = "inference"
  dead_letter_hold    = "dead-letter-hold"
}

# The operators' console lists, replays and discards what waits in the dead-letter hold; replays publish to the
# topic a message came from, which the console's publisher roles cover (infra/functions.py).
resource "google_pubsub_subscription_iam_member" "console_reads_dead_letters" {
  for_each     = { for name, fn in local.manifest.functions : name => fn if fn.reads_dead_letters }
  project      = var.project_id
  subscription = module.pubsub.dead_letter_hold
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${module.functions[each.key].service_account_email}"
}
