output "alert_policies" {
  description = "The alert policies' ids."
  value = [
    google_monitoring_alert_policy.dead_letters.id,
    google_monitoring_alert_policy.public_5xx.id,
    google_monitoring_alert_policy.jobs_failing.id,
    google_monitoring_alert_policy.inference_errors.id,
  ]
}
