# Extension point: a new entry in shared/schedules.py appears here through `make tf-manifest`; nothing to edit.
resource "google_cloud_scheduler_job" "jobs" {
  for_each    = var.schedules
  project     = var.project_id
  region      = var.region
  name        = each.key
  description = each.value.description
  schedule    = each.value.cron
  time_zone   = each.value.time_zone
  paused      = var.paused

  pubsub_target {
    topic_name = var.topic_ids[each.value.topic]
    data       = base64encode(each.value.payload)
    attributes = { scheduler_job = each.key }
  }

  retry_config {
    retry_count          = 1
    min_backoff_duration = "10s"
  }
}
