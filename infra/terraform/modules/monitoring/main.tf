resource "google_monitoring_notification_channel" "email" {
  for_each     = toset(var.notification_emails)
  project      = var.project_id
  display_name = "Following Analytics alerts: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }
}

locals {
  channels = [for channel in google_monitoring_notification_channel.email : channel.id]
  public   = join(" OR ", [for name in var.public_services : "resource.labels.service_name = \"${name}\""])
}

# Every job that ends failed or partial logs "job ended" (shared.jobs.service.finish).
resource "google_logging_metric" "jobs_failed" {
  project = var.project_id
  name    = "jobs_failed"
  filter  = "jsonPayload.message=\"job ended\" AND jsonPayload.status=\"failed\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "Dead letters waiting in ${var.dead_letter_hold}"
  combiner              = "OR"
  notification_channels = local.channels
  documentation {
    content = "Messages failed every delivery attempt. docs/deploy.md explains how to read and replay them."
  }
  conditions {
    display_name = "undelivered messages > 0"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${var.dead_letter_hold}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "public_5xx" {
  project               = var.project_id
  display_name          = "5xx from the public functions"
  combiner              = "OR"
  notification_channels = local.channels
  conditions {
    display_name = "5xx responses per minute"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND (${local.public}) AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.public_5xx_per_minute
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "jobs_failing" {
  project               = var.project_id
  display_name          = "Search jobs failing"
  combiner              = "OR"
  notification_channels = local.channels
  conditions {
    display_name = "failed jobs per hour"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.jobs_failed.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.failed_jobs_per_hour
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "inference_errors" {
  project               = var.project_id
  display_name          = "Inference service errors"
  combiner              = "OR"
  notification_channels = local.channels
  conditions {
    display_name = "5xx from the inference service"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${var.inference_service}\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.inference_5xx_per_minute
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}
